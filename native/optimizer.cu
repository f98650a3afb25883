// Fused Adam / AdamW step on the GPU (see include/steer4j/optimizer.h): a grid-stride loop,
// one read and one write per element of parameter and moments.
#include "steer4j/optimizer.h"
#include "cuda_common.cuh"

#include <cmath>

namespace {
__global__ void adam_kernel(float* p, const float* g, float* m, float* v, int64_t n, float b1,
                            float b2, float step_size, float inv_sqrt_c2, float eps, float l2,
                            float shrink) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float gi = g[i] + l2 * p[i];
    const float mi = b1 * m[i] + (1.f - b1) * gi;
    const float vi = b2 * v[i] + (1.f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * shrink - step_size * mi / (sqrtf(vi) * inv_sqrt_c2 + eps);
  }
}
}  // namespace

extern "C" int s4j_adam_step_f32_cuda(float* p, const float* g, float* m, float* v, int64_t n,
                                      double lr, double beta1, double beta2, double eps,
                                      double weight_decay, int decoupled, int64_t step) {
  if (n < 0 || step < 1) return s4j_cuda::fail(S4J_E_ARGUMENT, "adam_step: n=%lld step=%lld", (long long)n, (long long)step);
  if (n == 0) return S4J_OK;
  const double c1 = 1 - std::pow(beta1, double(step)), c2 = 1 - std::pow(beta2, double(step));
  const int blocks = int(std::min<int64_t>(s4j_cuda::ceil_div(n, 256), 65535));
  adam_kernel<<<blocks, 256>>>(p, g, m, v, n, float(beta1), float(beta2), float(lr / c1),
                               float(1 / std::sqrt(c2)), float(eps),
                               decoupled ? 0.f : float(weight_decay),
                               decoupled ? float(1 - lr * weight_decay) : 1.f);
  S4J_CUDA_CHECK_LAUNCH("adam_step");
  return S4J_OK;
}
