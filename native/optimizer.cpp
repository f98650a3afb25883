// Fused Adam / AdamW step on the CPU (see include/steer4j/optimizer.h): one vectorised,
// OpenMP-parallel pass; elementwise, so any thread count gives the same bits.
#include "steer4j/optimizer.h"
#include "internal.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

namespace s4j {
namespace {

template <typename T>
int adam(T* p, const T* g, T* m, T* v, int64_t n, double lr, double beta1, double beta2,
         double eps, double weight_decay, int decoupled, int64_t step) {
  if (n < 0 || step < 1) return fail(S4J_E_ARGUMENT, "adam_step: n=%lld step=%lld", (long long)n, (long long)step);
  if (n > 0 && (!p || !g || !m || !v)) return fail(S4J_E_ARGUMENT, "adam_step: a pointer is NULL");
  const double c1 = 1 - std::pow(beta1, double(step)), c2 = 1 - std::pow(beta2, double(step));
  const T b1 = T(beta1), b2 = T(beta2), one_b1 = T(1 - beta1), one_b2 = T(1 - beta2);
  const T step_size = T(lr / c1), inv_sqrt_c2 = T(1 / std::sqrt(c2)), e = T(eps);
  const T l2 = decoupled ? T(0) : T(weight_decay), shrink = decoupled ? T(1 - lr * weight_decay) : T(1);
  const int nt = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads(), n / 65536 + 1)));
#pragma omp parallel for simd num_threads(nt) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const T gi = g[i] + l2 * p[i];
    const T mi = b1 * m[i] + one_b1 * gi;
    const T vi = b2 * v[i] + one_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * shrink - step_size * mi / (std::sqrt(vi) * inv_sqrt_c2 + e);
  }
  return S4J_OK;
}

}  // namespace
}  // namespace s4j

extern "C" {

int s4j_adam_step_f32(float* p, const float* g, float* m, float* v, int64_t n, double lr,
                      double beta1, double beta2, double eps, double weight_decay, int decoupled,
                      int64_t step) {
  return s4j::adam<float>(p, g, m, v, n, lr, beta1, beta2, eps, weight_decay, decoupled, step);
}

int s4j_adam_step_f64(double* p, const double* g, double* m, double* v, int64_t n, double lr,
                      double beta1, double beta2, double eps, double weight_decay, int decoupled,
                      int64_t step) {
  return s4j::adam<double>(p, g, m, v, n, lr, beta1, beta2, eps, weight_decay, decoupled, step);
}
}
