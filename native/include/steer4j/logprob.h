/* Fused sequence log-probability of a causal LM's responses (the quantity DPO compares):
 *
 *   logp[n] = sum_t mask[n, t] * log_softmax(logits[n, t, :])[labels[n, t]]
 *
 * Rows: R = N * L positions, each a contiguous row of V logits (logits [N, L, V] row-major).
 * labels [N, L] (int64) are ALREADY ALIGNED with the logits: position t scores labels[n, t].
 * A causal LM's logits at t predict token t + 1, so callers shift (labels = input_ids[:, 1:]
 * with logits[:, :-1], or input_ids shifted left by one with the last position masked out;
 * the Java helper ResponseLabels does the latter). mask [N, L]: 0 = not scored (prompt,
 * padding); any other value weights the token's log-prob (normally 1).
 *
 * Forward streams each row's V logits once, in chunks (per chunk: its max, the running
 * sum-of-exponentials rescaled to the new max, then the chunk's exponentials), so nothing of
 * size [N, L, V] is written. Rows whose mask is 0 are not read at all and their label is not
 * looked at (so -100 "ignore" labels on padding are fine); a label outside [0, V) at a scored
 * position is refused with S4J_E_ARGUMENT (the CUDA forward checks this on the device and
 * synchronises once to report it). Saved for backward: lse [N, L], each scored row's
 * log-sum-exp (0 in rows that are not scored).
 *
 * Backward, given dlogp [N]:
 *   dlogits[n, t, v] = dlogp[n] * mask[n, t] * (onehot(labels[n, t])_v - softmax(logits[n, t])_v)
 * written over the whole [N, L, V] buffer (zeros in rows that are not scored). dlogits may BE
 * the logits buffer (in place, to save an [N, L, V] allocation: every element is read before it
 * is overwritten), but must not overlap it otherwise. The logits are then gone.
 *
 * Types: f32 and f64 - every floating buffer has the kernel's type. bf16 - logits and dlogits
 * are bfloat16 (raw uint16_t bits); mask, logp, lse and dlogp are float32 and the arithmetic is
 * float32 (a sum of hundreds of log-probs in bfloat16 would lose the DPO margin). */
#ifndef STEER4J_LOGPROB_H
#define STEER4J_LOGPROB_H

#include "steer4j/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define S4J_LOGPROB_DECLARE(T, F, SUFFIX)                                                      \
  int s4j_logprob_forward_##SUFFIX(const T* logits, const int64_t* labels, const F* mask,       \
                                   F* logp, F* lse, int64_t N, int64_t L, int64_t V);          \
  int s4j_logprob_backward_##SUFFIX(const F* dlogp, const T* logits, const int64_t* labels,    \
                                    const F* mask, const F* lse, T* dlogits, int64_t N,        \
                                    int64_t L, int64_t V);

/* CPU (OpenMP; rows split into fixed blocks per thread, so results are bitwise repeatable) */
S4J_LOGPROB_DECLARE(float, float, f32)
S4J_LOGPROB_DECLARE(double, double, f64)
S4J_LOGPROB_DECLARE(uint16_t, float, bf16)
/* CUDA: same contract on device pointers (libsteer4j_cuda, loaded on first use). */
S4J_LOGPROB_DECLARE(float, float, f32_cuda)
S4J_LOGPROB_DECLARE(uint16_t, float, bf16_cuda)

#undef S4J_LOGPROB_DECLARE

#ifdef __cplusplus
}
#endif
#endif
