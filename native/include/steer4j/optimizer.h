/* Fused Adam / AdamW step: one pass over a parameter tensor and its gradient and moments.
 *
 * For i < n, with t = step (>= 1) and bias corrections c1 = 1 - beta1^t, c2 = 1 - beta2^t:
 *   g = grad[i] (+ weight_decay * param[i] when !decoupled: Adam's L2 term)
 *   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
 *   param[i] -= lr * weight_decay * param[i]        (decoupled: AdamW, before the update)
 *   param[i] -= (lr / c1) * m / (sqrt(v) / sqrt(c2) + eps)
 * exactly as torch.optim.Adam / AdamW (amsgrad off). The seven passes of the eager update
 * (and their temporaries) become one. */
#ifndef STEER4J_OPTIMIZER_H
#define STEER4J_OPTIMIZER_H

#include "steer4j/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define S4J_ADAM_DECLARE(T, SUFFIX)                                                          \
  int s4j_adam_step_##SUFFIX(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t n,  \
                             double lr, double beta1, double beta2, double eps,             \
                             double weight_decay, int decoupled, int64_t step);

S4J_ADAM_DECLARE(float, f32)
S4J_ADAM_DECLARE(double, f64)
S4J_ADAM_DECLARE(float, f32_cuda)

#undef S4J_ADAM_DECLARE

#ifdef __cplusplus
}
#endif
#endif
