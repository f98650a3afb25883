// Fused conditioned reward decoder, CUDA (float32, device pointers, default stream). Same
// contract as reward_decoder.cpp (see include/steer4j/reward_decoder.h). Needs only cudart:
// GEMMs run on a tiled kernel of our own (cuBLAS is not shipped with the presets).
// Reductions over rows are two-level (per-block partials, then a fixed-order sum), so results
// are deterministic.
#include "steer4j/reward_decoder.h"
#include "cuda_common.cuh"
#include "reward_decoder_layout.h"

namespace s4j_cuda {
namespace {

constexpr int kRowsPerBlock = 32;  // rows of one statistics block
constexpr int kThreads = 256;

// pre[i] += zproj[i / N] (when Dz > 0) + bias (when given); per-block partial sums of pre and
// pre^2 (double) in training.
__global__ void add_latent_and_stats(float* pre, const float* zproj, const float* bias,
                                     double* partial, int64_t R, int64_t N, int64_t H,
                                     int64_t Dz, int training) {
  const int64_t i0 = int64_t(blockIdx.x) * kRowsPerBlock;
  const int64_t i1 = min(R, i0 + kRowsPerBlock);
  for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
    double sum = 0, sq = 0;
    const float add = bias ? bias[j] : 0.f;
    for (int64_t i = i0; i < i1; ++i) {
      float a = pre[i * H + j];
      if (Dz > 0 || bias) {
        a += (Dz > 0 ? zproj[(i / N) * H + j] : 0.f) + add;
        pre[i * H + j] = a;
      }
      sum += a;
      sq += double(a) * a;
    }
    if (training) {
      partial[(2 * int64_t(blockIdx.x)) * H + j] = sum;
      partial[(2 * int64_t(blockIdx.x) + 1) * H + j] = sq;
    }
  }
}

// s[j] = sum over b of du[b, j] (column sums of the per-task gradient sums).
__global__ void column_sum(const float* du, float* s, int64_t B, int64_t H) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= H) return;
  float acc = 0;
  for (int64_t b = 0; b < B; ++b) acc += du[b * H + j];
  s[j] = acc;
}

__global__ void finalize_stats(const double* partial, int blocks, const float* gamma,
                               const float* beta, float* running_mean, float* running_var,
                               double momentum, double eps, int training, float* mean,
                               float* invstd, float* scale, int64_t R, int64_t H) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= H) return;
  double mu, var;
  if (training) {
    double sum = 0, sq = 0;
    for (int b = 0; b < blocks; ++b) {
      sum += partial[(2 * int64_t(b)) * H + j];
      sq += partial[(2 * int64_t(b) + 1) * H + j];
    }
    mu = sum / R;
    var = fmax(sq / R - mu * mu, 0.0);
    if (running_mean) running_mean[j] = float((1 - momentum) * running_mean[j] + momentum * mu);
    // The unbiased variance of one row is 0/0: PyTorch would store NaN; we keep the old value.
    if (running_var && R > 1)
      running_var[j] = float((1 - momentum) * running_var[j] + momentum * var * R / (R - 1));
  } else {
    mu = running_mean[j];
    var = running_var[j];
  }
  mean[j] = float(mu);
  invstd[j] = float(1.0 / sqrt(var + eps));
  scale[j] = gamma[j] * invstd[j];
}

__global__ void compute_scale(const float* gamma, const float* invstd, float* scale, int64_t H) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= H) return;
  scale[j] = gamma[j] * invstd[j];
}

// BN + ReLU input: (a - mean) * gamma * invstd + beta (the mean subtracted first: no
// cancellation when invstd is large).
__device__ inline float bn(float a, const float* mean, const float* scale, const float* beta, int64_t j) {
  return (a - mean[j]) * scale[j] + beta[j];
}

// One warp per row: r[i, o] = relu(bn(pre_i)) . W2[o] + b2[o].
__global__ void output_layer(const float* pre, const float* mean, const float* scale, const float* beta,
                             const float* w2, const float* b2, float* r, int64_t R, int64_t H,
                             int64_t O) {
  const int64_t i = int64_t(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (i >= R) return;
  const float* a = pre + i * H;
  for (int64_t o = 0; o < O; ++o) {
    float acc = 0;
    for (int64_t j = lane; j < H; j += 32)
      acc += fmaxf(bn(a[j], mean, scale, beta, j), 0.f) * w2[o * H + j];
    acc = warp_sum(acc);
    if (lane == 0) r[i * O + o] = acc + b2[o];
  }
}

// Per block of rows: partial dW2 [O, H], dgamma [H], dbeta [H] and db2 [O] (double).
__global__ void backward_partials(const float* dr, const float* pre, const float* mean,
                                  const float* invstd, const float* scale, const float* beta,
                                  const float* w2, double* partial, int64_t R, int64_t H,
                                  int64_t O) {
  const int64_t i0 = int64_t(blockIdx.x) * kRowsPerBlock;
  const int64_t i1 = min(R, i0 + kRowsPerBlock);
  const int64_t width = (O + 2) * H + O;
  double* out = partial + int64_t(blockIdx.x) * width;
  for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
    double acc_gamma = 0, acc_beta = 0;
    for (int64_t o = 0; o < O; ++o) {
      double acc_w2 = 0;
      for (int64_t i = i0; i < i1; ++i)
        acc_w2 += double(dr[i * O + o]) * fmaxf(bn(pre[i * H + j], mean, scale, beta, j), 0.f);
      out[o * H + j] = acc_w2;
    }
    for (int64_t i = i0; i < i1; ++i) {
      const float a = pre[i * H + j];
      if (bn(a, mean, scale, beta, j) <= 0.f) continue;
      float dh = 0;
      for (int64_t o = 0; o < O; ++o) dh += dr[i * O + o] * w2[o * H + j];
      acc_gamma += double(dh) * ((a - mean[j]) * invstd[j]);
      acc_beta += dh;
    }
    out[O * H + j] = acc_gamma;
    out[(O + 1) * H + j] = acc_beta;
  }
  if (threadIdx.x < O) {
    double acc = 0;
    for (int64_t i = i0; i < i1; ++i) acc += dr[i * O + threadIdx.x];
    out[(O + 2) * H + threadIdx.x] = acc;
  }
}

__global__ void finalize_backward(const double* partial, int blocks, int64_t H, int64_t O,
                                  int64_t R, int training, float* dw2, float* db2, float* dgamma,
                                  float* dbeta, float* c_gamma, float* c_beta) {
  const int64_t width = (O + 2) * H + O;
  const int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (k >= width) return;
  double sum = 0;
  for (int b = 0; b < blocks; ++b) sum += partial[int64_t(b) * width + k];
  if (k < O * H) {
    if (dw2) dw2[k] = float(sum);
  } else if (k < (O + 1) * H) {
    if (dgamma) dgamma[k - O * H] = float(sum);
    c_gamma[k - O * H] = training ? float(sum / R) : 0.f;
  } else if (k < (O + 2) * H) {
    if (dbeta) dbeta[k - (O + 1) * H] = float(sum);
    c_beta[k - (O + 1) * H] = training ? float(sum / R) : 0.f;
  } else if (db2) {
    db2[k - (O + 2) * H] = float(sum);
  }
}

// da = scale * (dx - mean(dx) - xhat * mean(dx * xhat)) (evaluation: scale * dx).
__global__ void input_gradient(const float* dr, const float* pre, const float* mean,
                               const float* invstd, const float* scale, const float* beta,
                               const float* w2, const float* c_gamma, const float* c_beta,
                               float* da, int64_t R, int64_t H, int64_t O) {
  const int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (k >= R * H) return;
  const int64_t i = k / H, j = k % H;
  const float a = pre[k];
  float dx = 0;
  if (bn(a, mean, scale, beta, j) > 0.f)
    for (int64_t o = 0; o < O; ++o) dx += dr[i * O + o] * w2[o * H + j];
  const float xhat = (a - mean[j]) * invstd[j];
  da[k] = scale[j] * (dx - c_beta[j] - xhat * c_gamma[j]);
}

// du[b] = sum of da over the N rows of task b.
__global__ void task_sum(const float* da, float* du, int64_t N, int64_t H) {
  const int64_t b = blockIdx.x;
  for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
    float acc = 0;
    for (int64_t i = b * N; i < (b + 1) * N; ++i) acc += da[i * H + j];
    du[b * H + j] = acc;
  }
}

int check_sizes(const char* op, int64_t B, int64_t N, int64_t Dt, int64_t Du, int64_t Dz, int64_t H,
                int64_t O, bool project) {
  if (B < 0 || N < 0 || Dt <= 0 || Du <= 0 || Dz < 0 || H <= 0 || O <= 0 || O > kThreads)
    return fail(S4J_E_ARGUMENT, "%s: invalid sizes B=%lld N=%lld Dt=%lld Du=%lld Dz=%lld H=%lld O=%lld",
                op, (long long)B, (long long)N, (long long)Dt, (long long)Du, (long long)Dz, (long long)H, (long long)O);
  if (!project && Du != Dt) return fail(S4J_E_ARGUMENT, "%s: without a projection Du must equal Dt", op);
  return S4J_OK;
}

// The descriptor's untyped buffers as float device pointers.
const float* in(const void* p) { return static_cast<const float*>(p); }
float* out(void* p) { return static_cast<float*>(p); }

}  // namespace
}  // namespace s4j_cuda

using namespace s4j_cuda;

extern "C" {

int s4j_reward_decoder_forward_f32_cuda(const s4j_reward_decoder_args* args) {
  if (!args) return fail(S4J_E_ARGUMENT, "reward_decoder_forward: args is NULL");
  const s4j_reward_decoder_args& a = *args;
  const float *t = in(a.t), *z = in(a.z), *w1t = in(a.w1t), *w1z = in(a.w1z);
  const float *gamma = in(a.gamma), *beta = in(a.beta), *w2 = in(a.w2), *b2 = in(a.b2);
  const float *proj_w = in(a.proj_w), *proj_b = in(a.proj_b);
  float *running_mean = out(a.running_mean), *running_var = out(a.running_var);
  float *r = out(a.r), *pre = out(a.pre), *zproj = out(a.zproj), *work = out(a.work);
  float *mean = out(a.mean), *invstd = out(a.invstd);
  const double momentum = a.momentum, eps = a.eps;
  const int training = a.training;
  const int64_t B = a.B, N = a.N, Dt = a.Dt, Du = a.Du, Dz = a.Dz, H = a.H, O = a.O;
  const bool project = proj_w != nullptr;
  if (int status = check_sizes("reward_decoder_forward", B, N, Dt, Du, Dz, H, O, project)) return status;
  if (a.stage != S4J_RD_WHOLE)  // data-parallel reward models train on the CPU (RewardStep)
    return fail(S4J_E_ARGUMENT, "reward_decoder_forward: staged calls (synchronised batch norm) run on the CPU only");
  if (!training && (!running_mean || !running_var))
    return fail(S4J_E_ARGUMENT, "reward_decoder_forward: evaluation needs running statistics");
  if (project && (!proj_b || !work)) return fail(S4J_E_ARGUMENT, "reward_decoder_forward: a projection needs proj_b and work");
  const int64_t R = B * N;
  if (R == 0) return S4J_OK;
  const int blocks = int(ceil_div(R, kRowsPerBlock));
  Workspace& ws = workspace();
  double* partial = ws.doubles(2 * blocks * H);
  float* scale = ws.floats(2 * H);
  if (!partial || !scale) return last_status();
  float* bias = project ? scale + H : nullptr;

  if (project) {  // pre = u (W1t Wp)^T + W1t bp
    S4J_CUDA_TRY(gemm(false, false, H, Du, Dt, 1.f, w1t, proj_w, 0.f, work));
    S4J_CUDA_TRY(gemm(false, false, H, 1, Dt, 1.f, w1t, proj_b, 0.f, bias));
    S4J_CUDA_TRY(gemm(false, true, R, H, Du, 1.f, t, work, 0.f, pre));
  } else {
    S4J_CUDA_TRY(gemm(false, true, R, H, Dt, 1.f, t, w1t, 0.f, pre));
  }
  if (Dz > 0) S4J_CUDA_TRY(gemm(false, true, B, H, Dz, 1.f, z, w1z, 0.f, zproj));
  add_latent_and_stats<<<blocks, kThreads>>>(pre, zproj, bias, partial, R, N, H, Dz, training);
  S4J_CUDA_CHECK_LAUNCH("add_latent_and_stats");
  finalize_stats<<<int(ceil_div(H, kThreads)), kThreads>>>(partial, blocks, gamma, beta,
      running_mean, running_var, momentum, eps, training, mean, invstd, scale, R, H);
  S4J_CUDA_CHECK_LAUNCH("finalize_stats");
  output_layer<<<int(ceil_div(R, kThreads / 32)), kThreads>>>(pre, mean, scale, beta, w2, b2, r, R, H, O);
  S4J_CUDA_CHECK_LAUNCH("output_layer");
  return S4J_OK;
}

int s4j_reward_decoder_backward_f32_cuda(const s4j_reward_decoder_args* args) {
  if (!args) return fail(S4J_E_ARGUMENT, "reward_decoder_backward: args is NULL");
  const s4j_reward_decoder_args& a = *args;
  const float *dr = in(a.dr), *t = in(a.t), *z = in(a.z), *w1t = in(a.w1t), *w1z = in(a.w1z);
  const float *gamma = in(a.gamma), *beta = in(a.beta), *w2 = in(a.w2);
  const float *proj_w = in(a.proj_w), *proj_b = in(a.proj_b);
  const float *pre = in(a.pre), *mean = in(a.mean), *invstd = in(a.invstd);
  float *dt = out(a.dt), *dz = out(a.dz), *dw1t = out(a.dw1t), *dw1z = out(a.dw1z);
  float *dgamma = out(a.dgamma), *dbeta = out(a.dbeta), *dw2 = out(a.dw2), *db2 = out(a.db2);
  float *dproj_w = out(a.dproj_w), *dproj_b = out(a.dproj_b);
  float *da = out(a.da), *du = out(a.du), *work = out(a.work);
  const int training = a.training;
  const int64_t B = a.B, N = a.N, Dt = a.Dt, Du = a.Du, Dz = a.Dz, H = a.H, O = a.O;
  const bool project = proj_w != nullptr;
  if (int status = check_sizes("reward_decoder_backward", B, N, Dt, Du, Dz, H, O, project)) return status;
  if (a.stage != S4J_RD_WHOLE)  // data-parallel reward models train on the CPU (RewardStep)
    return fail(S4J_E_ARGUMENT, "reward_decoder_backward: staged calls (synchronised batch norm) run on the CPU only");
  if (project && (!proj_b || !work || !du)) return fail(S4J_E_ARGUMENT, "reward_decoder_backward: a projection needs proj_b, du and work");
  const int64_t R = B * N;
  const int blocks = int(std::max<int64_t>(1, ceil_div(R, kRowsPerBlock)));
  const int64_t width = (O + 2) * H + O;
  Workspace& ws = workspace();
  double* partial = ws.doubles(blocks * width);
  float* scale = ws.floats(4 * H);
  if (!partial || !scale) return last_status();
  float *c_gamma = scale + H, *c_beta = scale + 2 * H, *s = scale + 3 * H;

  compute_scale<<<int(ceil_div(H, kThreads)), kThreads>>>(gamma, invstd, scale, H);
  S4J_CUDA_CHECK_LAUNCH("compute_scale");
  backward_partials<<<blocks, kThreads>>>(dr, pre, mean, invstd, scale, beta, w2, partial, R, H, O);
  S4J_CUDA_CHECK_LAUNCH("backward_partials");
  finalize_backward<<<int(ceil_div(width, kThreads)), kThreads>>>(partial, blocks, H, O, R,
      training, dw2, db2, dgamma, dbeta, c_gamma, c_beta);
  S4J_CUDA_CHECK_LAUNCH("finalize_backward");
  if (R > 0) {
    input_gradient<<<int(ceil_div(R * H, kThreads)), kThreads>>>(dr, pre, mean, invstd, scale,
        beta, w2, c_gamma, c_beta, da, R, H, O);
    S4J_CUDA_CHECK_LAUNCH("input_gradient");
  }
  if ((Dz > 0 || project) && B > 0) {
    task_sum<<<int(B), kThreads>>>(da, du, N, H);
    S4J_CUDA_CHECK_LAUNCH("task_sum");
  }
  if (project) {
    float* g = work;           // [H, Du] = da^T u
    float* m = work + H * Du;  // [H, Du] = W1t Wp
    column_sum<<<int(ceil_div(H, kThreads)), kThreads>>>(du, s, B, H);
    S4J_CUDA_CHECK_LAUNCH("column_sum");
    S4J_CUDA_TRY(gemm(true, false, H, Du, R, 1.f, da, t, 0.f, g));
    if (dw1t) {
      S4J_CUDA_TRY(gemm(false, true, H, Dt, Du, 1.f, g, proj_w, 0.f, dw1t));
      S4J_CUDA_TRY(gemm(false, false, H, Dt, 1, 1.f, s, proj_b, 1.f, dw1t));  // + s bp^T
    }
    if (dproj_w) S4J_CUDA_TRY(gemm(true, false, Dt, Du, H, 1.f, w1t, g, 0.f, dproj_w));
    if (dproj_b) S4J_CUDA_TRY(gemm(true, false, Dt, 1, H, 1.f, w1t, s, 0.f, dproj_b));
    if (dt) {
      S4J_CUDA_TRY(gemm(false, false, H, Du, Dt, 1.f, w1t, proj_w, 0.f, m));
      S4J_CUDA_TRY(gemm(false, false, R, Du, H, 1.f, da, m, 0.f, dt));
    }
  } else {
    if (dt) S4J_CUDA_TRY(gemm(false, false, R, Dt, H, 1.f, da, w1t, 0.f, dt));
    if (dw1t) S4J_CUDA_TRY(gemm(true, false, H, Dt, R, 1.f, da, t, 0.f, dw1t));
  }
  if (Dz > 0 && B > 0) {
    if (dz) S4J_CUDA_TRY(gemm(false, false, B, Dz, H, 1.f, du, w1z, 0.f, dz));
    if (dw1z) S4J_CUDA_TRY(gemm(true, false, H, Dz, B, 1.f, du, z, 0.f, dw1z));
  }
  return S4J_OK;
}

int s4j_reward_decoder_args_layout(int64_t* out, int capacity) {
  return s4j::reward_decoder_args_layout(out, capacity);
}

const char* s4j_reward_decoder_args_names(void) { return s4j::kRewardDecoderArgsNames; }
}
