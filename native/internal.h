// Helpers shared by the CPU kernels; not part of the ABI.
#ifndef STEER4J_INTERNAL_H
#define STEER4J_INTERNAL_H

#include <cstdint>

#define S4J_ABI_VERSION 5  // 2: log-prob and decode attention; 3: folded target projection, Adam; 4: reward-decoder descriptor; 5: synchronised batch norm stages

namespace s4j {

// Records a printf-style message for s4j_last_error() and returns `code`.
int fail(int code, const char* format, ...) __attribute__((format(printf, 2, 3)));

// OpenMP threads for the CPU kernels (s4j_set_num_threads).
int threads();

// Row-major C = alpha * op(A) . op(B) + beta * C through OpenBLAS (cblas), float or double.
// op(X) = X^T when trans_x. A is m x k after op, B is k x n after op, C is m x n.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, const double* b, double beta, double* c);

}  // namespace s4j

#endif
