// Decode-step attention over a KV cache, CUDA (float32, device pointers, default stream).
// Same contract as attention.cpp (see include/steer4j/attention.h), split-K ("flash decoding"):
//
// 1. partial: one block per (split of the cache, query head, sequence). Its warps take keys in
//    turn; a warp scores a key with its lanes spread over Dh (coalesced 128-byte reads) and a
//    butterfly sum, then updates an online softmax (max, sum, accumulator of value rows). The
//    block merges its warps in shared memory and writes (max, sum, acc[Dh]) for the split.
// 2. merge: one block per (sequence, query head) combines the splits in split order.
// A single query token leaves a block per head far too little work on a 4k cache, hence the
// splits: enough blocks to fill the device several times over. Query heads that share a kv
// head read the same cache rows; after the first, those reads come from L2.
#include "steer4j/attention.h"
#include "cuda_common.cuh"

namespace s4j_cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kMaxPerLane = 8;  // Dh <= 32 * 8 = 256
constexpr int64_t kMinKeysPerSplit = 64;

__device__ inline float warp_all_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Keys [t0, t1) of sequence n split `split` of `splits` ways (the same split on every launch).
__device__ inline void split_range(int64_t length, int split, int splits, int64_t& t0, int64_t& t1) {
  const int64_t base = length / splits, extra = length % splits;
  t0 = split * base + (split < extra ? split : extra);
  t1 = t0 + base + (split < extra ? 1 : 0);
}

__global__ void __launch_bounds__(kWarps * 32)
attention_partial(const float* q, const float* k, const float* v, const int64_t* lengths,
                  float scale, float* part_max, float* part_sum, float* part_acc, int64_t Hq,
                  int64_t Hkv, int64_t Lmax, int64_t Dh) {
  const int splits = gridDim.x, split = blockIdx.x;
  const int64_t h = blockIdx.y, n = blockIdx.z;
  const int64_t length = lengths[n];
  if (length < 1 || length > Lmax) return;  // the merge writes NaN for this sequence
  const int64_t kv = h / (Hq / Hkv);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int64_t t0, t1;
  split_range(length, split, splits, t0, t1);

  float query[kMaxPerLane], acc[kMaxPerLane];
  const float* qh = q + (n * Hq + h) * Dh;
#pragma unroll
  for (int i = 0; i < kMaxPerLane; ++i) {
    const int64_t d = lane + 32 * i;
    query[i] = d < Dh ? qh[d] * scale : 0.f;
    acc[i] = 0.f;
  }
  float max = -INFINITY, sum = 0.f;
  const int64_t cache = (n * Hkv + kv) * Lmax * Dh;
  for (int64_t t = t0 + warp; t < t1; t += kWarps) {
    const float* key = k + cache + t * Dh;
    float dot = 0.f;
#pragma unroll
    for (int i = 0; i < kMaxPerLane; ++i) {
      const int64_t d = lane + 32 * i;
      if (d < Dh) dot += query[i] * key[d];
    }
    const float score = warp_all_sum(dot);
    const float new_max = fmaxf(max, score);
    const float correction = __expf(max - new_max);  // 0 on the first key (max = -inf)
    const float p = __expf(score - new_max);
    sum = sum * correction + p;
    const float* value = v + cache + t * Dh;
#pragma unroll
    for (int i = 0; i < kMaxPerLane; ++i) {
      const int64_t d = lane + 32 * i;
      acc[i] = acc[i] * correction + (d < Dh ? p * value[d] : 0.f);
    }
    max = new_max;
  }

  // Merge the warps (fixed order) through shared memory.
  extern __shared__ float shared[];  // [kWarps, Dh] accumulators
  __shared__ float warp_max[kWarps], warp_sum[kWarps];
  if (lane == 0) {
    warp_max[warp] = max;
    warp_sum[warp] = sum;
  }
#pragma unroll
  for (int i = 0; i < kMaxPerLane; ++i) {
    const int64_t d = lane + 32 * i;
    if (d < Dh) shared[warp * Dh + d] = acc[i];
  }
  __syncthreads();
  float block_max = -INFINITY;
  for (int w = 0; w < kWarps; ++w) block_max = fmaxf(block_max, warp_max[w]);
  const int64_t out = (n * Hq + h) * splits + split;
  if (block_max == -INFINITY) {  // no keys in this split
    if (threadIdx.x == 0) {
      part_max[out] = -INFINITY;
      part_sum[out] = 0.f;
    }
    for (int64_t d = threadIdx.x; d < Dh; d += blockDim.x) part_acc[out * Dh + d] = 0.f;
    return;
  }
  float weights[kWarps];
  float block_sum = 0.f;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) {
    weights[w] = warp_max[w] == -INFINITY ? 0.f : __expf(warp_max[w] - block_max);
    block_sum += weights[w] * warp_sum[w];
  }
  if (threadIdx.x == 0) {
    part_max[out] = block_max;
    part_sum[out] = block_sum;
  }
  for (int64_t d = threadIdx.x; d < Dh; d += blockDim.x) {
    float total = 0.f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) total += weights[w] * shared[w * Dh + d];
    part_acc[out * Dh + d] = total;
  }
}

__global__ void attention_merge(const float* part_max, const float* part_sum,
                                const float* part_acc, const int64_t* lengths, float* out,
                                int splits, int64_t Hq, int64_t Lmax, int64_t Dh) {
  const int64_t head = blockIdx.x;  // n * Hq + h
  const int64_t n = head / Hq;
  const int64_t length = lengths[n];
  float* o = out + head * Dh;
  if (length < 1 || length > Lmax) {
    for (int64_t d = threadIdx.x; d < Dh; d += blockDim.x) o[d] = NAN;
    return;
  }
  const float* maxes = part_max + head * splits;
  const float* sums = part_sum + head * splits;
  float top = -INFINITY;
  for (int s = 0; s < splits; ++s) top = fmaxf(top, maxes[s]);
  float denominator = 0.f;
  for (int s = 0; s < splits; ++s)
    if (maxes[s] != -INFINITY) denominator += __expf(maxes[s] - top) * sums[s];
  const float inverse = 1.f / denominator;
  for (int64_t d = threadIdx.x; d < Dh; d += blockDim.x) {
    float total = 0.f;
    for (int s = 0; s < splits; ++s)
      if (maxes[s] != -INFINITY) total += __expf(maxes[s] - top) * part_acc[(head * splits + s) * Dh + d];
    o[d] = total * inverse;
  }
}

// Splits per head: about four blocks per SM in all, no split under kMinKeysPerSplit keys.
int choose_splits(int64_t heads, int64_t Lmax, int& splits) {
  int device = 0, sms = 0;
  cudaError_t error = cudaGetDevice(&device);
  if (error == cudaSuccess) error = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (error != cudaSuccess) return fail(S4J_E_DEVICE, "decode_attention: %s", cudaGetErrorString(error));
  const int64_t wanted = ceil_div(int64_t(4) * sms, heads);
  const int64_t most = std::max<int64_t>(1, std::min<int64_t>(1024, Lmax / kMinKeysPerSplit));
  splits = int(std::max<int64_t>(1, std::min(wanted, most)));
  return S4J_OK;
}

}  // namespace
}  // namespace s4j_cuda

using namespace s4j_cuda;

extern "C" int s4j_decode_attention_f32_cuda(const float* q, const float* k_cache,
                                             const float* v_cache, const int64_t* lengths,
                                             double scale, float* out, int64_t N, int64_t Hq,
                                             int64_t Hkv, int64_t Lmax, int64_t Dh) {
  const char* op = "decode_attention";
  if (N < 0 || Hq < 1 || Hkv < 1 || Lmax < 1 || Dh < 1)
    return fail(S4J_E_ARGUMENT, "%s: invalid sizes N=%lld Hq=%lld Hkv=%lld Lmax=%lld Dh=%lld", op,
                (long long)N, (long long)Hq, (long long)Hkv, (long long)Lmax, (long long)Dh);
  if (Hq % Hkv != 0)
    return fail(S4J_E_ARGUMENT, "%s: Hq=%lld query heads is not a multiple of Hkv=%lld kv heads",
                op, (long long)Hq, (long long)Hkv);
  if (Dh > 32 * kMaxPerLane)
    return fail(S4J_E_ARGUMENT, "%s: head size Dh=%lld exceeds the CUDA kernel's limit of %d", op,
                (long long)Dh, 32 * kMaxPerLane);
  if (N > 65535 || Hq > 65535)
    return fail(S4J_E_ARGUMENT, "%s: N=%lld or Hq=%lld exceeds 65535 (grid limit)", op,
                (long long)N, (long long)Hq);
  if (N == 0) return S4J_OK;
  int splits = 1;
  S4J_CUDA_TRY(choose_splits(N * Hq, Lmax, splits));
  const int64_t heads = N * Hq;
  float* part = workspace().floats(heads * splits * (Dh + 2));
  if (!part) return last_status();
  float* part_max = part;
  float* part_sum = part + heads * splits;
  float* part_acc = part + 2 * heads * splits;
  const size_t shared = size_t(kWarps) * size_t(Dh) * sizeof(float);
  attention_partial<<<dim3(unsigned(splits), unsigned(Hq), unsigned(N)), kWarps * 32, shared>>>(
      q, k_cache, v_cache, lengths, float(scale), part_max, part_sum, part_acc, Hq, Hkv, Lmax, Dh);
  S4J_CUDA_CHECK_LAUNCH("attention_partial");
  attention_merge<<<unsigned(heads), 128>>>(part_max, part_sum, part_acc, lengths, out, splits, Hq, Lmax, Dh);
  S4J_CUDA_CHECK_LAUNCH("attention_merge");
  return S4J_OK;
}
