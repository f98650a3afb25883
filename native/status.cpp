// Error messages, threads and the ABI version shared by all kernel families.
#include "steer4j/status.h"
#include "internal.h"

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace {
thread_local std::string last_error;
std::atomic<int> num_threads{1};
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

void s4j_set_num_threads(int threads) { num_threads.store(std::max(1, threads)); }

int s4j_get_num_threads(void) { return num_threads.load(); }

int s4j_abi_version(void) { return S4J_ABI_VERSION; }
}
