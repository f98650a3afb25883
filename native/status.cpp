// Error messages, threads and the ABI version shared by all kernel families.
#include "steer4j/status.h"
#include "internal.h"

#include <dlfcn.h>
#include <link.h>
#include <malloc.h>

#include <algorithm>
#include <cstring>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace {
thread_local std::string last_error;
std::atomic<int> num_threads{1};

// The presets map two OpenBLAS builds with the same soname (libopenblas.so.0 and
// libopenblas_nolapack.so.0); LibTorch's GEMMs run on one, ours may bind to the other. Each has
// its own thread pool, so we set the thread count of every OpenBLAS in the process.
int set_openblas_threads(struct dl_phdr_info* info, size_t, void* data) {
  const char* name = info->dlpi_name;
  if (!name || !std::strstr(name, "openblas")) return 0;
  if (void* handle = dlopen(name, RTLD_NOW | RTLD_NOLOAD)) {
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(dlsym(handle, "openblas_set_num_threads"))) set(*static_cast<int*>(data));
    dlclose(handle);
  }
  return 0;
}
}  // namespace

namespace s4j {

int fail(int code, const char* format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  last_error = buffer;
  return code;
}

int threads() { return num_threads.load(std::memory_order_relaxed); }

}  // namespace s4j

extern "C" {

const char* s4j_last_error(void) { return last_error.c_str(); }

void s4j_set_num_threads(int threads) {
  int n = std::max(1, threads);
  num_threads.store(n);
  dl_iterate_phdr(set_openblas_threads, &n);
}

int s4j_get_num_threads(void) { return num_threads.load(); }

int s4j_abi_version(void) { return S4J_ABI_VERSION; }

// LibTorch's CPU allocator frees every tensor back to glibc, which returns blocks of the
// dynamic mmap threshold (from 128 KiB, growing) to the kernel; a training step that allocates
// the same few-MiB activations and gradients every step then page-faults and zero-fills them
// every step. Serving blocks up to glibc's maximum (32 MiB) from the heap and never trimming it
// keeps them mapped across steps: the heap settles at the step's peak.
int s4j_tune_allocator(void) {
  int ok = mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ok &= mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return ok ? S4J_OK : s4j::fail(S4J_E_ARGUMENT, "mallopt refused the allocator settings");
}
}
