// The descriptor's layout as compiled, for s4j_reward_decoder_args_layout / _names in both
// libraries (reward_decoder.cpp for the JNI library, reward_decoder.cu for libsteer4j_cuda).
// Not part of the ABI. The field list must follow the struct's order (checked below).
#ifndef STEER4J_REWARD_DECODER_LAYOUT_H
#define STEER4J_REWARD_DECODER_LAYOUT_H

#include "steer4j/reward_decoder.h"

#include <cstddef>

#define S4J_RD_ARGS_FIELDS(X)                                                                  \
  X(t) X(z) X(w1t) X(w1z) X(gamma) X(beta) X(w2) X(b2) X(proj_w) X(proj_b)                     \
  X(running_mean) X(running_var) X(r) X(pre) X(mean) X(invstd)                                 \
  X(dr) X(dt) X(dz) X(dw1t) X(dw1z) X(dgamma) X(dbeta) X(dw2) X(db2) X(dproj_w) X(dproj_b)     \
  X(zproj) X(work) X(da) X(du) X(stats)                                                       \
  X(B) X(N) X(Dt) X(Du) X(Dz) X(H) X(O) X(batch_rows) X(stage)                                \
  X(momentum) X(eps) X(training)

namespace s4j {

#define S4J_OFFSET(field) int64_t(offsetof(s4j_reward_decoder_args, field)),
#define S4J_NAME(field) #field " "
// sizeof, then every field's offset.
constexpr int64_t kRewardDecoderArgsLayout[] = {int64_t(sizeof(s4j_reward_decoder_args)),
                                                S4J_RD_ARGS_FIELDS(S4J_OFFSET)};
// The field names, each followed by a space.
constexpr char kRewardDecoderArgsNames[] = S4J_RD_ARGS_FIELDS(S4J_NAME);
#undef S4J_OFFSET
#undef S4J_NAME

constexpr int kRewardDecoderArgsFields = int(sizeof kRewardDecoderArgsLayout / sizeof(int64_t)) - 1;

// Listed in declaration order, the offsets increase; a struct field missing from the list
// would leave a gap, caught by the bindings' sizeof check.
constexpr bool offsets_increase() {
  for (int i = 2; i <= kRewardDecoderArgsFields; ++i)
    if (kRewardDecoderArgsLayout[i] <= kRewardDecoderArgsLayout[i - 1]) return false;
  return true;
}
static_assert(offsets_increase(), "reward_decoder_layout.h: list the fields in the struct's order");

inline int reward_decoder_args_layout(int64_t* out, int capacity) {
  const int count = kRewardDecoderArgsFields + 1;
  for (int i = 0; out && i < count && i < capacity; ++i) out[i] = kRewardDecoderArgsLayout[i];
  return count;
}

}  // namespace s4j

#endif
