// Decode-step attention over a KV cache, CPU (see include/steer4j/attention.h).
//
// Work item = (sequence, kv head, split of the cache). One item serves all G query heads that
// share its kv head, so each cached key and value row is read from memory once per item, not
// G times. Keys stream by in tiles: the tile's scores for the G heads, then an online-softmax
// update (rescale the running sum and accumulator when the max grows), then the weighted sum of
// the tile's value rows. With fewer (sequence, kv head) pairs than threads, the cache is split
// so every thread has work; the splits' partial (max, sum, accumulator) are merged in split
// order, so a fixed thread count gives bitwise repeatable results.
#include "steer4j/attention.h"
#include "cpu_math.h"
#include "internal.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace s4j {
namespace {

constexpr int64_t kTile = 16;           // keys scored together (scores stay in registers / L1)
constexpr int64_t kMinKeysPerSplit = 256;  // below this a split costs more to merge than it saves

struct Shape {
  int64_t N, Hq, Hkv, Lmax, Dh;
  int64_t group() const { return Hq / Hkv; }
};

template <typename T>
int check(const T* q, const T* k, const T* v, const int64_t* lengths, const T* out,
          const Shape& s) {
  const char* op = "decode_attention";
  if (s.N < 0 || s.Hq < 1 || s.Hkv < 1 || s.Lmax < 1 || s.Dh < 1)
    return fail(S4J_E_ARGUMENT, "%s: invalid sizes N=%lld Hq=%lld Hkv=%lld Lmax=%lld Dh=%lld", op,
                (long long)s.N, (long long)s.Hq, (long long)s.Hkv, (long long)s.Lmax,
                (long long)s.Dh);
  if (s.Hq % s.Hkv != 0)
    return fail(S4J_E_ARGUMENT, "%s: Hq=%lld query heads is not a multiple of Hkv=%lld kv heads",
                op, (long long)s.Hq, (long long)s.Hkv);
  if (s.N == 0) return S4J_OK;
  if (!q || !k || !v || !lengths || !out)
    return fail(S4J_E_ARGUMENT, "%s: q, k_cache, v_cache, lengths and out must not be NULL", op);
  for (int64_t n = 0; n < s.N; ++n)
    if (lengths[n] < 1 || lengths[n] > s.Lmax)
      return fail(S4J_E_ARGUMENT, "%s: lengths[%lld] = %lld is outside [1, Lmax=%lld]", op,
                  (long long)n, (long long)lengths[n], (long long)s.Lmax);
  return S4J_OK;
}

// Running state of one query head over a range of keys: max, sum of exp(score - max) and
// sum of exp(score - max) * value.
template <typename T>
struct Partial {
  T* max;  // [G]
  T* sum;  // [G]
  T* acc;  // [G, Dh]
};

// Attends the G query heads q [G, Dh] to keys and values [t0, t1) of one kv head.
template <typename T>
void attend_range(const T* q, const T* k, const T* v, int64_t t0, int64_t t1, int64_t G,
                  int64_t Dh, T scale, Partial<T> part, T* scores /* [G, kTile] */) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  std::fill(part.max, part.max + G, kNegInf);
  std::fill(part.sum, part.sum + G, T(0));
  std::fill(part.acc, part.acc + G * Dh, T(0));
  for (int64_t t = t0; t < t1; t += kTile) {
    const int64_t nk = std::min(kTile, t1 - t);
    for (int64_t j = 0; j < nk; ++j) {
      const T* key = k + (t + j) * Dh;
      for (int64_t g = 0; g < G; ++g) {
        const T* qg = q + g * Dh;
        T dot = 0;
#pragma omp simd reduction(+ : dot)
        for (int64_t d = 0; d < Dh; ++d) dot += qg[d] * key[d];
        scores[g * kTile + j] = dot * scale;
      }
    }
    for (int64_t g = 0; g < G; ++g) {
      T* p = scores + g * kTile;
      T tile_max = kNegInf;
      for (int64_t j = 0; j < nk; ++j) tile_max = std::max(tile_max, p[j]);
      const T new_max = std::max(part.max[g], tile_max);
      if (new_max > part.max[g]) {  // rescale what was summed against the old max
        const T correction = exp_nonpositive(part.max[g] - new_max);  // 0 on the first tile
        part.sum[g] *= correction;
        T* acc = part.acc + g * Dh;
#pragma omp simd
        for (int64_t d = 0; d < Dh; ++d) acc[d] *= correction;
        part.max[g] = new_max;
      }
      T tile_sum = 0;
#pragma omp simd reduction(+ : tile_sum)
      for (int64_t j = 0; j < nk; ++j) {
        p[j] = exp_nonpositive(p[j] - new_max);
        tile_sum += p[j];
      }
      part.sum[g] += tile_sum;
    }
    for (int64_t j = 0; j < nk; ++j) {
      const T* value = v + (t + j) * Dh;
      for (int64_t g = 0; g < G; ++g) {
        const T weight = scores[g * kTile + j];
        T* acc = part.acc + g * Dh;
#pragma omp simd
        for (int64_t d = 0; d < Dh; ++d) acc[d] += weight * value[d];
      }
    }
  }
}

template <typename T>
int decode_attention(const T* q, const T* k, const T* v, const int64_t* lengths, double scale,
                     T* out, Shape s) {
  if (int status = check(q, k, v, lengths, out, s)) return status;
  if (s.N == 0) return S4J_OK;
  const int64_t G = s.group(), Dh = s.Dh, pairs = s.N * s.Hkv;
  const int64_t max_splits = std::max<int64_t>(1, s.Lmax / kMinKeysPerSplit);
  const int64_t splits = std::min(max_splits, std::max<int64_t>(1, (threads() + pairs - 1) / pairs));
  const int64_t items = pairs * splits;
  std::vector<T> maxes(items * G), sums(items * G), accs(items * G * Dh);
  const int nt = static_cast<int>(std::min<int64_t>(threads(), items));
#pragma omp parallel num_threads(nt)
  {
    std::vector<T> scores(G * kTile);
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t pair = item / splits, split = item % splits;
      const int64_t n = pair / s.Hkv, kv_head = pair % s.Hkv;
      int64_t t0, t1;
      thread_block(lengths[n], int(split), int(splits), t0, t1);
      const int64_t cache = (n * s.Hkv + kv_head) * s.Lmax * Dh;
      attend_range<T>(q + (n * s.Hq + kv_head * G) * Dh, k + cache, v + cache, t0, t1, G, Dh,
                      T(scale), Partial<T>{&maxes[item * G], &sums[item * G], &accs[item * G * Dh]},
                      scores.data());
    }
  }
  // Merge the splits of every query head in split order.
  for (int64_t pair = 0; pair < pairs; ++pair) {
    const int64_t n = pair / s.Hkv, kv_head = pair % s.Hkv;
    for (int64_t g = 0; g < G; ++g) {
      T* o = out + (n * s.Hq + kv_head * G + g) * Dh;
      T max = -std::numeric_limits<T>::infinity();
      for (int64_t split = 0; split < splits; ++split) max = std::max(max, maxes[(pair * splits + split) * G + g]);
      T denominator = 0;
      std::fill(o, o + Dh, T(0));
      for (int64_t split = 0; split < splits; ++split) {
        const int64_t at = (pair * splits + split) * G + g;
        if (sums[at] == T(0)) continue;  // empty split (max = -inf)
        const T weight = exp_nonpositive(maxes[at] - max);
        denominator += weight * sums[at];
        const T* acc = &accs[at * Dh];
#pragma omp simd
        for (int64_t d = 0; d < Dh; ++d) o[d] += weight * acc[d];
      }
      const T inverse = T(1) / denominator;
#pragma omp simd
      for (int64_t d = 0; d < Dh; ++d) o[d] *= inverse;
    }
  }
  return S4J_OK;
}

}  // namespace
}  // namespace s4j

#define S4J_DECODE_ATTENTION_DEFINE(T, SUFFIX)                                                \
  int s4j_decode_attention_##SUFFIX(const T* q, const T* k_cache, const T* v_cache,            \
                                    const int64_t* lengths, double scale, T* out, int64_t N,   \
                                    int64_t Hq, int64_t Hkv, int64_t Lmax, int64_t Dh) {       \
    return s4j::decode_attention<T>(q, k_cache, v_cache, lengths, scale, out,                  \
                                    s4j::Shape{N, Hq, Hkv, Lmax, Dh});                         \
  }

extern "C" {
S4J_DECODE_ATTENTION_DEFINE(float, f32)
S4J_DECODE_ATTENTION_DEFINE(double, f64)
}
