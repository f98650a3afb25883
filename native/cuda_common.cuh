// Shared by the CUDA kernels of libsteer4j_cuda: errors, a cached device workspace, warp
// reductions and the tiled GEMM (the presets ship no cuBLAS, so we need only cudart).
#ifndef STEER4J_CUDA_COMMON_CUH
#define STEER4J_CUDA_COMMON_CUH

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "steer4j/status.h"

namespace s4j_cuda {

// Records a message for s4j_cuda_last_error() and returns `code`.
int fail(int code, const char* format, ...);
// Status of the last failure recorded on this thread.
int last_status();

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

__device__ inline float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// Grow-only device scratch space reused across calls (per process; calls are serialised by
// the callers, one op at a time on the default stream).
struct Workspace {
  double* doubles(int64_t count);
  float* floats(int64_t count);
  unsigned long long* words(int64_t count);  // flags and indices written by kernels
 private:
  void* grow(void*& buffer, int64_t& capacity, int64_t bytes);
  void* double_buffer = nullptr;
  int64_t double_capacity = 0;
  void* float_buffer = nullptr;
  int64_t float_capacity = 0;
  void* word_buffer = nullptr;
  int64_t word_capacity = 0;
};
Workspace& workspace();

// Row-major C = alpha * op(A) . op(B) + beta * C on the device (float32, default stream).
int gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
         const float* a, const float* b, float beta, float* c);

}  // namespace s4j_cuda

#define S4J_CUDA_TRY(call)                        \
  do {                                            \
    if (int _status = (call)) return _status;     \
  } while (0)

#define S4J_CUDA_CHECK_LAUNCH(name)                                                     \
  do {                                                                                  \
    cudaError_t _error = cudaGetLastError();                                            \
    if (_error != cudaSuccess)                                                          \
      return s4j_cuda::fail(S4J_E_DEVICE, "%s: %s", name, cudaGetErrorString(_error));  \
  } while (0)

#endif
