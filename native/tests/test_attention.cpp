// Tests the CPU decode attention against a naive double loop (scores, softmax, weighted sum of
// values) at several GQA ratios, cache lengths and head sizes, with the padded part of every
// cache poisoned with NaN (it must never be read); checks repeatability per thread count and
// the argument errors.
#include "steer4j/attention.h"

#include "expect.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {


struct Case {
  int64_t N, Hq, Hkv, Lmax, Dh;
  std::vector<int64_t> lengths;
};

struct Inputs {
  std::vector<double> q, k, v;
};

Inputs make_inputs(const Case& c, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  Inputs in;
  in.q.resize(c.N * c.Hq * c.Dh);
  in.k.resize(c.N * c.Hkv * c.Lmax * c.Dh);
  in.v.resize(in.k.size());
  for (auto& x : in.q) x = normal(rng);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t n = 0; n < c.N; ++n)
    for (int64_t h = 0; h < c.Hkv; ++h)
      for (int64_t t = 0; t < c.Lmax; ++t)
        for (int64_t d = 0; d < c.Dh; ++d) {
          const int64_t i = ((n * c.Hkv + h) * c.Lmax + t) * c.Dh + d;
          const bool valid = t < c.lengths[n];
          in.k[i] = valid ? normal(rng) : nan;
          in.v[i] = valid ? normal(rng) : nan;
        }
  return in;
}

std::vector<double> naive(const Case& c, const Inputs& in, double scale) {
  const int64_t G = c.Hq / c.Hkv;
  std::vector<double> out(c.N * c.Hq * c.Dh, 0.0);
  for (int64_t n = 0; n < c.N; ++n)
    for (int64_t h = 0; h < c.Hq; ++h) {
      const double* q = &in.q[(n * c.Hq + h) * c.Dh];
      const int64_t base = (n * c.Hkv + h / G) * c.Lmax * c.Dh;
      std::vector<double> scores(c.lengths[n]);
      double max = -INFINITY, sum = 0;
      for (int64_t t = 0; t < c.lengths[n]; ++t) {
        double s = 0;
        for (int64_t d = 0; d < c.Dh; ++d) s += q[d] * in.k[base + t * c.Dh + d];
        scores[t] = s * scale;
        max = std::max(max, scores[t]);
      }
      for (auto& s : scores) sum += (s = std::exp(s - max));
      double* o = &out[(n * c.Hq + h) * c.Dh];
      for (int64_t t = 0; t < c.lengths[n]; ++t)
        for (int64_t d = 0; d < c.Dh; ++d) o[d] += scores[t] / sum * in.v[base + t * c.Dh + d];
    }
  return out;
}

template <typename A>
double norm_rel_error(const std::vector<A>& a, const std::vector<double>& b) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += b[i] * b[i];
  }
  const double e = std::sqrt(diff / norm);
  return std::isnan(e) ? INFINITY : e;
}

template <typename T, typename Fn>
std::vector<T> run(Fn fn, const Case& c, const Inputs& in, double scale) {
  std::vector<T> q(in.q.begin(), in.q.end()), k(in.k.begin(), in.k.end()), v(in.v.begin(), in.v.end());
  std::vector<T> out(q.size(), T(7));
  int status = fn(q.data(), k.data(), v.data(), c.lengths.data(), scale, out.data(), c.N, c.Hq, c.Hkv, c.Lmax, c.Dh);
  EXPECT(status == 0, "status %d: %s", status, s4j_last_error());
  return out;
}

void check_case(const Case& c, unsigned seed) {
  std::mt19937_64 rng(seed);
  const Inputs in = make_inputs(c, rng);
  const double scale = 1.0 / std::sqrt(double(c.Dh));
  const auto ref = naive(c, in, scale);
  const auto out64 = run<double>(s4j_decode_attention_f64, c, in, scale);
  const auto out32 = run<float>(s4j_decode_attention_f32, c, in, scale);
  const double e64 = norm_rel_error(out64, ref), e32 = norm_rel_error(out32, ref);
  std::printf("case N=%lld Hq=%lld Hkv=%lld Lmax=%lld Dh=%lld: f64 %.2g f32 %.2g\n", (long long)c.N,
              (long long)c.Hq, (long long)c.Hkv, (long long)c.Lmax, (long long)c.Dh, e64, e32);
  // double, other summation order: 1e-12; float32 scores and sums over Dh and up to 1k keys,
  // inputs rounded to float: 1e-5 (measured ~1e-7).
  EXPECT(e64 < 1e-12, "f64 vs naive: %g", e64);
  EXPECT(e32 < 1e-5, "f32 vs naive: %g", e32);
  // A fixed thread count gives the same bits on every call.
  EXPECT(run<float>(s4j_decode_attention_f32, c, in, scale) == out32, "f32 not repeatable");
}

void check_errors() {
  std::vector<float> q(8), k(16), v(16), out(8);
  std::vector<int64_t> lengths = {0};
  int status = s4j_decode_attention_f32(q.data(), k.data(), v.data(), lengths.data(), 1.0, out.data(), 1, 2, 1, 2, 4);
  EXPECT(status == S4J_E_ARGUMENT, "length 0 must be refused, got %d", status);
  EXPECT(std::string(s4j_last_error()).find("lengths[0] = 0") != std::string::npos, "message: %s", s4j_last_error());
  lengths[0] = 3;
  status = s4j_decode_attention_f32(q.data(), k.data(), v.data(), lengths.data(), 1.0, out.data(), 1, 2, 1, 2, 4);
  EXPECT(status == S4J_E_ARGUMENT, "length > Lmax must be refused, got %d", status);
  lengths[0] = 1;
  status = s4j_decode_attention_f32(q.data(), k.data(), v.data(), lengths.data(), 1.0, out.data(), 1, 3, 2, 2, 4);
  EXPECT(status == S4J_E_ARGUMENT, "Hq not a multiple of Hkv must be refused, got %d", status);
  EXPECT(std::string(s4j_last_error()).find("multiple") != std::string::npos, "message: %s", s4j_last_error());
}

}  // namespace

int main() {
  const std::vector<Case> cases = {
      {2, 4, 4, 9, 64, {1, 9}},                // MHA (ratio 1), length 1 and a full cache
      {3, 4, 2, 37, 33, {5, 37, 17}},          // ratio 2, odd Dh and lengths
      {2, 14, 2, 600, 64, {599, 301}},         // ratio 7, long enough to split over threads
      {1, 12, 2, 1030, 128, {1027}},           // Qwen2.5-1.5B heads, odd length, splits
      {4, 7, 1, 5, 3, {1, 2, 3, 5}},           // ratio 7, one kv head, tiny head size
  };
  for (int threads : {1, 2, 3, 8}) {
    s4j_set_num_threads(threads);
    unsigned seed = 1;
    for (const Case& c : cases) check_case(c, seed++);
  }
  check_errors();
  if (failures) {
    std::printf("%d failure(s)\n", failures);
    return 1;
  }
  std::printf("all decode attention checks passed\n");
  return 0;
}
