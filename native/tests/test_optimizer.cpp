// Tests the fused Adam / AdamW step against a plain double loop of torch.optim's update, over
// several steps, with and without (coupled / decoupled) weight decay, float and double.
#include "steer4j/optimizer.h"
#include "expect.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

// torch.optim.Adam / AdamW, written out in double.
void reference(std::vector<double>& p, const std::vector<double>& g, std::vector<double>& m,
               std::vector<double>& v, double lr, double b1, double b2, double eps, double wd,
               bool decoupled, int step) {
  for (size_t i = 0; i < p.size(); ++i) {
    double gi = g[i];
    if (decoupled) p[i] *= 1 - lr * wd;
    else gi += wd * p[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    double c1 = 1 - std::pow(b1, step), c2 = 1 - std::pow(b2, step);
    double denom = std::sqrt(v[i]) / std::sqrt(c2) + eps;
    p[i] -= lr / c1 * m[i] / denom;
  }
}

template <typename T, typename Fn>
void check(Fn step_fn, const char* name, double tolerance, bool decoupled, double wd, int64_t n) {
  std::mt19937_64 rng(n + (decoupled ? 7 : 0));
  std::normal_distribution<double> normal;
  std::vector<double> p(n), m(n, 0), v(n, 0);
  for (auto& x : p) x = normal(rng);
  std::vector<T> pt(p.begin(), p.end()), mt(n, 0), vt(n, 0);
  for (int step = 1; step <= 5; ++step) {
    std::vector<double> g(n);
    for (auto& x : g) x = normal(rng) * 0.1;
    std::vector<T> gt(g.begin(), g.end());
    reference(p, g, m, v, 1e-3, 0.9, 0.999, 3e-5, wd, decoupled, step);
    int status = step_fn(pt.data(), gt.data(), mt.data(), vt.data(), n, 1e-3, 0.9, 0.999, 3e-5, wd, decoupled ? 1 : 0, step);
    if (status != 0) {
      std::printf("FAIL %s: status %d: %s\n", name, status, s4j_last_error());
      ++failures;
      return;
    }
  }
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(pt[i] - p[i]) / std::max(1.0, std::fabs(p[i])));
  if (!(worst < tolerance)) {
    std::printf("FAIL %s decoupled=%d wd=%g n=%lld: max error %g\n", name, decoupled, wd, (long long)n, worst);
    ++failures;
  }
}
}  // namespace

int main() {
  for (int threads : {1, 2}) {
    s4j_set_num_threads(threads);
    for (int64_t n : {1, 7, 100003}) {
      for (bool decoupled : {false, true}) {
        for (double wd : {0.0, 0.01}) {
          check<double>(s4j_adam_step_f64, "f64", 1e-12, decoupled, wd, n);
          check<float>(s4j_adam_step_f32, "f32", 1e-5, decoupled, wd, n);
        }
      }
    }
  }
  float x = 0;
  if (s4j_adam_step_f32(&x, &x, &x, &x, 1, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0) != S4J_E_ARGUMENT) {
    std::printf("FAIL step 0 must be refused\n");
    ++failures;
  }
  if (failures) return 1;
  std::printf("all optimizer checks passed\n");
  return 0;
}
