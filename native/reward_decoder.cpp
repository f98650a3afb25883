// Fused conditioned reward decoder, CPU: GEMMs through OpenBLAS, the memory-bound rest (z
// broadcast, batch-norm statistics, normalisation, ReLU, output layer and their gradients)
// fused into two passes over the rows, vectorised and parallel with OpenMP.
//
// Determinism: rows are split into fixed contiguous blocks per thread and the per-thread
// partial sums are combined in thread order, so a fixed thread count gives bitwise repeatable
// results. Statistics accumulate in double even for float data.
#include "steer4j/reward_decoder.h"
#include "internal.h"
#include "reward_decoder_layout.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace s4j {
namespace {

struct Dims {
  int64_t B, N, Dt, Du, Dz, H, O;  // Du: width of the input (Dt without a projection)
  int64_t rows() const { return B * N; }
};

Dims dims(const s4j_reward_decoder_args& a) { return Dims{a.B, a.N, a.Dt, a.Du, a.Dz, a.H, a.O}; }

// The descriptor's untyped buffers as the kernel's element type.
template <typename T>
const T* in(const void* p) { return static_cast<const T*>(p); }
template <typename T>
T* out(void* p) { return static_cast<T*>(p); }

// Validates sizes and the pointers a call needs; returns S4J_OK or an error code.
template <typename T>
int check(const char* op, const Dims& d, const T* t, const T* z, const T* w1t, const T* w1z,
          const T* gamma, const T* beta, const T* w2) {
  if (d.B < 0 || d.N < 0 || d.Dt <= 0 || d.Du <= 0 || d.Dz < 0 || d.H <= 0 || d.O <= 0)
    return fail(S4J_E_ARGUMENT, "%s: invalid sizes B=%lld N=%lld Dt=%lld Du=%lld Dz=%lld H=%lld O=%lld",
                op, (long long)d.B, (long long)d.N, (long long)d.Dt, (long long)d.Du,
                (long long)d.Dz, (long long)d.H, (long long)d.O);
  if (!t || !w1t || !gamma || !beta || !w2)
    return fail(S4J_E_ARGUMENT, "%s: t, w1t, gamma, beta and w2 must not be NULL", op);
  if (d.Dz > 0 && (!z || !w1z))
    return fail(S4J_E_ARGUMENT, "%s: z and w1z must not be NULL when Dz > 0", op);
  return S4J_OK;
}

// Validates a call's stage (synchronised batch norm); returns S4J_OK or an error code.
int check_stage(const char* op, const s4j_reward_decoder_args& a) {
  if (a.stage == S4J_RD_WHOLE) return S4J_OK;
  if (a.stage != S4J_RD_LOCAL_SUMS && a.stage != S4J_RD_FROM_SUMS)
    return fail(S4J_E_ARGUMENT, "%s: unknown stage %lld", op, (long long)a.stage);
  if (!a.training || !a.stats)
    return fail(S4J_E_ARGUMENT, "%s: a staged call (synchronised batch norm) is a training call with stats", op);
  if (a.stage == S4J_RD_FROM_SUMS && a.batch_rows <= 0)
    return fail(S4J_E_ARGUMENT, "%s: stage 2 needs batch_rows > 0, got %lld", op, (long long)a.batch_rows);
  return S4J_OK;
}

// Contiguous block [begin, end) of `count` items for thread `id` of `n`.
inline void block(int64_t count, int id, int n, int64_t& begin, int64_t& end) {
  const int64_t base = count / n, extra = count % n;
  begin = id * base + std::min<int64_t>(id, extra);
  end = begin + base + (id < extra ? 1 : 0);
}

// Adds per-thread partials [n][len] into out[len] in thread order (deterministic).
inline void reduce_partials(const std::vector<double>& partials, int n, int64_t len,
                            double* out) {
  std::fill(out, out + len, 0.0);
  for (int id = 0; id < n; ++id)
    for (int64_t j = 0; j < len; ++j) out[j] += partials[id * len + j];
}

// r_i = relu((pre_i - mean) * scale + beta) . W2^T + b2 for rows [begin, end). (Subtracting
// the mean first, rather than folding it into a shift, avoids cancellation when invstd is
// large, e.g. a batch whose rows agree.)
template <typename T>
void output_layer(const T* pre, const T* mean, const T* scale, const T* beta, const T* w2,
                  const T* b2, T* r, int64_t begin, int64_t end, int64_t H, int64_t O) {
  for (int64_t i = begin; i < end; ++i) {
    const T* a = pre + i * H;
    for (int64_t o = 0; o < O; ++o) {
      const T* w = w2 + o * H;
      T acc = 0;
#pragma omp simd reduction(+ : acc)
      for (int64_t j = 0; j < H; ++j) acc += std::max((a[j] - mean[j]) * scale[j] + beta[j], T(0)) * w[j];
      r[i * O + o] = acc + b2[o];
    }
  }
}

// dh = dr_i . W2: the gradient at the output layer's input for one row.
template <typename T>
void output_gradient(const T* g, const T* w2, T* dh, int64_t H, int64_t O) {
  std::fill(dh, dh + H, T(0));
  for (int64_t o = 0; o < O; ++o) {
    const T go = g[o];
    const T* w = w2 + o * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) dh[j] += go * w[j];
  }
}

// pre = W1t . t (+ W1z . z of the row's task, + W1t . proj_b with a folded projection) for
// every row; with sum / sq (training) also the per-feature sums of pre and pre^2, in double.
template <typename T>
void layer_input(const s4j_reward_decoder_args& a, const Dims& d, T* pre, double* sum, double* sq) {
  const T *t = in<T>(a.t), *z = in<T>(a.z), *w1t = in<T>(a.w1t), *w1z = in<T>(a.w1z);
  const T *proj_w = in<T>(a.proj_w), *proj_b = in<T>(a.proj_b);
  T *zproj = out<T>(a.zproj), *work = out<T>(a.work);
  const int64_t R = d.rows(), H = d.H;
  std::vector<T> bias;  // W1t . proj_b, added to every row
  if (proj_w) {
    gemm(false, false, H, d.Du, d.Dt, T(1), w1t, proj_w, T(0), work);  // M = W1t . Wp
    gemm(false, true, R, H, d.Du, T(1), t, work, T(0), pre);          // pre = u . M^T
    bias.assign(H, T(0));
    for (int64_t j = 0; j < H; ++j) {
      T s = 0;
      for (int64_t k = 0; k < d.Dt; ++k) s += w1t[j * d.Dt + k] * proj_b[k];
      bias[j] = s;
    }
  } else {
    gemm(false, true, R, H, d.Dt, T(1), t, w1t, T(0), pre);            // pre = t . W1t^T
  }
  if (d.Dz > 0) {
    gemm(false, true, d.B, H, d.Dz, T(1), z, w1z, T(0), zproj);        // per task
    if (!bias.empty()) {
      for (int64_t b = 0; b < d.B; ++b)
        for (int64_t j = 0; j < H; ++j) zproj[b * H + j] += bias[j];
    }
  }
  const T* row_bias = d.Dz > 0 ? nullptr : (bias.empty() ? nullptr : bias.data());

  const bool stats = sum != nullptr;
  const int nt = static_cast<int>(std::min<int64_t>(threads(), std::max<int64_t>(d.B, 1)));
  std::vector<double> partial_sum(stats ? nt * H : 0), partial_sq(stats ? nt * H : 0);
  // Broadcast-add the task's z projection; batch statistics in training.
#pragma omp parallel num_threads(nt)
  {
    const int id = omp_get_thread_num();
    int64_t b0, b1;
    block(d.B, id, nt, b0, b1);
    double* ps = stats ? partial_sum.data() + id * H : nullptr;
    double* pq = stats ? partial_sq.data() + id * H : nullptr;
    for (int64_t b = b0; b < b1; ++b) {
      for (int64_t i = b * d.N; i < (b + 1) * d.N; ++i) {
        T* x = pre + i * H;
        const T* add = d.Dz > 0 ? zproj + b * H : row_bias;
        if (add) {
#pragma omp simd
          for (int64_t j = 0; j < H; ++j) x[j] += add[j];
        }
        if (stats) {
#pragma omp simd
          for (int64_t j = 0; j < H; ++j) {
            ps[j] += x[j];
            pq[j] += double(x[j]) * x[j];
          }
        }
      }
    }
  }
  if (stats) {
    reduce_partials(partial_sum, nt, H, sum);
    reduce_partials(partial_sq, nt, H, sq);
  }
}

template <typename T>
int forward(const s4j_reward_decoder_args* args) {
  if (!args) return fail(S4J_E_ARGUMENT, "reward_decoder_forward: args is NULL");
  const s4j_reward_decoder_args& a = *args;
  const T *t = in<T>(a.t), *z = in<T>(a.z), *w1t = in<T>(a.w1t), *w1z = in<T>(a.w1z);
  const T *gamma = in<T>(a.gamma), *beta = in<T>(a.beta), *w2 = in<T>(a.w2), *b2 = in<T>(a.b2);
  const T *proj_w = in<T>(a.proj_w), *proj_b = in<T>(a.proj_b);
  T *running_mean = out<T>(a.running_mean), *running_var = out<T>(a.running_var);
  T *r = out<T>(a.r), *pre = out<T>(a.pre), *zproj = out<T>(a.zproj), *work = out<T>(a.work);
  T *mean = out<T>(a.mean), *invstd = out<T>(a.invstd);
  const double momentum = a.momentum, eps = a.eps;
  const int training = a.training;
  const Dims d = dims(a);
  if (int status = check("reward_decoder_forward", d, t, z, w1t, w1z, gamma, beta, w2)) return status;
  if (!b2 || !r || !pre || !mean || !invstd || (d.Dz > 0 && !zproj))
    return fail(S4J_E_ARGUMENT, "reward_decoder_forward: an output or workspace pointer is NULL");
  if (proj_w ? (!proj_b || !work) : d.Du != d.Dt)
    return fail(S4J_E_ARGUMENT, "reward_decoder_forward: a projection needs proj_b and work; without one Du must equal Dt");
  if (!training && (!running_mean || !running_var))
    return fail(S4J_E_ARGUMENT, "reward_decoder_forward: evaluation needs running statistics");
  if (int status = check_stage("reward_decoder_forward", a)) return status;
  const int64_t R = d.rows(), H = d.H;
  if (R == 0 && a.stage == S4J_RD_WHOLE) return S4J_OK;

  std::vector<double> sum(H, 0.0), sq(H, 0.0);  // training: per-feature sums of pre and pre^2
  if (a.stage != S4J_RD_FROM_SUMS && R > 0)
    layer_input(a, d, pre, training ? sum.data() : nullptr, training ? sq.data() : nullptr);
  double* stats = static_cast<double*>(a.stats);
  if (a.stage == S4J_RD_LOCAL_SUMS) {
    std::copy(sum.begin(), sum.end(), stats);
    std::copy(sq.begin(), sq.end(), stats + H);
    return S4J_OK;
  }
  if (a.stage == S4J_RD_FROM_SUMS) {
    std::copy(stats, stats + H, sum.begin());
    std::copy(stats + H, stats + 2 * H, sq.begin());
  }
  const int64_t rows = a.stage == S4J_RD_FROM_SUMS ? a.batch_rows : R;  // the statistics' rows

  std::vector<T> scale(H);
  if (training) {
    for (int64_t j = 0; j < H; ++j) {
      const double mu = sum[j] / rows;
      const double var = std::max(sq[j] / rows - mu * mu, 0.0);
      mean[j] = T(mu);
      invstd[j] = T(1.0 / std::sqrt(var + eps));
      if (running_mean) running_mean[j] = T((1 - momentum) * running_mean[j] + momentum * mu);
      // The unbiased variance of one row is 0/0: PyTorch would store NaN; we keep the old value.
      if (running_var && rows > 1)
        running_var[j] = T((1 - momentum) * running_var[j] + momentum * var * rows / (rows - 1));
    }
  } else {
    for (int64_t j = 0; j < H; ++j) {
      mean[j] = running_mean[j];
      invstd[j] = T(1.0 / std::sqrt(double(running_var[j]) + eps));
    }
  }
  for (int64_t j = 0; j < H; ++j) scale[j] = gamma[j] * invstd[j];
  if (R == 0) return S4J_OK;

  // Normalise, ReLU, output layer.
  const int nr = static_cast<int>(std::min<int64_t>(threads(), R));
#pragma omp parallel num_threads(nr)
  {
    int64_t i0, i1;
    block(R, omp_get_thread_num(), nr, i0, i1);
    output_layer(pre, mean, scale.data(), beta, w2, b2, r, i0, i1, H, d.O);
  }
  return S4J_OK;
}

// Pass A of backward: dW2, db2, dgamma, dbeta (sums over rows; each written when its pointer
// is not NULL), recomputing h from pre; sums [2, H] gets (sum dx * xhat, sum dx) in double.
template <typename T>
void output_side_gradients(const s4j_reward_decoder_args& args, const Dims& d, const T* scale, double* sums) {
  const T *dr = in<T>(args.dr), *w2 = in<T>(args.w2), *beta = in<T>(args.beta);
  const T *pre = in<T>(args.pre), *mean = in<T>(args.mean), *invstd = in<T>(args.invstd);
  T *dgamma = out<T>(args.dgamma), *dbeta = out<T>(args.dbeta), *dw2 = out<T>(args.dw2), *db2 = out<T>(args.db2);
  const int64_t R = d.rows(), H = d.H, O = d.O;
  // Sums run in float over blocks of kFlush rows (vectorised), then flush into double partials.
  constexpr int64_t kFlush = 32;
  const int nt = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads(), R)));
  const int64_t width = O * H + O + 2 * H;  // dW2 | db2 | dgamma | dbeta
  std::vector<double> partial(nt * width, 0.0);
#pragma omp parallel num_threads(nt)
  {
    const int id = omp_get_thread_num();
    int64_t i0, i1;
    block(R, id, nt, i0, i1);
    double* out = partial.data() + id * width;
    std::vector<T> acc(width, T(0)), dh(H), h(H);
    T* acc_w2 = acc.data();
    T* acc_b2 = acc_w2 + O * H;
    T* acc_gamma = acc_b2 + O;
    T* acc_beta = acc_gamma + H;
    for (int64_t i = i0; i < i1; ++i) {
      const T* a = pre + i * H;
      const T* g = dr + i * O;
      output_gradient(g, w2, dh.data(), H, O);
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T centred = a[j] - mean[j];
        const T x = centred * scale[j] + beta[j];
        const bool positive = x > T(0);
        const T dx = positive ? dh[j] : T(0);
        h[j] = positive ? x : T(0);
        acc_gamma[j] += dx * (centred * invstd[j]);
        acc_beta[j] += dx;
      }
      for (int64_t o = 0; o < O; ++o) {
        const T go = g[o];
        T* aw = acc_w2 + o * H;
#pragma omp simd
        for (int64_t j = 0; j < H; ++j) aw[j] += go * h[j];
        acc_b2[o] += go;
      }
      if ((i - i0) % kFlush == kFlush - 1 || i == i1 - 1) {
        for (int64_t k = 0; k < width; ++k) {
          out[k] += acc[k];
          acc[k] = T(0);
        }
      }
    }
  }
  std::vector<double> total(width);
  reduce_partials(partial, nt, width, total.data());
  const double* sum_gamma = total.data() + O * H + O;
  const double* sum_beta = sum_gamma + H;
  for (int64_t k = 0; k < O * H; ++k) if (dw2) dw2[k] = T(total[k]);
  for (int64_t o = 0; o < O; ++o) if (db2) db2[o] = T(total[O * H + o]);
  for (int64_t j = 0; j < H; ++j) {
    if (dgamma) dgamma[j] = T(sum_gamma[j]);
    if (dbeta) dbeta[j] = T(sum_beta[j]);
  }
  std::copy(sum_gamma, sum_gamma + 2 * H, sums);
}

template <typename T>
int backward(const s4j_reward_decoder_args* args) {
  if (!args) return fail(S4J_E_ARGUMENT, "reward_decoder_backward: args is NULL");
  const s4j_reward_decoder_args& a = *args;
  const T *dr = in<T>(a.dr), *t = in<T>(a.t), *z = in<T>(a.z), *w1t = in<T>(a.w1t);
  const T *w1z = in<T>(a.w1z), *gamma = in<T>(a.gamma), *beta = in<T>(a.beta), *w2 = in<T>(a.w2);
  const T *proj_w = in<T>(a.proj_w), *proj_b = in<T>(a.proj_b);
  const T *pre = in<T>(a.pre), *mean = in<T>(a.mean), *invstd = in<T>(a.invstd);
  T *dt = out<T>(a.dt), *dz = out<T>(a.dz), *dw1t = out<T>(a.dw1t), *dw1z = out<T>(a.dw1z);
  T *dproj_w = out<T>(a.dproj_w), *dproj_b = out<T>(a.dproj_b);
  T *da = out<T>(a.da), *du = out<T>(a.du), *work = out<T>(a.work);
  const int training = a.training;
  const Dims d = dims(a);
  if (int status = check("reward_decoder_backward", d, t, z, w1t, w1z, gamma, beta, w2)) return status;
  const bool project = proj_w != nullptr;
  if (!dr || !pre || !mean || !invstd || !da || ((d.Dz > 0 || project) && !du))
    return fail(S4J_E_ARGUMENT, "reward_decoder_backward: an input or workspace pointer is NULL");
  if (project ? (!proj_b || !work) : d.Du != d.Dt)
    return fail(S4J_E_ARGUMENT, "reward_decoder_backward: a projection needs proj_b and work; without one Du must equal Dt");
  if (int status = check_stage("reward_decoder_backward", a)) return status;
  const int64_t R = d.rows(), H = d.H, O = d.O;

  std::vector<T> scale(H);
  for (int64_t j = 0; j < H; ++j) scale[j] = gamma[j] * invstd[j];
  // sum over rows of dx * xhat and of dx (dx: the gradient at BN's output), the terms of BN's
  // input gradient; this call's rows, or (stage 2) the whole batch's from stats.
  std::vector<double> sums(2 * H, 0.0);
  double* stats = static_cast<double*>(a.stats);
  if (a.stage == S4J_RD_FROM_SUMS) {
    std::copy(stats, stats + 2 * H, sums.begin());
  } else {
    output_side_gradients(a, d, scale.data(), sums.data());
    if (a.stage == S4J_RD_LOCAL_SUMS) {
      std::copy(sums.begin(), sums.end(), stats);
      return S4J_OK;
    }
  }
  const int64_t rows = a.stage == S4J_RD_FROM_SUMS ? a.batch_rows : R;  // the statistics' rows

  // Pass B: da = dL/dpre (through BN), du = per-task sum of da (z was broadcast).
  std::vector<T> c_beta(H), c_gamma(H);
  for (int64_t j = 0; j < H; ++j) {  // training: da = scale * (dx - mean(dx) - xhat * mean(dx * xhat))
    c_gamma[j] = training ? T(sums[j] / rows) : T(0);
    c_beta[j] = training ? T(sums[H + j] / rows) : T(0);
  }
  const int nb = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads(), d.B)));
#pragma omp parallel num_threads(nb)
  {
    int64_t b0, b1;
    block(d.B, omp_get_thread_num(), nb, b0, b1);
    std::vector<T> dh(H);
    for (int64_t b = b0; b < b1; ++b) {
      T* u = d.Dz > 0 || project ? du + b * H : nullptr;
      if (u) std::fill(u, u + H, T(0));
      for (int64_t i = b * d.N; i < (b + 1) * d.N; ++i) {
        const T* a = pre + i * H;
        const T* g = dr + i * O;
        T* out = da + i * H;
        output_gradient(g, w2, dh.data(), H, O);
#pragma omp simd
        for (int64_t j = 0; j < H; ++j) {
          const T centred = a[j] - mean[j];
          const T dx = centred * scale[j] + beta[j] > T(0) ? dh[j] : T(0);
          const T xhat = centred * invstd[j];
          out[j] = scale[j] * (dx - c_beta[j] - xhat * c_gamma[j]);
        }
        if (u) {
#pragma omp simd
          for (int64_t j = 0; j < H; ++j) u[j] += out[j];
        }
      }
    }
  }

  if (project) {
    // t = u Wp^T + bp was never formed: G = da^T u carries every weight gradient.
    const int64_t Du = d.Du;
    T* g = work;           // [H, Du]
    T* m = work + H * Du;  // [H, Du]
    std::vector<T> s(H, T(0));  // column sums of da = sum over tasks of du
    for (int64_t b = 0; b < d.B; ++b)
      for (int64_t j = 0; j < H; ++j) s[j] += du[b * H + j];
    gemm(true, false, H, Du, R, T(1), da, t, T(0), g);
    if (dw1t) {  // dW1t = G Wp^T + s bp^T
      gemm(false, true, H, d.Dt, Du, T(1), g, proj_w, T(0), dw1t);
      for (int64_t j = 0; j < H; ++j)
        for (int64_t k = 0; k < d.Dt; ++k) dw1t[j * d.Dt + k] += s[j] * proj_b[k];
    }
    if (dproj_w) gemm(true, false, d.Dt, Du, H, T(1), w1t, g, T(0), dproj_w);  // W1t^T G
    if (dproj_b) {  // W1t^T s
      for (int64_t k = 0; k < d.Dt; ++k) {
        T acc = 0;
        for (int64_t j = 0; j < H; ++j) acc += w1t[j * d.Dt + k] * s[j];
        dproj_b[k] = acc;
      }
    }
    if (dt) {  // du_in = da (W1t Wp)
      gemm(false, false, H, Du, d.Dt, T(1), w1t, proj_w, T(0), m);
      gemm(false, false, R, Du, H, T(1), da, m, T(0), dt);
    }
  } else {
    if (dt) gemm(false, false, R, d.Dt, H, T(1), da, w1t, T(0), dt);      // dt = da . W1t
    if (dw1t) gemm(true, false, H, d.Dt, R, T(1), da, t, T(0), dw1t);     // dW1t = da^T . t
  }
  if (d.Dz > 0) {
    if (dz) gemm(false, false, d.B, d.Dz, H, T(1), du, w1z, T(0), dz);   // dz = du . W1z
    if (dw1z) gemm(true, false, H, d.Dz, d.B, T(1), du, z, T(0), dw1z);  // dW1z = du^T . z
  }
  return S4J_OK;
}

}  // namespace
}  // namespace s4j

#define S4J_RD_DEFINE(T, SUFFIX)                                                   \
  int s4j_reward_decoder_forward_##SUFFIX(const s4j_reward_decoder_args* args) {   \
    return s4j::forward<T>(args);                                                  \
  }                                                                                \
  int s4j_reward_decoder_backward_##SUFFIX(const s4j_reward_decoder_args* args) {  \
    return s4j::backward<T>(args);                                                 \
  }

extern "C" {
S4J_RD_DEFINE(float, f32)
S4J_RD_DEFINE(double, f64)

int s4j_reward_decoder_args_layout(int64_t* out, int capacity) {
  return s4j::reward_decoder_args_layout(out, capacity);
}

const char* s4j_reward_decoder_args_names(void) { return s4j::kRewardDecoderArgsNames; }
}
