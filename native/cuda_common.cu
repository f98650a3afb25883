// Errors, workspace and GEMM of libsteer4j_cuda (see cuda_common.cuh).
#include "cuda_common.cuh"

#include <cstdarg>
#include <cstdio>
#include <string>

namespace s4j_cuda {
namespace {
thread_local std::string last_error;
thread_local int last_code = S4J_OK;
Workspace global_workspace;

constexpr int kTile = 64;   // C tile is kTile x kTile
constexpr int kDepth = 16;  // k-slice staged in shared memory
constexpr int kMicro = 4;   // each of the 16 x 16 threads computes kMicro x kMicro outputs

// Element (row, col) of op(X) where X is stored row-major with `cols_stored` columns.
__device__ inline float load(const float* x, bool trans, int64_t row, int64_t col, int64_t rows,
                             int64_t cols, int64_t ld) {
  if (row >= rows || col >= cols) return 0.f;
  return trans ? x[col * ld + row] : x[row * ld + col];
}

template <bool TA, bool TB>
__global__ void __launch_bounds__(256) gemm_kernel(int64_t m, int64_t n, int64_t k, float alpha,
                                                   const float* a, const float* b, float beta,
                                                   float* c) {
  __shared__ float as[kDepth][kTile + 1];
  __shared__ float bs[kDepth][kTile + 1];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int64_t row0 = int64_t(blockIdx.y) * kTile, col0 = int64_t(blockIdx.x) * kTile;
  const int64_t lda = TA ? m : k, ldb = TB ? k : n;
  float acc[kMicro][kMicro] = {};
  for (int64_t k0 = 0; k0 < k; k0 += kDepth) {
    for (int e = threadIdx.x; e < kDepth * kTile; e += 256) {
      const int kk = e / kTile, rr = e % kTile;  // consecutive threads: consecutive rows/cols
      as[kk][rr] = load(a, TA, row0 + rr, k0 + kk, m, k, lda);
      bs[kk][rr] = load(b, TB, k0 + kk, col0 + rr, k, n, ldb);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kDepth; ++kk) {
      float av[kMicro], bv[kMicro];
#pragma unroll
      for (int u = 0; u < kMicro; ++u) {
        av[u] = as[kk][ty + 16 * u];
        bv[u] = bs[kk][tx + 16 * u];
      }
#pragma unroll
      for (int u = 0; u < kMicro; ++u)
#pragma unroll
        for (int v = 0; v < kMicro; ++v) acc[u][v] += av[u] * bv[v];
    }
    __syncthreads();
  }
#pragma unroll
  for (int u = 0; u < kMicro; ++u)
#pragma unroll
    for (int v = 0; v < kMicro; ++v) {
      const int64_t row = row0 + ty + 16 * u, col = col0 + tx + 16 * v;
      if (row < m && col < n) {
        float& out = c[row * n + col];
        out = alpha * acc[u][v] + (beta == 0.f ? 0.f : beta * out);
      }
    }
}
}  // namespace

int fail(int code, const char* format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  last_error = buffer;
  last_code = code;
  return code;
}

int last_status() { return last_code; }

void* Workspace::grow(void*& buffer, int64_t& capacity, int64_t bytes) {
  if (bytes <= capacity) return buffer;
  if (buffer) cudaFree(buffer);
  buffer = nullptr;
  capacity = 0;
  cudaError_t error = cudaMalloc(&buffer, std::max<int64_t>(bytes, 1));
  if (error != cudaSuccess) {
    fail(S4J_E_DEVICE, "workspace of %lld bytes: %s", (long long)bytes, cudaGetErrorString(error));
    return nullptr;
  }
  capacity = bytes;
  return buffer;
}

double* Workspace::doubles(int64_t count) {
  return static_cast<double*>(grow(double_buffer, double_capacity, count * int64_t(sizeof(double))));
}

float* Workspace::floats(int64_t count) {
  return static_cast<float*>(grow(float_buffer, float_capacity, count * int64_t(sizeof(float))));
}

unsigned long long* Workspace::words(int64_t count) {
  return static_cast<unsigned long long*>(
      grow(word_buffer, word_capacity, count * int64_t(sizeof(unsigned long long))));
}

Workspace& workspace() { return global_workspace; }

int gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
         const float* a, const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return S4J_OK;
  dim3 grid(unsigned(ceil_div(n, kTile)), unsigned(ceil_div(m, kTile)));
  if (trans_a && trans_b) gemm_kernel<true, true><<<grid, 256>>>(m, n, k, alpha, a, b, beta, c);
  else if (trans_a) gemm_kernel<true, false><<<grid, 256>>>(m, n, k, alpha, a, b, beta, c);
  else if (trans_b) gemm_kernel<false, true><<<grid, 256>>>(m, n, k, alpha, a, b, beta, c);
  else gemm_kernel<false, false><<<grid, 256>>>(m, n, k, alpha, a, b, beta, c);
  cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess) return fail(S4J_E_DEVICE, "gemm: %s", cudaGetErrorString(error));
  return S4J_OK;
}

}  // namespace s4j_cuda

extern "C" const char* s4j_cuda_last_error(void) { return s4j_cuda::last_error.c_str(); }
