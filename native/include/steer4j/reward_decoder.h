/* Fused conditioned reward decoder: r = W2 . relu(BN(W1 . [t ; z])) + b2.
 *
 * Rows: R = B * N, where B is the number of tasks (users) and N the rows of one task
 * (targets x options); row i belongs to task i / N. t is [R, Dt] (target encodings), z is
 * [B, Dz] (one latent per task). W1 = [W1t | W1z] is split into its t half [H, Dt] and z
 * half [H, Dz] (PyTorch Linear layout: out x in, no bias because BN follows), so z is
 * projected once per task and broadcast instead of materialising the [R, Dt + Dz] concat.
 * Dz = 0 (z, w1z NULL) gives the unconditioned decoder of BTL / DPL.
 * BN (BatchNorm1d over the R rows): gamma, beta [H]; training = 1 normalises with the batch
 * statistics (biased variance) and updates running_mean / running_var (when not NULL) with
 * `momentum` and the unbiased variance, as PyTorch does (except that one row, whose unbiased
 * variance is undefined, leaves running_var unchanged); training = 0 normalises
 * with running_mean / running_var. W2 is [O, H], b2 [O], r [R, O].
 *
 * Folded target projection (optional): with proj_w [Dt, Du] and proj_b [Dt] (the target
 * encoder's last Linear, whose output t feeds nothing but this decoder), the input is u [R, Du]
 * and t = u . proj_w^T + proj_b is never formed: W1t . t = (W1t . proj_w) . u + W1t . proj_b,
 * one R x H x Du product forward instead of two, and two backward instead of four. Without it
 * (proj_w NULL) the input is t itself and Du is Dt.
 *
 * Saved for backward (caller-owned): pre [R, H] = W1 . [t ; z] before BN, mean and invstd [H]
 * (the statistics used: batch ones in training, running ones in evaluation).
 * Workspace: zproj [B, H] and work [H, Du] (forward), da [R, H], du [B, H] and work [2, H, Du]
 * (backward; work only with a projection). Backward writes (overwrites) every gradient whose
 * pointer is not NULL; dt is the gradient of the input (t, or u with a projection). */
#ifndef STEER4J_REWARD_DECODER_H
#define STEER4J_REWARD_DECODER_H

#include "steer4j/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define S4J_RD_DECLARE(T, SUFFIX)                                                            \
  int s4j_rd_forward_##SUFFIX(const T* t, const T* z, const T* w1t, const T* w1z,              \
                              const T* gamma, const T* beta, const T* w2, const T* b2,         \
                              const T* proj_w, const T* proj_b, T* running_mean,               \
                              T* running_var, double momentum, double eps, int training, T* r, \
                              T* pre, T* zproj, T* work, T* mean, T* invstd, int64_t B,        \
                              int64_t N, int64_t Dt, int64_t Du, int64_t Dz, int64_t H,        \
                              int64_t O);                                                      \
  int s4j_rd_backward_##SUFFIX(const T* dr, const T* t, const T* z, const T* w1t,              \
                               const T* w1z, const T* gamma, const T* beta, const T* w2,       \
                               const T* proj_w, const T* proj_b, const T* pre, const T* mean,  \
                               const T* invstd, int training, T* dt, T* dz, T* dw1t, T* dw1z,  \
                               T* dgamma, T* dbeta, T* dw2, T* db2, T* dproj_w, T* dproj_b,    \
                               T* da, T* du, T* work, int64_t B, int64_t N, int64_t Dt,        \
                               int64_t Du, int64_t Dz, int64_t H, int64_t O);

/* CPU (OpenMP + OpenBLAS) */
S4J_RD_DECLARE(float, f32)
S4J_RD_DECLARE(double, f64)
/* CUDA: same contract on device pointers (libsteer4j_cuda, loaded on first use). */
S4J_RD_DECLARE(float, f32_cuda)

#undef S4J_RD_DECLARE

#ifdef __cplusplus
}
#endif
#endif
