// s4j_reward_decoder_args_layout, compiled into both libraries (reward_decoder.cpp for the JNI
// library, reward_decoder.cu for libsteer4j_cuda): sizeof, then every field's offsetof in
// declaration order. Not part of the ABI; keep the list in the struct's order.
#ifndef STEER4J_REWARD_DECODER_LAYOUT_H
#define STEER4J_REWARD_DECODER_LAYOUT_H

#include "steer4j/reward_decoder.h"

#include <cstddef>

namespace s4j {

#define S4J_OFFSET(field) int64_t(offsetof(s4j_reward_decoder_args, field)),
constexpr int64_t kRewardDecoderArgsLayout[] = {
    int64_t(sizeof(s4j_reward_decoder_args)),
    S4J_OFFSET(t) S4J_OFFSET(z) S4J_OFFSET(w1t) S4J_OFFSET(w1z) S4J_OFFSET(gamma)
    S4J_OFFSET(beta) S4J_OFFSET(w2) S4J_OFFSET(b2) S4J_OFFSET(proj_w) S4J_OFFSET(proj_b)
    S4J_OFFSET(running_mean) S4J_OFFSET(running_var)
    S4J_OFFSET(r) S4J_OFFSET(pre) S4J_OFFSET(mean) S4J_OFFSET(invstd)
    S4J_OFFSET(dr) S4J_OFFSET(dt) S4J_OFFSET(dz) S4J_OFFSET(dw1t) S4J_OFFSET(dw1z)
    S4J_OFFSET(dgamma) S4J_OFFSET(dbeta) S4J_OFFSET(dw2) S4J_OFFSET(db2) S4J_OFFSET(dproj_w)
    S4J_OFFSET(dproj_b)
    S4J_OFFSET(zproj) S4J_OFFSET(work) S4J_OFFSET(da) S4J_OFFSET(du)
    S4J_OFFSET(B) S4J_OFFSET(N) S4J_OFFSET(Dt) S4J_OFFSET(Du) S4J_OFFSET(Dz) S4J_OFFSET(H)
    S4J_OFFSET(O)
    S4J_OFFSET(momentum) S4J_OFFSET(eps) S4J_OFFSET(training)};
#undef S4J_OFFSET

constexpr int kRewardDecoderArgsFields = int(sizeof kRewardDecoderArgsLayout / sizeof(int64_t)) - 1;

// The list names fields in declaration order, so offsets increase.
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
