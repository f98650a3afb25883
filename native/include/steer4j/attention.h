/* Decode-step attention over a KV cache: one new query token per sequence attends to the keys
 * and values cached for that sequence (inference only, no backward).
 *
 *   out[n, h] = sum_{t < lengths[n]} softmax_t(scale * q[n, h] . k[n, h / G, t]) v[n, h / G, t]
 *
 * q [N, Hq, Dh]; k_cache, v_cache [N, Hkv, Lmax, Dh] (right-padded: positions >= lengths[n]
 * are never read); lengths [N] int64, each in [1, Lmax]; out [N, Hq, Dh]. Grouped-query
 * attention: Hq = G * Hkv and query head h reads kv head h / G (consecutive query heads share
 * a kv head, as in Hugging Face's repeat_kv), without materialising repeated keys. scale is
 * usually 1 / sqrt(Dh).
 *
 * The softmax is online (running max and sum, rescaled as keys stream by), so no [Lmax] score
 * row is stored per head; long caches are split into chunks whose partial results are merged
 * in a fixed order (deterministic for a fixed thread count / device).
 * Lengths outside [1, Lmax]: the CPU kernels refuse them (S4J_E_ARGUMENT); the CUDA kernel,
 * which must not synchronise on every decode step to read them back, writes NaN into those
 * sequences' outputs instead. */
#ifndef STEER4J_ATTENTION_H
#define STEER4J_ATTENTION_H

#include "steer4j/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define S4J_DECODE_ATTENTION_DECLARE(T, SUFFIX)                                                \
  int s4j_decode_attention_##SUFFIX(const T* q, const T* k_cache, const T* v_cache,            \
                                    const int64_t* lengths, double scale, T* out, int64_t N,   \
                                    int64_t Hq, int64_t Hkv, int64_t Lmax, int64_t Dh);

/* CPU (OpenMP) */
S4J_DECODE_ATTENTION_DECLARE(float, f32)
S4J_DECODE_ATTENTION_DECLARE(double, f64)
/* CUDA: device pointers (libsteer4j_cuda, loaded on first use). */
S4J_DECODE_ATTENTION_DECLARE(float, f32_cuda)

#undef S4J_DECODE_ATTENTION_DECLARE

#ifdef __cplusplus
}
#endif
#endif
