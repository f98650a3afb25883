// Vectorisable element math shared by the CPU kernels (log-prob, attention); not part of the ABI.
//
// Why our own exp: inside `#pragma omp simd` loops GCC vectorises only calls it has vector
// variants for, and glibc declares its vector expf only under -ffast-math, which we don't use
// (it would also loosen every other kernel). A softmax over a 152k vocabulary is one exp per
// logit, so a scalar libm call per element would dominate. exp_nonpositive is Cephes' expf
// (Cody-Waite reduction, degree-6 polynomial, about 1 ulp) written as straight-line code that
// GCC turns into AVX2 (8 floats per instruction).
#ifndef STEER4J_CPU_MATH_H
#define STEER4J_CPU_MATH_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace s4j {

// exp(x) for the arguments a softmax produces (x - max <= 0, or slightly above 0 by rounding).
// Below -87 the result is clamped to about 1.6e-38 instead of underflowing (negligible in a sum
// of terms of which the largest is 1). NaN in gives NaN out.
inline float exp_nonpositive(float x) {
  x = std::max(x, -87.0f);
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);  // round(x / ln 2)
  float r = x - n * 0.693359375f;                                 // x - n ln2, in two parts so
  r = r - n * -2.12194440e-4f;                                    // that r stays exact
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;  // 2^n, n in [-126, 1]
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// Double kernels exist for gradient checks, where accuracy matters and speed does not.
inline double exp_nonpositive(double x) { return std::exp(x); }

// bfloat16 as raw bits (uint16_t): the upper half of a float32.
inline float bf16_to_float(uint16_t bits) {
  const uint32_t wide = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof value);
  return value;
}

// Round to nearest even, as PyTorch's float -> bfloat16 conversion does; NaN stays a quiet NaN.
inline uint16_t float_to_bf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return uint16_t((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}

// Contiguous block [begin, end) of `count` items for thread `id` of `n` (fixed, so a fixed
// thread count gives the same split and bitwise the same results).
inline void thread_block(int64_t count, int id, int n, int64_t& begin, int64_t& end) {
  const int64_t base = count / n, extra = count % n;
  begin = id * base + std::min<int64_t>(id, extra);
  end = begin + base + (id < extra ? 1 : 0);
}

}  // namespace s4j

#endif
