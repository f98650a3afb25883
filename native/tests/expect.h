// The assertion macro of the native tests (ctest): a failed check prints where and why and
// counts; main() returns non-zero when any failed.
#ifndef STEER4J_TESTS_EXPECT_H
#define STEER4J_TESTS_EXPECT_H

#include <cstdio>

namespace {
int failures = 0;
}  // namespace

#define EXPECT(cond, ...)                              \
  do {                                                 \
    if (!(cond)) {                                     \
      std::printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      std::printf(__VA_ARGS__);                        \
      std::printf("\n");                               \
      ++failures;                                      \
    }                                                  \
  } while (0)

#endif
