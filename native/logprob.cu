// Fused sequence log-prob, CUDA (float32 or bfloat16 logits, device pointers, default stream).
// Same contract as logprob.cpp (see include/steer4j/logprob.h).
//
// Forward: one block per position row. Each thread keeps an online (max, sum of exp) over the
// 16-byte packs it loads (4 floats or 8 bfloat16), so the row's logits are read exactly once;
// the block then merges the threads' pairs in a fixed tree (deterministic). A second small
// kernel sums the scored positions of each sequence, one warp per sequence, in a fixed order.
// Backward: one block per row writes dlogp * mask * (onehot - softmax) pack by pack; each
// element is read and written by the same thread, so dlogits may be the logits buffer.
#include "steer4j/logprob.h"
#include "cuda_common.cuh"

#include <cuda_bf16.h>

#include <cstdint>

namespace s4j_cuda {
namespace {

constexpr int kThreads = 256;
constexpr unsigned long long kNoBadRow = ~0ull;

__device__ inline float to_float(float x) { return x; }
__device__ inline float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
template <typename T>
__device__ inline T from_float(float x);
template <>
__device__ inline float from_float<float>(float x) { return x; }
template <>
__device__ inline __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// 16 bytes of elements, loaded and stored as one vector access.
template <typename T>
struct alignas(16) Pack {
  static constexpr int kCount = 16 / sizeof(T);
  T v[kCount];
};

// Splits a row of V elements starting at `x` into a scalar head (until x is 16-byte aligned),
// whole packs, and a scalar tail, so that any V (odd ones included) gets vector loads.
template <typename T>
struct RowLayout {
  int64_t head, packs, tail_begin;
  __device__ RowLayout(const T* x, int64_t V) {
    const uintptr_t address = reinterpret_cast<uintptr_t>(x);
    const int64_t to_aligned = int64_t((16 - address % 16) % 16) / int64_t(sizeof(T));
    head = to_aligned < V ? to_aligned : V;
    packs = (V - head) / Pack<T>::kCount;
    tail_begin = head + packs * Pack<T>::kCount;
  }
};

// Online log-sum-exp state of one thread: max m and sum s of exp(x - m).
struct Lse {
  float m = -INFINITY, s = 0.f;
  // -inf logits add 0 (also while m is -inf, where x - m would be NaN); NaN poisons s.
  __device__ void add(float x) { s += x == -INFINITY ? 0.f : __expf(x - m); }
  template <int K>
  __device__ void add_all(const float (&x)[K]) {
    float top = x[0];
#pragma unroll
    for (int i = 1; i < K; ++i) top = fmaxf(top, x[i]);
    if (top > m) {
      s *= __expf(m - top);  // 0 while m is -inf
      m = top;
    }
#pragma unroll
    for (int i = 0; i < K; ++i) add(x[i]);
  }
  // Written as products with a 0 factor for an empty side, so that a NaN sum survives.
  __device__ void merge(float m2, float s2) {
    const float top = fmaxf(m, m2);
    const float f1 = m == -INFINITY ? 0.f : __expf(m - top);
    const float f2 = m2 == -INFINITY ? 0.f : __expf(m2 - top);
    s = s * f1 + s2 * f2;
    m = top;
  }
};

template <typename T>
__global__ void __launch_bounds__(kThreads)
row_logsumexp(const T* logits, const int64_t* labels, const float* mask, float* lse,
              unsigned long long* bad_row, int64_t V) {
  const int64_t r = blockIdx.x;
  if (mask[r] == 0.f) {
    if (threadIdx.x == 0) lse[r] = 0.f;
    return;
  }
  const int64_t label = labels[r];
  if (label < 0 || label >= V) {
    if (threadIdx.x == 0) {
      atomicMin(bad_row, (unsigned long long)r);
      lse[r] = NAN;
    }
    return;
  }
  const T* x = logits + r * V;
  const RowLayout<T> layout(x, V);
  Lse state;
  for (int64_t i = threadIdx.x; i < layout.head; i += blockDim.x) {
    const float one[1] = {to_float(x[i])};
    state.add_all(one);
  }
  const Pack<T>* packs = reinterpret_cast<const Pack<T>*>(x + layout.head);
  for (int64_t p = threadIdx.x; p < layout.packs; p += blockDim.x) {
    const Pack<T> pack = packs[p];
    float values[Pack<T>::kCount];
#pragma unroll
    for (int i = 0; i < Pack<T>::kCount; ++i) values[i] = to_float(pack.v[i]);
    state.add_all(values);
  }
  for (int64_t i = layout.tail_begin + threadIdx.x; i < V; i += blockDim.x) {
    const float one[1] = {to_float(x[i])};
    state.add_all(one);
  }
  // Fixed reduction tree: within each warp, then warp 0 over the warps.
  for (int offset = 16; offset > 0; offset >>= 1)
    state.merge(__shfl_down_sync(0xffffffffu, state.m, offset), __shfl_down_sync(0xffffffffu, state.s, offset));
  __shared__ float warp_m[kThreads / 32], warp_s[kThreads / 32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    warp_m[warp] = state.m;
    warp_s[warp] = state.s;
  }
  __syncthreads();
  if (warp == 0) {
    Lse total;
    if (lane < blockDim.x / 32) {
      total.m = warp_m[lane];
      total.s = warp_s[lane];
    }
    for (int offset = 16; offset > 0; offset >>= 1)
      total.merge(__shfl_down_sync(0xffffffffu, total.m, offset), __shfl_down_sync(0xffffffffu, total.s, offset));
    if (lane == 0) lse[r] = total.m + logf(total.s);
  }
}

// logp[n] = sum_t mask * (x[label] - lse): one warp per sequence, lanes over positions.
template <typename T>
__global__ void sequence_sum(const T* logits, const int64_t* labels, const float* mask,
                             const float* lse, float* logp, int64_t N, int64_t L, int64_t V) {
  const int64_t n = int64_t(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (n >= N) return;
  double acc = 0;
  for (int64_t t = lane; t < L; t += 32) {
    const int64_t r = n * L + t;
    const float w = mask[r];
    if (w == 0.f) continue;
    const int64_t label = labels[r];
    const float x = label >= 0 && label < V ? to_float(logits[r * V + label]) : NAN;
    acc += double(w) * (double(x) - double(lse[r]));
  }
  for (int offset = 16; offset > 0; offset >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, offset);
  if (lane == 0) logp[n] = float(acc);
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
row_gradient(const float* dlogp, const T* logits, const int64_t* labels, const float* mask,
             const float* lse, T* dlogits, int64_t L, int64_t V) {
  const int64_t r = blockIdx.x;
  const T* x = logits + r * V;
  T* out = dlogits + r * V;
  const float w = mask[r];
  const RowLayout<T> layout(out, V);
  if (w == 0.f) {  // not scored: zeros, without reading the logits
    Pack<T> zeros;
#pragma unroll
    for (int i = 0; i < Pack<T>::kCount; ++i) zeros.v[i] = from_float<T>(0.f);
    for (int64_t i = threadIdx.x; i < layout.head; i += blockDim.x) out[i] = zeros.v[0];
    Pack<T>* out_packs = reinterpret_cast<Pack<T>*>(out + layout.head);
    for (int64_t p = threadIdx.x; p < layout.packs; p += blockDim.x) out_packs[p] = zeros;
    for (int64_t i = layout.tail_begin + threadIdx.x; i < V; i += blockDim.x) out[i] = zeros.v[0];
    return;
  }
  const int64_t label = labels[r];
  // Labels were checked by the forward; a stale invalid one still gives NaN, never garbage.
  const float g = label >= 0 && label < V ? dlogp[r / L] * w : NAN;
  const float l = lse[r];
  auto gradient = [&](int64_t v, float value) { return (v == label ? g : 0.f) - g * __expf(value - l); };
  const bool same_alignment = (reinterpret_cast<uintptr_t>(x) ^ reinterpret_cast<uintptr_t>(out)) % 16 == 0;
  const int64_t vector_begin = same_alignment ? layout.head : V;
  for (int64_t i = threadIdx.x; i < vector_begin; i += blockDim.x) out[i] = from_float<T>(gradient(i, to_float(x[i])));
  if (!same_alignment) return;
  const Pack<T>* in_packs = reinterpret_cast<const Pack<T>*>(x + layout.head);
  Pack<T>* out_packs = reinterpret_cast<Pack<T>*>(out + layout.head);
  for (int64_t p = threadIdx.x; p < layout.packs; p += blockDim.x) {
    const Pack<T> pack = in_packs[p];
    Pack<T> result;
    const int64_t v0 = layout.head + p * Pack<T>::kCount;
#pragma unroll
    for (int i = 0; i < Pack<T>::kCount; ++i) result.v[i] = from_float<T>(gradient(v0 + i, to_float(pack.v[i])));
    out_packs[p] = result;
  }
  for (int64_t i = layout.tail_begin + threadIdx.x; i < V; i += blockDim.x) out[i] = from_float<T>(gradient(i, to_float(x[i])));
}

int check_sizes(const char* op, int64_t N, int64_t L, int64_t V) {
  if (N < 0 || L < 0 || V < 1)
    return fail(S4J_E_ARGUMENT, "%s: invalid sizes N=%lld L=%lld V=%lld", op, (long long)N,
                (long long)L, (long long)V);
  if (N * L > int64_t(0x7fffffff))
    return fail(S4J_E_ARGUMENT, "%s: N * L = %lld rows exceed the grid limit", op, (long long)(N * L));
  return S4J_OK;
}

template <typename T>
int forward(const T* logits, const int64_t* labels, const float* mask, float* logp, float* lse,
            int64_t N, int64_t L, int64_t V) {
  const char* op = "logprob_forward";
  if (int status = check_sizes(op, N, L, V)) return status;
  if (N == 0) return S4J_OK;
  if (L == 0) {
    cudaError_t error = cudaMemsetAsync(logp, 0, N * sizeof(float));
    if (error != cudaSuccess) return fail(S4J_E_DEVICE, "%s: %s", op, cudaGetErrorString(error));
    return S4J_OK;
  }
  unsigned long long* bad_row = workspace().words(1);
  if (!bad_row) return last_status();
  cudaError_t error = cudaMemsetAsync(bad_row, 0xff, sizeof *bad_row);
  if (error != cudaSuccess) return fail(S4J_E_DEVICE, "%s: %s", op, cudaGetErrorString(error));
  row_logsumexp<T><<<unsigned(N * L), kThreads>>>(logits, labels, mask, lse, bad_row, V);
  S4J_CUDA_CHECK_LAUNCH("row_logsumexp");
  sequence_sum<T><<<unsigned(ceil_div(N, kThreads / 32)), kThreads>>>(logits, labels, mask, lse, logp, N, L, V);
  S4J_CUDA_CHECK_LAUNCH("sequence_sum");
  // The one synchronisation: report a bad label as an error rather than a NaN loss later.
  unsigned long long first_bad = kNoBadRow;
  error = cudaMemcpy(&first_bad, bad_row, sizeof first_bad, cudaMemcpyDeviceToHost);
  if (error != cudaSuccess) return fail(S4J_E_DEVICE, "%s: %s", op, cudaGetErrorString(error));
  if (first_bad != kNoBadRow) {
    int64_t label = 0;
    cudaMemcpy(&label, labels + first_bad, sizeof label, cudaMemcpyDeviceToHost);
    return fail(S4J_E_ARGUMENT,
                "%s: labels[%lld, %lld] = %lld is outside [0, V=%lld) at a scored position (mask != 0)",
                op, (long long)(first_bad / L), (long long)(first_bad % L), (long long)label, (long long)V);
  }
  return S4J_OK;
}

template <typename T>
int backward(const float* dlogp, const T* logits, const int64_t* labels, const float* mask,
             const float* lse, T* dlogits, int64_t N, int64_t L, int64_t V) {
  const char* op = "logprob_backward";
  if (int status = check_sizes(op, N, L, V)) return status;
  const int64_t R = N * L;
  if (R == 0) return S4J_OK;
  if (dlogits != logits && dlogits < logits + R * V && logits < dlogits + R * V)
    return fail(S4J_E_ARGUMENT, "%s: dlogits overlaps logits without being the same buffer", op);
  row_gradient<T><<<unsigned(R), kThreads>>>(dlogp, logits, labels, mask, lse, dlogits, L, V);
  S4J_CUDA_CHECK_LAUNCH("row_gradient");
  return S4J_OK;
}

}  // namespace
}  // namespace s4j_cuda

using namespace s4j_cuda;

extern "C" {

int s4j_logprob_forward_f32_cuda(const float* logits, const int64_t* labels, const float* mask,
                                 float* logp, float* lse, int64_t N, int64_t L, int64_t V) {
  return forward<float>(logits, labels, mask, logp, lse, N, L, V);
}

int s4j_logprob_backward_f32_cuda(const float* dlogp, const float* logits, const int64_t* labels,
                                  const float* mask, const float* lse, float* dlogits, int64_t N,
                                  int64_t L, int64_t V) {
  return backward<float>(dlogp, logits, labels, mask, lse, dlogits, N, L, V);
}

int s4j_logprob_forward_bf16_cuda(const uint16_t* logits, const int64_t* labels,
                                  const float* mask, float* logp, float* lse, int64_t N,
                                  int64_t L, int64_t V) {
  return forward<__nv_bfloat16>(reinterpret_cast<const __nv_bfloat16*>(logits), labels, mask,
                                logp, lse, N, L, V);
}

int s4j_logprob_backward_bf16_cuda(const float* dlogp, const uint16_t* logits,
                                   const int64_t* labels, const float* mask, const float* lse,
                                   uint16_t* dlogits, int64_t N, int64_t L, int64_t V) {
  return backward<__nv_bfloat16>(dlogp, reinterpret_cast<const __nv_bfloat16*>(logits), labels,
                                 mask, lse, reinterpret_cast<__nv_bfloat16*>(dlogits), N, L, V);
}
}
