// Fused sequence log-prob, CPU (see include/steer4j/logprob.h for the contract).
//
// Forward: per scored row, one streaming pass over its V logits in L1-sized chunks: a chunk is
// loaded (and converted from bfloat16) into a small buffer while its max is taken, the running
// sum of exponentials is rescaled to the new max, then the chunk's exponentials are summed from
// the buffer. Only lse [N, L] is written; eager LibTorch writes an [N, L, V] log-softmax.
// Backward: one pass per scored row writing mask * dlogp * (onehot - softmax), in place if
// asked. Rows are independent and each is computed by one thread in a fixed order, so results
// do not depend on the thread count at all; sums over positions run in double.
#include "steer4j/logprob.h"
#include "cpu_math.h"
#include "internal.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace s4j {
namespace {

// How a logits element is read and written; Acc is the arithmetic type.
template <typename T>
struct Element;
template <>
struct Element<float> {
  using Acc = float;
  static float load(float x) { return x; }
  static float store(float x) { return x; }
};
template <>
struct Element<double> {
  using Acc = double;
  static double load(double x) { return x; }
  static double store(double x) { return x; }
};
template <>
struct Element<uint16_t> {  // bfloat16 bits
  using Acc = float;
  static float load(uint16_t x) { return bf16_to_float(x); }
  static uint16_t store(float x) { return float_to_bf16(x); }
};

// Logits per chunk: 8 KiB of float, so the second pass over a chunk reads L1, not memory.
constexpr int64_t kChunk = 2048;

template <typename T, typename F>
int check(const char* op, const T* logits, const int64_t* labels, const F* mask, int64_t N,
          int64_t L, int64_t V) {
  if (N < 0 || L < 0 || V < 1)
    return fail(S4J_E_ARGUMENT, "%s: invalid sizes N=%lld L=%lld V=%lld", op, (long long)N,
                (long long)L, (long long)V);
  if (N * L == 0) return S4J_OK;
  if (!logits || !labels || !mask)
    return fail(S4J_E_ARGUMENT, "%s: logits, labels and mask must not be NULL", op);
  // Labels are read only where the mask scores the position (padding may carry -100).
  for (int64_t r = 0; r < N * L; ++r) {
    if (mask[r] != F(0) && (labels[r] < 0 || labels[r] >= V))
      return fail(S4J_E_ARGUMENT,
                  "%s: labels[%lld, %lld] = %lld is outside [0, V=%lld) at a scored position "
                  "(mask != 0)",
                  op, (long long)(r / L), (long long)(r % L), (long long)labels[r], (long long)V);
  }
  return S4J_OK;
}

// log(sum_v exp(x_v)) of one row, streaming it once.
template <typename T>
double row_logsumexp(const T* x, int64_t V) {
  using A = typename Element<T>::Acc;
  constexpr A kNegInf = -std::numeric_limits<A>::infinity();
  alignas(64) A buffer[kChunk];
  A max = kNegInf;
  double sum = 0;
  for (int64_t c0 = 0; c0 < V; c0 += kChunk) {
    const int64_t n = std::min(kChunk, V - c0);
    const T* chunk = x + c0;
    A chunk_max = kNegInf;
#pragma omp simd reduction(max : chunk_max)
    for (int64_t j = 0; j < n; ++j) {
      const A v = Element<T>::load(chunk[j]);
      buffer[j] = v;
      chunk_max = std::max(chunk_max, v);  // NaN is dropped here but poisons the sum below
    }
    if (chunk_max > max) {
      sum *= std::exp(double(max) - double(chunk_max));  // exp(-inf) = 0 on the first chunk
      max = chunk_max;
    }
    A chunk_sum = 0;
    // -inf logits (banned tokens) add 0, also while the max is still -inf (where x - max would
    // be NaN); a NaN logit makes the sum NaN.
#pragma omp simd reduction(+ : chunk_sum)
    for (int64_t j = 0; j < n; ++j) chunk_sum += buffer[j] == kNegInf ? A(0) : exp_nonpositive(buffer[j] - max);
    sum += chunk_sum;
  }
  return double(max) + std::log(sum);
}

// out_v = -g * softmax_v for one row (the label's entry is fixed up by the caller). out may be x.
template <typename T, typename A>
void row_gradient(const T* x, T* out, A g, A lse, int64_t V) {
#pragma omp simd
  for (int64_t v = 0; v < V; ++v) out[v] = Element<T>::store(-g * exp_nonpositive(Element<T>::load(x[v]) - lse));
}

template <typename T, typename F>
int forward(const T* logits, const int64_t* labels, const F* mask, F* logp, F* lse, int64_t N,
            int64_t L, int64_t V) {
  const char* op = "logprob_forward";
  if (int status = check(op, logits, labels, mask, N, L, V)) return status;
  if (N > 0 && (!logp || (L > 0 && !lse)))
    return fail(S4J_E_ARGUMENT, "%s: logp and lse must not be NULL", op);
  const int64_t R = N * L;
  const int nt = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads(), R)));
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t r = 0; r < R; ++r)
    lse[r] = mask[r] != F(0) ? F(row_logsumexp(logits + r * V, V)) : F(0);
  for (int64_t n = 0; n < N; ++n) {
    double acc = 0;
    for (int64_t r = n * L; r < (n + 1) * L; ++r) {
      if (mask[r] == F(0)) continue;
      const double x = Element<T>::load(logits[r * V + labels[r]]);
      acc += double(mask[r]) * (x - double(lse[r]));
    }
    logp[n] = F(acc);
  }
  return S4J_OK;
}

template <typename T, typename F>
int backward(const F* dlogp, const T* logits, const int64_t* labels, const F* mask, const F* lse,
             T* dlogits, int64_t N, int64_t L, int64_t V) {
  using A = typename Element<T>::Acc;
  const char* op = "logprob_backward";
  if (int status = check(op, logits, labels, mask, N, L, V)) return status;
  const int64_t R = N * L;
  if (R == 0) return S4J_OK;
  if (!dlogp || !lse || !dlogits)
    return fail(S4J_E_ARGUMENT, "%s: dlogp, lse and dlogits must not be NULL", op);
  const T* end = logits + R * V;
  if (dlogits != logits && dlogits < end && logits < dlogits + R * V)
    return fail(S4J_E_ARGUMENT, "%s: dlogits overlaps logits without being the same buffer", op);
  const int nt = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads(), R)));
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t r = 0; r < R; ++r) {
    const T* x = logits + r * V;
    T* out = dlogits + r * V;
    if (mask[r] == F(0)) {
      std::fill(out, out + V, Element<T>::store(A(0)));
      continue;
    }
    const A g = A(dlogp[r / L] * mask[r]);
    const A l = A(lse[r]);
    const int64_t y = labels[r];
    const A p_label = exp_nonpositive(Element<T>::load(x[y]) - l);  // read before it is overwritten
    row_gradient(x, out, g, l, V);
    out[y] = Element<T>::store(g - g * p_label);
  }
  return S4J_OK;
}

}  // namespace
}  // namespace s4j

#define S4J_LOGPROB_DEFINE(T, F, SUFFIX)                                                       \
  int s4j_logprob_forward_##SUFFIX(const T* logits, const int64_t* labels, const F* mask,       \
                                   F* logp, F* lse, int64_t N, int64_t L, int64_t V) {          \
    return s4j::forward<T, F>(logits, labels, mask, logp, lse, N, L, V);                        \
  }                                                                                             \
  int s4j_logprob_backward_##SUFFIX(const F* dlogp, const T* logits, const int64_t* labels,     \
                                    const F* mask, const F* lse, T* dlogits, int64_t N,         \
                                    int64_t L, int64_t V) {                                     \
    return s4j::backward<T, F>(dlogp, logits, labels, mask, lse, dlogits, N, L, V);             \
  }

extern "C" {
S4J_LOGPROB_DEFINE(float, float, f32)
S4J_LOGPROB_DEFINE(double, double, f64)
S4J_LOGPROB_DEFINE(uint16_t, float, bf16)
}
