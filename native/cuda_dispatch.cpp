// CUDA entry points of the ABI. The CUDA kernels live in libsteer4j_cuda.so (built by nvcc when
// a toolkit is present) so that this library never needs libcudart: on first use we dlopen it
// from the folder this library was loaded from, and forward each call to its
// `s4j_cuda_<name>` symbol. Without it every CUDA entry point fails with S4J_E_UNAVAILABLE.
#include "steer4j/attention.h"
#include "steer4j/logprob.h"
#include "steer4j/optimizer.h"
#include "steer4j/reward_decoder.h"
#include "internal.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace s4j {
namespace {

std::mutex cuda_mutex;
void* cuda_handle = nullptr;
std::string cuda_error;
bool cuda_tried = false;

// Opens `path`, or libsteer4j_cuda.so beside this library when path is empty; remembers the
// outcome (one attempt per process unless s4j_cuda_load names a path).
void* open_cuda(const std::string& path, std::string& why) {
  std::lock_guard<std::mutex> lock(cuda_mutex);
  if (!cuda_tried || (!cuda_handle && !path.empty())) {
    cuda_tried = true;
    std::string file = path;
    if (file.empty()) {
      Dl_info info{};
      if (dladdr(reinterpret_cast<void*>(&open_cuda), &info) && info.dli_fname) {
        file = info.dli_fname;
        file = file.substr(0, file.find_last_of('/') + 1);
      }
      file += "libsteer4j_cuda.so";
    }
    cuda_handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!cuda_handle) {
      const char* message = dlerror();
      cuda_error = message ? message : (file + " could not be opened");
    }
  }
  why = cuda_error;
  return cuda_handle;
}

template <typename Fn>
Fn cuda_symbol(const char* name, int& status) {
  std::string why;
  void* handle = open_cuda("", why);
  if (!handle) {
    status = fail(S4J_E_UNAVAILABLE, "CUDA kernels unavailable (%s); build with nvcc present", why.c_str());
    return nullptr;
  }
  void* symbol = dlsym(handle, name);
  if (!symbol) status = fail(S4J_E_UNAVAILABLE, "CUDA kernel %s missing in libsteer4j_cuda.so", name);
  return reinterpret_cast<Fn>(symbol);
}

}  // namespace

// Copies the CUDA library's message of a failed call into this library's s4j_last_error().
void forward_cuda_error(int status) {
  int ignored = S4J_OK;
  auto last_error = cuda_symbol<const char* (*)()>("s4j_cuda_last_error", ignored);
  fail(status, "%s", last_error ? last_error() : "CUDA kernel failed");
}

}  // namespace s4j

#define S4J_FORWARD_TO_CUDA(name, ...)                                         \
  int status = S4J_OK;                                                         \
  auto fn = s4j::cuda_symbol<decltype(&name)>(#name, status);      \
  if (!fn) return status;                                                      \
  status = fn(__VA_ARGS__);                                                    \
  if (status != S4J_OK) s4j::forward_cuda_error(status);                       \
  return status;

extern "C" {

int s4j_cuda_load(const char* path) {
  std::string why;
  if (!s4j::open_cuda(path ? path : "", why))
    return s4j::fail(S4J_E_UNAVAILABLE, "CUDA kernels unavailable: %s", why.c_str());
  return S4J_OK;
}

int s4j_reward_decoder_forward_f32_cuda(const s4j_reward_decoder_args* args) {
  S4J_FORWARD_TO_CUDA(s4j_reward_decoder_forward_f32_cuda, args)
}

int s4j_reward_decoder_backward_f32_cuda(const s4j_reward_decoder_args* args) {
  S4J_FORWARD_TO_CUDA(s4j_reward_decoder_backward_f32_cuda, args)
}

int s4j_logprob_forward_f32_cuda(const float* logits, const int64_t* labels, const float* mask,
                                 float* logp, float* lse, int64_t N, int64_t L, int64_t V) {
  S4J_FORWARD_TO_CUDA(s4j_logprob_forward_f32_cuda, logits, labels, mask, logp, lse, N, L, V)
}

int s4j_logprob_backward_f32_cuda(const float* dlogp, const float* logits, const int64_t* labels,
                                  const float* mask, const float* lse, float* dlogits, int64_t N,
                                  int64_t L, int64_t V) {
  S4J_FORWARD_TO_CUDA(s4j_logprob_backward_f32_cuda, dlogp, logits, labels, mask, lse, dlogits, N, L, V)
}

int s4j_logprob_forward_bf16_cuda(const uint16_t* logits, const int64_t* labels,
                                  const float* mask, float* logp, float* lse, int64_t N,
                                  int64_t L, int64_t V) {
  S4J_FORWARD_TO_CUDA(s4j_logprob_forward_bf16_cuda, logits, labels, mask, logp, lse, N, L, V)
}

int s4j_logprob_backward_bf16_cuda(const float* dlogp, const uint16_t* logits,
                                   const int64_t* labels, const float* mask, const float* lse,
                                   uint16_t* dlogits, int64_t N, int64_t L, int64_t V) {
  S4J_FORWARD_TO_CUDA(s4j_logprob_backward_bf16_cuda, dlogp, logits, labels, mask, lse, dlogits, N, L, V)
}

int s4j_decode_attention_f32_cuda(const float* q, const float* k_cache, const float* v_cache,
                                  const int64_t* lengths, double scale, float* out, int64_t N,
                                  int64_t Hq, int64_t Hkv, int64_t Lmax, int64_t Dh) {
  S4J_FORWARD_TO_CUDA(s4j_decode_attention_f32_cuda, q, k_cache, v_cache, lengths, scale, out, N, Hq, Hkv, Lmax, Dh)
}

int s4j_adam_step_f32_cuda(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                           int64_t n, double lr, double beta1, double beta2, double eps,
                           double weight_decay, int decoupled, int64_t step) {
  S4J_FORWARD_TO_CUDA(s4j_adam_step_f32_cuda, param, grad, exp_avg, exp_avg_sq, n, lr, beta1, beta2, eps, weight_decay, decoupled, step)
}
}
