// The one place that calls OpenBLAS: row-major GEMM wrappers with leading dimensions derived
// from contiguous operands.
#include "internal.h"

#include <cblas.h>

namespace s4j {

namespace {
template <typename T, typename Fn>
void gemm_impl(Fn fn, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
               const T* a, const T* b, T beta, T* c) {
  if (m == 0 || n == 0) return;
  const blasint lda = static_cast<blasint>(trans_a ? m : k);
  const blasint ldb = static_cast<blasint>(trans_b ? k : n);
  fn(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
     static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
     lda > 0 ? lda : 1, b, ldb > 0 ? ldb : 1, beta, c, static_cast<blasint>(n));
}
}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c) {
  gemm_impl<float>(cblas_sgemm, trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, const double* b, double beta, double* c) {
  gemm_impl<double>(cblas_dgemm, trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
}

}  // namespace s4j
