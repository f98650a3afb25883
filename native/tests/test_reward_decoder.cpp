// Tests the CPU reward decoder against a naive loop over the materialised [t ; z] concat
// (forward), and its backward against central finite differences of that naive forward, in
// double; the float kernel must agree with the double one.
#include "steer4j/reward_decoder.h"

#include "expect.h"

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {


struct Case {
  int64_t B, N, Dt, Dz, H, O;
  int training;
  int64_t Du = 0;  // > 0: folded target projection from u [R, Du]
};

struct Params {
  std::vector<double> t, z, w1t, w1z, gamma, beta, w2, b2, rmean, rvar, pw, pb;
};

std::vector<double> random_vector(std::mt19937_64& rng, size_t n, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

Params make_params(const Case& c, std::mt19937_64& rng) {
  const int64_t R = c.B * c.N;
  Params p;
  p.t = random_vector(rng, R * (c.Du ? c.Du : c.Dt), -1, 1);  // t, or u with a projection
  p.pw = random_vector(rng, c.Dt * c.Du, -0.5, 0.5);
  p.pb = random_vector(rng, c.Dt, -0.3, 0.3);
  p.z = random_vector(rng, c.B * c.Dz, -1, 1);
  p.w1t = random_vector(rng, c.H * c.Dt, -0.5, 0.5);
  p.w1z = random_vector(rng, c.H * c.Dz, -0.5, 0.5);
  p.gamma = random_vector(rng, c.H, 0.5, 1.5);
  p.beta = random_vector(rng, c.H, -0.3, 0.3);
  p.w2 = random_vector(rng, c.O * c.H, -0.5, 0.5);
  p.b2 = random_vector(rng, c.O, -0.1, 0.1);
  p.rmean = random_vector(rng, c.H, -0.2, 0.2);
  p.rvar = random_vector(rng, c.H, 0.5, 2.0);
  return p;
}

// Naive forward: (t = u Wp^T + bp), materialise x = [t_i ; z_b], a = W1 x, BN, ReLU, W2 . h + b2.
std::vector<double> naive_forward(const Case& c, const Params& p) {
  const int64_t R = c.B * c.N, H = c.H, D = c.Dt + c.Dz;
  std::vector<double> t = p.t;
  if (c.Du) {
    t.assign(R * c.Dt, 0);
    for (int64_t i = 0; i < R; ++i)
      for (int64_t k = 0; k < c.Dt; ++k) {
        double s = p.pb[k];
        for (int64_t q = 0; q < c.Du; ++q) s += p.pw[k * c.Du + q] * p.t[i * c.Du + q];
        t[i * c.Dt + k] = s;
      }
  }
  std::vector<double> a(R * H);
  for (int64_t i = 0; i < R; ++i) {
    std::vector<double> x(D);
    for (int64_t k = 0; k < c.Dt; ++k) x[k] = t[i * c.Dt + k];
    for (int64_t k = 0; k < c.Dz; ++k) x[c.Dt + k] = p.z[(i / c.N) * c.Dz + k];
    for (int64_t j = 0; j < H; ++j) {
      double s = 0;
      for (int64_t k = 0; k < c.Dt; ++k) s += p.w1t[j * c.Dt + k] * x[k];
      for (int64_t k = 0; k < c.Dz; ++k) s += p.w1z[j * c.Dz + k] * x[c.Dt + k];
      a[i * H + j] = s;
    }
  }
  std::vector<double> r(R * c.O);
  for (int64_t j = 0; j < H; ++j) {
    double mu = 0, var = 0;
    if (c.training) {
      for (int64_t i = 0; i < R; ++i) mu += a[i * H + j];
      mu /= R;
      for (int64_t i = 0; i < R; ++i) var += (a[i * H + j] - mu) * (a[i * H + j] - mu);
      var /= R;
    } else {
      mu = p.rmean[j];
      var = p.rvar[j];
    }
    for (int64_t i = 0; i < R; ++i) {
      const double h = std::max(0.0, (a[i * H + j] - mu) / std::sqrt(var + 1e-5) * p.gamma[j] + p.beta[j]);
      a[i * H + j] = h;
    }
  }
  for (int64_t i = 0; i < R; ++i)
    for (int64_t o = 0; o < c.O; ++o) {
      double s = p.b2[o];
      for (int64_t j = 0; j < H; ++j) s += a[i * H + j] * p.w2[o * H + j];
      r[i * c.O + o] = s;
    }
  return r;
}

template <typename T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

template <typename T>
struct Result {
  std::vector<T> r, dt, dz, dw1t, dw1z, dgamma, dbeta, dw2, db2, dpw, dpb;
  std::vector<T> running_mean, running_var;  // after the forward
};

using Kernel = int (*)(const s4j_reward_decoder_args*);

template <typename T>
Result<T> run_kernel(Kernel fwd, Kernel bwd, const Case& c, const Params& p, const std::vector<double>& g) {
  const int64_t R = c.B * c.N;
  auto t = cast<T>(p.t), z = cast<T>(p.z), w1t = cast<T>(p.w1t), w1z = cast<T>(p.w1z);
  auto gamma = cast<T>(p.gamma), beta = cast<T>(p.beta), w2 = cast<T>(p.w2), b2 = cast<T>(p.b2);
  auto rmean = cast<T>(p.rmean), rvar = cast<T>(p.rvar), dr = cast<T>(g);
  auto pw = cast<T>(p.pw), pb = cast<T>(p.pb);
  const int64_t Du = c.Du ? c.Du : c.Dt;
  Result<T> out;
  out.r.assign(R * c.O, T(0));
  std::vector<T> pre(R * c.H), zproj(c.B * c.H), mean(c.H), invstd(c.H), da(R * c.H), du(c.B * c.H), work(2 * c.H * Du);
  const T* zp = c.Dz ? z.data() : nullptr;
  const T* w1zp = c.Dz ? w1z.data() : nullptr;
  const T* pwp = c.Du ? pw.data() : nullptr;
  const T* pbp = c.Du ? pb.data() : nullptr;
  s4j_reward_decoder_args a{};
  a.t = t.data(); a.z = zp; a.w1t = w1t.data(); a.w1z = w1zp; a.gamma = gamma.data(); a.beta = beta.data();
  a.w2 = w2.data(); a.b2 = b2.data(); a.proj_w = pwp; a.proj_b = pbp;
  a.running_mean = rmean.data(); a.running_var = rvar.data(); a.momentum = 0.1; a.eps = 1e-5;
  a.training = c.training;
  a.r = out.r.data(); a.pre = pre.data(); a.zproj = zproj.data(); a.work = work.data();
  a.mean = mean.data(); a.invstd = invstd.data();
  a.B = c.B; a.N = c.N; a.Dt = c.Dt; a.Du = Du; a.Dz = c.Dz; a.H = c.H; a.O = c.O;
  int status = fwd(&a);
  EXPECT(status == 0, "forward status %d: %s", status, s4j_last_error());
  out.running_mean = rmean;
  out.running_var = rvar;
  out.dt.assign(R * Du, T(0));
  out.dpw.assign(c.Dt * c.Du, T(0));
  out.dpb.assign(c.Dt, T(0));
  out.dz.assign(c.B * c.Dz, T(0));
  out.dw1t.assign(c.H * c.Dt, T(0));
  out.dw1z.assign(c.H * c.Dz, T(0));
  out.dgamma.assign(c.H, T(0));
  out.dbeta.assign(c.H, T(0));
  out.dw2.assign(c.O * c.H, T(0));
  out.db2.assign(c.O, T(0));
  a.dr = dr.data(); a.dt = out.dt.data(); a.dz = c.Dz ? out.dz.data() : nullptr;
  a.dw1t = out.dw1t.data(); a.dw1z = c.Dz ? out.dw1z.data() : nullptr;
  a.dgamma = out.dgamma.data(); a.dbeta = out.dbeta.data(); a.dw2 = out.dw2.data(); a.db2 = out.db2.data();
  a.dproj_w = c.Du ? out.dpw.data() : nullptr; a.dproj_b = c.Du ? out.dpb.data() : nullptr;
  a.da = da.data(); a.du = du.data();
  status = bwd(&a);
  EXPECT(status == 0, "backward status %d: %s", status, s4j_last_error());
  return out;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Max relative error with an absolute floor, as in deeplearning4j's GradientCheckUtil.
template <typename A, typename B>
double max_rel_error(const std::vector<A>& a, const std::vector<B>& b, double floor) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double x = a[i], y = b[i];
    worst = std::max(worst, std::fabs(x - y) / std::max(floor, std::max(std::fabs(x), std::fabs(y))));
  }
  return worst;
}

// Central differences of L = g . naive_forward(p) with respect to every entry of `v`.
std::vector<double> numeric_gradient(const Case& c, Params& p, std::vector<double>& v,
                                     const std::vector<double>& g) {
  const double eps = 1e-6;
  std::vector<double> grad(v.size());
  for (size_t k = 0; k < v.size(); ++k) {
    const double saved = v[k];
    v[k] = saved + eps;
    const double up = dot(g, naive_forward(c, p));
    v[k] = saved - eps;
    const double down = dot(g, naive_forward(c, p));
    v[k] = saved;
    grad[k] = (up - down) / (2 * eps);
  }
  return grad;
}

void check_case(const Case& c, unsigned seed) {
  std::mt19937_64 rng(seed);
  Params p = make_params(c, rng);
  const auto g = random_vector(rng, c.B * c.N * c.O, -1, 1);
  const auto ref = naive_forward(c, p);
  const auto d = run_kernel<double>(s4j_reward_decoder_forward_f64, s4j_reward_decoder_backward_f64, c, p, g);
  const auto f = run_kernel<float>(s4j_reward_decoder_forward_f32, s4j_reward_decoder_backward_f32, c, p, g);
  std::printf("case B=%lld N=%lld Dt=%lld Du=%lld Dz=%lld H=%lld O=%lld training=%d\n", (long long)c.B,
              (long long)c.N, (long long)c.Dt, (long long)c.Du, (long long)c.Dz, (long long)c.H, (long long)c.O, c.training);
  // double arithmetic, different summation order: 1e-10.
  EXPECT(max_rel_error(d.r, ref, 1e-6) < 1e-10, "f64 forward vs naive: %g", max_rel_error(d.r, ref, 1e-6));
  // float32 with float accumulation over H terms: 1e-4 relative, 1e-3 absolute floor.
  EXPECT(max_rel_error(f.r, ref, 1e-3) < 1e-4, "f32 forward vs naive: %g", max_rel_error(f.r, ref, 1e-3));

  struct Named { const char* name; std::vector<double>* value; const std::vector<double>* analytic; const std::vector<float>* single; };
  std::vector<Named> checks = {{"t", &p.t, &d.dt, &f.dt}, {"w1t", &p.w1t, &d.dw1t, &f.dw1t},
                               {"gamma", &p.gamma, &d.dgamma, &f.dgamma}, {"beta", &p.beta, &d.dbeta, &f.dbeta},
                               {"w2", &p.w2, &d.dw2, &f.dw2}, {"b2", &p.b2, &d.db2, &f.db2}};
  if (c.Dz) {
    checks.push_back({"z", &p.z, &d.dz, &f.dz});
    checks.push_back({"w1z", &p.w1z, &d.dw1z, &f.dw1z});
  }
  if (c.Du) {
    checks.push_back({"proj_w", &p.pw, &d.dpw, &f.dpw});
    checks.push_back({"proj_b", &p.pb, &d.dpb, &f.dpb});
  }
  for (auto& check : checks) {
    const auto numeric = numeric_gradient(c, p, *check.value, g);
    // Central differences, eps 1e-6, in double: the absolute error is ~1e-10 (rounding of L ~ 1
    // over 2 eps), hence the 1e-3 floor under the 1e-6 relative bound.
    const double e64 = max_rel_error(*check.analytic, numeric, 1e-3);
    // A bias added before batch norm (proj_b) has a gradient that is exactly zero in training
    // (shifting all rows changes nothing); both sides then hold float32 rounding only.
    const bool zero_in_training = c.training && std::string(check.name) == "proj_b";
    const double e32 = max_rel_error(*check.single, *check.analytic, zero_in_training ? 1e-2 : 1e-3);
    EXPECT(e64 < 1e-6, "d%s f64 vs finite differences: %g", check.name, e64);
    EXPECT(e32 < 2e-4, "d%s f32 vs f64: %g", check.name, e32);
  }
}

// Synchronised batch norm: the B tasks split into two "processes" (tasks [0, B0) and [B0, B)),
// each call in two stages around the sum of the two processes' stats, must give the whole
// call's outputs, input gradients and running statistics, and weight gradients whose sum over
// the processes is the whole call's: what SyncBatchNorm promises in data-parallel training.
template <typename T>
void check_synchronised(Kernel fwd, Kernel bwd, const Case& c, unsigned seed, double tolerance) {
  std::mt19937_64 rng(seed);
  Params p = make_params(c, rng);
  const auto g = random_vector(rng, c.B * c.N * c.O, -1, 1);
  const Result<T> whole = run_kernel<T>(fwd, bwd, c, p, g);
  const int64_t Du = c.Du ? c.Du : c.Dt, H = c.H;
  const int64_t B0 = c.B / 2, split[2][2] = {{0, B0}, {B0, c.B}};
  auto slice = [](const std::vector<double>& v, int64_t from, int64_t to) { return std::vector<T>(v.begin() + from, v.begin() + to); };
  struct Part {
    std::vector<T> t, z, dr, r, pre, zproj, mean, invstd, da, du, work, dt, dz, dw1t, dw1z, dgamma, dbeta, dw2, db2, dpw, dpb;
    std::vector<double> stats;
    s4j_reward_decoder_args a{};
  };
  auto w1t = cast<T>(p.w1t), w1z = cast<T>(p.w1z), gamma = cast<T>(p.gamma), beta = cast<T>(p.beta);
  auto w2 = cast<T>(p.w2), b2 = cast<T>(p.b2), pw = cast<T>(p.pw), pb = cast<T>(p.pb);
  // Both processes start from the same running statistics and must end with the whole call's.
  std::vector<T> rmean[2] = {cast<T>(p.rmean), cast<T>(p.rmean)}, rvar[2] = {cast<T>(p.rvar), cast<T>(p.rvar)};
  Part parts[2];
  for (int k = 0; k < 2; ++k) {
    Part& q = parts[k];
    const int64_t b = split[k][1] - split[k][0], R = b * c.N, first = split[k][0];
    q.t = slice(p.t, first * c.N * Du, (first + b) * c.N * Du);
    q.z = slice(p.z, first * c.Dz, (first + b) * c.Dz);
    q.dr = slice(g, first * c.N * c.O, (first + b) * c.N * c.O);
    q.r.assign(R * c.O, 0); q.pre.assign(R * H, 0); q.zproj.assign(std::max<int64_t>(b, 1) * H, 0);
    q.mean.assign(H, 0); q.invstd.assign(H, 0); q.da.assign(std::max<int64_t>(R, 1) * H, 0); q.du.assign(std::max<int64_t>(b, 1) * H, 0);
    q.work.assign(2 * H * Du, 0); q.dt.assign(R * Du, 0); q.dz.assign(b * c.Dz, 0); q.dw1t.assign(H * c.Dt, 0); q.dw1z.assign(H * c.Dz, 0);
    q.dgamma.assign(H, 0); q.dbeta.assign(H, 0); q.dw2.assign(c.O * H, 0); q.db2.assign(c.O, 0);
    q.dpw.assign(c.Dt * c.Du, 0); q.dpb.assign(c.Dt, 0); q.stats.assign(2 * H, 0);
    s4j_reward_decoder_args& a = q.a;
    a.t = q.t.data(); a.z = c.Dz ? q.z.data() : nullptr; a.w1t = w1t.data(); a.w1z = c.Dz ? w1z.data() : nullptr;
    a.gamma = gamma.data(); a.beta = beta.data(); a.w2 = w2.data(); a.b2 = b2.data();
    a.proj_w = c.Du ? pw.data() : nullptr; a.proj_b = c.Du ? pb.data() : nullptr;
    a.running_mean = rmean[k].data(); a.running_var = rvar[k].data(); a.momentum = 0.1; a.eps = 1e-5; a.training = 1;
    a.r = q.r.data(); a.pre = q.pre.data(); a.zproj = q.zproj.data(); a.work = q.work.data(); a.mean = q.mean.data(); a.invstd = q.invstd.data();
    a.dr = q.dr.data(); a.dt = q.dt.data(); a.dz = c.Dz ? q.dz.data() : nullptr; a.dw1t = q.dw1t.data(); a.dw1z = c.Dz ? q.dw1z.data() : nullptr;
    a.dgamma = q.dgamma.data(); a.dbeta = q.dbeta.data(); a.dw2 = q.dw2.data(); a.db2 = q.db2.data();
    a.dproj_w = c.Du ? q.dpw.data() : nullptr; a.dproj_b = c.Du ? q.dpb.data() : nullptr; a.da = q.da.data(); a.du = q.du.data();
    a.stats = q.stats.data(); a.batch_rows = c.B * c.N;
    a.B = b; a.N = c.N; a.Dt = c.Dt; a.Du = Du; a.Dz = c.Dz; a.H = H; a.O = c.O;
  }
  // The "all-reduce": both processes' stats replaced by their sum.
  auto all_reduce = [&]() {
    for (int64_t j = 0; j < 2 * H; ++j) parts[0].stats[j] = parts[1].stats[j] = parts[0].stats[j] + parts[1].stats[j];
  };
  for (Kernel k : {fwd, bwd}) {
    for (Part& q : parts) {
      q.a.stage = S4J_RD_LOCAL_SUMS;
      EXPECT(k(&q.a) == 0, "stage 1: %s", s4j_last_error());
    }
    all_reduce();
    for (Part& q : parts) {
      q.a.stage = S4J_RD_FROM_SUMS;
      EXPECT(k(&q.a) == 0, "stage 2: %s", s4j_last_error());
    }
  }
  auto joined = [&](std::vector<T> Part::*field) {
    std::vector<T> v(parts[0].*field);
    v.insert(v.end(), (parts[1].*field).begin(), (parts[1].*field).end());
    return v;
  };
  auto summed = [&](std::vector<T> Part::*field) {
    std::vector<T> v(parts[0].*field);
    for (size_t i = 0; i < v.size(); ++i) v[i] += (parts[1].*field)[i];
    return v;
  };
  std::printf("synchronised B=%lld as %lld + %lld, Du=%lld Dz=%lld\n", (long long)c.B, (long long)B0, (long long)(c.B - B0),
              (long long)c.Du, (long long)c.Dz);
  const std::vector<std::pair<const char*, double>> errors = {
      {"r", max_rel_error(joined(&Part::r), whole.r, 1e-3)},
      {"dt", max_rel_error(joined(&Part::dt), whole.dt, 1e-3)},
      {"dz", max_rel_error(joined(&Part::dz), whole.dz, 1e-3)},
      {"dw1t", max_rel_error(summed(&Part::dw1t), whole.dw1t, 1e-3)},
      {"dw1z", max_rel_error(summed(&Part::dw1z), whole.dw1z, 1e-3)},
      {"dgamma", max_rel_error(summed(&Part::dgamma), whole.dgamma, 1e-3)},
      {"dbeta", max_rel_error(summed(&Part::dbeta), whole.dbeta, 1e-3)},
      {"dw2", max_rel_error(summed(&Part::dw2), whole.dw2, 1e-3)},
      {"db2", max_rel_error(summed(&Part::db2), whole.db2, 1e-3)},
      {"dproj_w", max_rel_error(summed(&Part::dpw), whole.dpw, 1e-3)},
      {"dproj_b", max_rel_error(summed(&Part::dpb), whole.dpb, 1e-2)},
      {"running_mean (process 0)", max_rel_error(rmean[0], whole.running_mean, 1e-6)},
      {"running_mean (process 1)", max_rel_error(rmean[1], whole.running_mean, 1e-6)},
      {"running_var (process 0)", max_rel_error(rvar[0], whole.running_var, 1e-6)},
      {"running_var (process 1)", max_rel_error(rvar[1], whole.running_var, 1e-6)}};
  for (const auto& e : errors) EXPECT(e.second < tolerance, "synchronised %s vs the whole call: %g", e.first, e.second);
}

void check_errors() {
  float x = 0;
  s4j_reward_decoder_args a{};  // t NULL
  a.w1t = &x; a.gamma = &x; a.beta = &x; a.w2 = &x; a.b2 = &x;
  a.momentum = 0.1; a.eps = 1e-5; a.training = 1;
  a.r = &x; a.pre = &x; a.zproj = &x; a.work = &x; a.mean = &x; a.invstd = &x;
  a.B = 1; a.N = 1; a.Dt = 1; a.Du = 1; a.Dz = 0; a.H = 1; a.O = 1;
  int status = s4j_reward_decoder_forward_f32(&a);
  EXPECT(status == S4J_E_ARGUMENT, "NULL t must be refused, got %d", status);
  EXPECT(std::string(s4j_last_error()).find("NULL") != std::string::npos, "message: %s", s4j_last_error());
  a.t = &x; a.H = 0;
  status = s4j_reward_decoder_forward_f32(&a);
  EXPECT(status == S4J_E_ARGUMENT, "H=0 must be refused, got %d", status);
  status = s4j_reward_decoder_backward_f64(nullptr);
  EXPECT(status == S4J_E_ARGUMENT, "a NULL descriptor must be refused, got %d", status);
  // Staged calls: a training call with stats; stage 2 needs the batch's rows.
  a.H = 1;
  double stats[2] = {0, 0};
  a.stage = 3;
  a.stats = stats;
  EXPECT(s4j_reward_decoder_forward_f32(&a) == S4J_E_ARGUMENT, "stage 3 must be refused");
  a.stage = S4J_RD_FROM_SUMS;
  EXPECT(s4j_reward_decoder_forward_f32(&a) == S4J_E_ARGUMENT && std::string(s4j_last_error()).find("batch_rows") != std::string::npos,
         "stage 2 without batch_rows must be refused: %s", s4j_last_error());
  a.stage = S4J_RD_LOCAL_SUMS;
  a.stats = nullptr;
  EXPECT(s4j_reward_decoder_forward_f32(&a) == S4J_E_ARGUMENT, "stage 1 without stats must be refused");
  a.stats = stats;
  a.training = 0;
  float rm = 0, rv = 1;
  a.running_mean = &rm; a.running_var = &rv;
  EXPECT(s4j_reward_decoder_forward_f32(&a) == S4J_E_ARGUMENT, "a staged evaluation call must be refused");
  a.training = 1;
  EXPECT(s4j_reward_decoder_forward_f32(&a) == S4J_OK && stats[0] == 0.0 && stats[1] == 0.0, "stage 1 of one zero row: %s", s4j_last_error());
  a.stage = S4J_RD_WHOLE;

  // The layout the bindings check theirs against: sizeof, then each field's offset in order.
  int64_t layout[64];
  const int count = s4j_reward_decoder_args_layout(layout, 64);
  EXPECT(count == s4j_reward_decoder_args_layout(nullptr, 0), "count without a buffer: %d", count);
  EXPECT(count == 45 && layout[0] == int64_t(sizeof(s4j_reward_decoder_args)), "layout: %d entries, size %lld", count, (long long)layout[0]);
  EXPECT(layout[1] == int64_t(offsetof(s4j_reward_decoder_args, t)) && layout[count - 1] == int64_t(offsetof(s4j_reward_decoder_args, training)),
         "first / last offsets %lld / %lld", (long long)layout[1], (long long)layout[count - 1]);
  const std::string names = s4j_reward_decoder_args_names();
  EXPECT(names.rfind("t z w1t ", 0) == 0 && names.size() > 9 && names.substr(names.size() - 9) == "training ",
         "names: %s", names.c_str());
}

}  // namespace

int main() {
  for (int threads : {1, 2, 3}) {
    s4j_set_num_threads(threads);
    check_case({3, 4, 5, 3, 6, 1, 1}, 1);   // odd sizes, conditioned
    check_case({2, 6, 4, 0, 5, 2, 1}, 2);   // unconditioned, two outputs (DPL)
    check_case({1, 1, 3, 2, 4, 1, 0}, 3);   // one row, evaluation statistics
    check_case({4, 3, 7, 5, 9, 3, 0}, 4);   // evaluation, three outputs
    check_case({5, 2, 2, 2, 3, 1, 1}, 5);
    check_case({3, 4, 5, 3, 6, 1, 1, 7}, 6);   // folded projection u [R, 7] -> t [R, 5]
    check_case({2, 6, 4, 0, 5, 2, 1, 3}, 7);   // projection, unconditioned, two outputs
    check_case({4, 3, 6, 5, 7, 1, 0, 4}, 8);   // projection, evaluation statistics
  }
  for (int threads : {1, 2}) {
    s4j_set_num_threads(threads);
    // double: the same sums in another order, 1e-12; float: float32 rounding of the parts' sums.
    check_synchronised<double>(s4j_reward_decoder_forward_f64, s4j_reward_decoder_backward_f64, {5, 3, 4, 3, 6, 1, 1}, 11, 1e-12);
    check_synchronised<double>(s4j_reward_decoder_forward_f64, s4j_reward_decoder_backward_f64, {4, 2, 5, 0, 7, 2, 1}, 12, 1e-12);
    check_synchronised<double>(s4j_reward_decoder_forward_f64, s4j_reward_decoder_backward_f64, {3, 4, 5, 3, 6, 1, 1, 7}, 13, 1e-12);
    check_synchronised<float>(s4j_reward_decoder_forward_f32, s4j_reward_decoder_backward_f32, {6, 4, 5, 3, 8, 1, 1, 7}, 14, 1e-4);
  }
  check_errors();
  if (failures) {
    std::printf("%d failure(s)\n", failures);
    return 1;
  }
  std::printf("all reward decoder checks passed\n");
  return 0;
}
