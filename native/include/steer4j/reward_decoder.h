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
 * Synchronised batch norm (data parallel, PyTorch's SyncBatchNorm): the batch statistics can be
 * those of a batch spread over several processes. A training call then runs in two stages
 * around a sum the caller does across the processes: stage 1 writes this process's per-feature
 * sums to `stats` and stops; the caller replaces them by their sum over the processes; stage 2
 * reads those and finishes, with `batch_rows` the rows of the whole batch. Forward sums are
 * (pre, pre^2), backward ones (dx * xhat, dx) where dx is the gradient at BN's output: the two
 * terms BN's input gradient subtracts. Stage 0 is the whole call over this process's rows.
 *
 * All the arguments of a call travel in one descriptor, s4j_reward_decoder_args, shared by
 * forward and backward (each reads the fields it needs and ignores the others: zero them). Its
 * buffers are untyped; the entry point's suffix gives their element type (f32: float, f64:
 * double). The kernel reads the descriptor during the call only.
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

/* R = B * N rows. "fwd" / "bwd": the direction that reads (in) or writes (out) a field. */
typedef struct s4j_reward_decoder_args {
  /* inputs */
  const void* t;       /* fwd, bwd in  [R, Du]  t, or u with a folded projection */
  const void* z;       /* fwd, bwd in  [B, Dz]  NULL when Dz = 0 */
  const void* w1t;     /* fwd, bwd in  [H, Dt] */
  const void* w1z;     /* fwd, bwd in  [H, Dz]  NULL when Dz = 0 */
  const void* gamma;   /* fwd, bwd in  [H] */
  const void* beta;    /* fwd, bwd in  [H] */
  const void* w2;      /* fwd, bwd in  [O, H] */
  const void* b2;      /* fwd in       [O] */
  const void* proj_w;  /* fwd, bwd in  [Dt, Du] folded projection, or NULL (then Du = Dt) */
  const void* proj_b;  /* fwd, bwd in  [Dt]     with proj_w */
  /* batch norm state: read in evaluation, updated by a training forward when not NULL */
  void* running_mean;  /* fwd in/out   [H] */
  void* running_var;   /* fwd in/out   [H] */
  /* forward outputs; pre, mean and invstd are saved for backward */
  void* r;             /* fwd out      [R, O] */
  void* pre;           /* fwd out, bwd in [R, H] */
  void* mean;          /* fwd out, bwd in [H] */
  void* invstd;        /* fwd out, bwd in [H] */
  /* backward: the output gradient in, the gradients out (each one whose pointer is not NULL) */
  const void* dr;      /* bwd in       [R, O] */
  void* dt;            /* bwd out      [R, Du] gradient of the input (t, or u) */
  void* dz;            /* bwd out      [B, Dz] */
  void* dw1t;          /* bwd out      [H, Dt] */
  void* dw1z;          /* bwd out      [H, Dz] */
  void* dgamma;        /* bwd out      [H] */
  void* dbeta;         /* bwd out      [H] */
  void* dw2;           /* bwd out      [O, H] */
  void* db2;           /* bwd out      [O] */
  void* dproj_w;       /* bwd out      [Dt, Du] */
  void* dproj_b;       /* bwd out      [Dt] */
  /* workspace */
  void* zproj;         /* fwd          [B, H] when Dz > 0 */
  void* work;          /* fwd [H, Du], bwd [2, H, Du]; with a projection only */
  void* da;            /* bwd          [R, H] */
  void* du;            /* bwd          [B, H] when Dz > 0 or with a projection */
  void* stats;         /* fwd, bwd in/out [2, H] double: the stages' per-feature sums (stages 1 and 2) */
  /* sizes */
  int64_t B, N, Dt, Du, Dz, H, O;
  int64_t batch_rows;  /* fwd, bwd: rows the statistics are over in stage 2 (all processes') */
  int64_t stage;       /* fwd, bwd: S4J_RD_WHOLE, S4J_RD_LOCAL_SUMS or S4J_RD_FROM_SUMS */
  /* batch norm settings */
  double momentum;     /* fwd: running statistics' update rate (training) */
  double eps;          /* fwd: added to the variance */
  int32_t training;    /* fwd, bwd: 1 = batch statistics, 0 = running statistics */
} s4j_reward_decoder_args;

/* Stages of a call (s4j_reward_decoder_args.stage). Stages 1 and 2 are training calls on the
 * CPU, the same descriptor for both (stage 2 reads what stage 1 left in pre and the gradients). */
#define S4J_RD_WHOLE 0      /* the whole call, statistics over this call's rows */
#define S4J_RD_LOCAL_SUMS 1 /* up to the per-feature sums, written to stats */
#define S4J_RD_FROM_SUMS 2  /* the rest, from the sums in stats over batch_rows rows */

#define S4J_RD_DECLARE(SUFFIX)                                                  \
  int s4j_reward_decoder_forward_##SUFFIX(const s4j_reward_decoder_args* args);  \
  int s4j_reward_decoder_backward_##SUFFIX(const s4j_reward_decoder_args* args);

/* CPU (OpenMP + OpenBLAS) */
S4J_RD_DECLARE(f32)
S4J_RD_DECLARE(f64)
/* CUDA: same contract on device pointers (libsteer4j_cuda, loaded on first use); the
 * descriptor itself is host memory. */
S4J_RD_DECLARE(f32_cuda)

#undef S4J_RD_DECLARE

/* The descriptor's layout as this library was compiled: out[0] = sizeof, then the offsetof of
 * every field in declaration order. Writes min(count, capacity) entries and returns count.
 * _names: the fields' names in the same order, space-separated. Bindings in other languages
 * (Java, Python ctypes) check their own layout and field order against them. */
int s4j_reward_decoder_args_layout(int64_t* out, int capacity);
const char* s4j_reward_decoder_args_names(void);

#ifdef __cplusplus
}
#endif
#endif
