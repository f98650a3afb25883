package org.steer4j.kernels;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;
import org.steer4j.runtime.Native;

/**
 * JavaCPP binding of the steer4j native op library ({@code native/}, C ABI in
 * {@code native/include/steer4j}). The JNI glue is generated from this class by the javacpp
 * build goal and compiled by CMake with the kernels (see java/pom.xml).
 *
 * <p>Pointers cross as raw addresses ({@code long}, the {@code data_ptr} of contiguous tensors)
 * so a call allocates no Java objects. An op whose argument list is long takes one descriptor
 * struct instead, filled in a reused native buffer and passed as its address (the reward
 * decoder: {@link RewardDecoderArgs}). Callers go through the typed wrappers of this package
 * ({@link RewardDecoderOp}, {@link LogProbOp}, {@link DecodeAttentionOp}, {@link AdamStep}), which check shapes, dtypes, devices and contiguity first.
 */
@Platform(
    include = {
      "steer4j/status.h",
      "steer4j/reward_decoder.h",
      "steer4j/logprob.h",
      "steer4j/attention.h",
      "steer4j/optimizer.h"
    },
    library = "jnisteer4j")
public final class NativeKernels {
  static {
    Native.loadOpLibrary();  // the one JNI library holds these methods too (same @Platform library)
  }

  private NativeKernels() {}

  public static native @Cast("const char*") BytePointer s4j_last_error();

  public static native int s4j_cuda_load(String path);

  // --- reward decoder (reward_decoder.h): every argument in one s4j_reward_decoder_args,
  // filled by RewardDecoderArgs and passed as its address; f32_cuda takes device pointers in it

  public static native int s4j_reward_decoder_forward_f32(@Cast("const s4j_reward_decoder_args*") long args);

  public static native int s4j_reward_decoder_forward_f64(@Cast("const s4j_reward_decoder_args*") long args);

  public static native int s4j_reward_decoder_forward_f32_cuda(@Cast("const s4j_reward_decoder_args*") long args);

  public static native int s4j_reward_decoder_backward_f32(@Cast("const s4j_reward_decoder_args*") long args);

  public static native int s4j_reward_decoder_backward_f64(@Cast("const s4j_reward_decoder_args*") long args);

  public static native int s4j_reward_decoder_backward_f32_cuda(@Cast("const s4j_reward_decoder_args*") long args);

  /** sizeof, then each field's offsetof, of the library's s4j_reward_decoder_args; returns the count. */
  public static native int s4j_reward_decoder_args_layout(@Cast("int64_t*") long[] out, int capacity);

  /** The fields' names of the library's s4j_reward_decoder_args, in order, space-separated. */
  public static native @Cast("const char*") BytePointer s4j_reward_decoder_args_names();

  // --- sequence log-prob (logprob.h); bf16 logits cross as raw uint16 bits ----------------

  public static native int s4j_logprob_forward_f32(
      @Cast("const float*") long logits, @Cast("const int64_t*") long labels,
      @Cast("const float*") long mask, @Cast("float*") long logp, @Cast("float*") long lse,
      long N, long L, long V);

  public static native int s4j_logprob_forward_f64(
      @Cast("const double*") long logits, @Cast("const int64_t*") long labels,
      @Cast("const double*") long mask, @Cast("double*") long logp, @Cast("double*") long lse,
      long N, long L, long V);

  public static native int s4j_logprob_forward_bf16(
      @Cast("const uint16_t*") long logits, @Cast("const int64_t*") long labels,
      @Cast("const float*") long mask, @Cast("float*") long logp, @Cast("float*") long lse,
      long N, long L, long V);

  public static native int s4j_logprob_forward_f32_cuda(
      @Cast("const float*") long logits, @Cast("const int64_t*") long labels,
      @Cast("const float*") long mask, @Cast("float*") long logp, @Cast("float*") long lse,
      long N, long L, long V);

  public static native int s4j_logprob_forward_bf16_cuda(
      @Cast("const uint16_t*") long logits, @Cast("const int64_t*") long labels,
      @Cast("const float*") long mask, @Cast("float*") long logp, @Cast("float*") long lse,
      long N, long L, long V);

  public static native int s4j_logprob_backward_f32(
      @Cast("const float*") long dlogp, @Cast("const float*") long logits,
      @Cast("const int64_t*") long labels, @Cast("const float*") long mask,
      @Cast("const float*") long lse, @Cast("float*") long dlogits, long N, long L, long V);

  public static native int s4j_logprob_backward_f64(
      @Cast("const double*") long dlogp, @Cast("const double*") long logits,
      @Cast("const int64_t*") long labels, @Cast("const double*") long mask,
      @Cast("const double*") long lse, @Cast("double*") long dlogits, long N, long L, long V);

  public static native int s4j_logprob_backward_bf16(
      @Cast("const float*") long dlogp, @Cast("const uint16_t*") long logits,
      @Cast("const int64_t*") long labels, @Cast("const float*") long mask,
      @Cast("const float*") long lse, @Cast("uint16_t*") long dlogits, long N, long L, long V);

  public static native int s4j_logprob_backward_f32_cuda(
      @Cast("const float*") long dlogp, @Cast("const float*") long logits,
      @Cast("const int64_t*") long labels, @Cast("const float*") long mask,
      @Cast("const float*") long lse, @Cast("float*") long dlogits, long N, long L, long V);

  public static native int s4j_logprob_backward_bf16_cuda(
      @Cast("const float*") long dlogp, @Cast("const uint16_t*") long logits,
      @Cast("const int64_t*") long labels, @Cast("const float*") long mask,
      @Cast("const float*") long lse, @Cast("uint16_t*") long dlogits, long N, long L, long V);

  // --- decode-step attention over a KV cache (attention.h) ---------------------------------

  public static native int s4j_decode_attention_f32(
      @Cast("const float*") long q, @Cast("const float*") long kCache,
      @Cast("const float*") long vCache, @Cast("const int64_t*") long lengths, double scale,
      @Cast("float*") long out, long N, long Hq, long Hkv, long Lmax, long Dh);

  public static native int s4j_decode_attention_f64(
      @Cast("const double*") long q, @Cast("const double*") long kCache,
      @Cast("const double*") long vCache, @Cast("const int64_t*") long lengths, double scale,
      @Cast("double*") long out, long N, long Hq, long Hkv, long Lmax, long Dh);

  public static native int s4j_decode_attention_f32_cuda(
      @Cast("const float*") long q, @Cast("const float*") long kCache,
      @Cast("const float*") long vCache, @Cast("const int64_t*") long lengths, double scale,
      @Cast("float*") long out, long N, long Hq, long Hkv, long Lmax, long Dh);

  // --- fused Adam / AdamW (optimizer.h) ------------------------------------------------------

  public static native int s4j_adam_step_f32(
      @Cast("float*") long param, @Cast("const float*") long grad, @Cast("float*") long expAvg,
      @Cast("float*") long expAvgSq, long n, double lr, double beta1, double beta2, double eps,
      double weightDecay, int decoupled, long step);

  public static native int s4j_adam_step_f64(
      @Cast("double*") long param, @Cast("const double*") long grad, @Cast("double*") long expAvg,
      @Cast("double*") long expAvgSq, long n, double lr, double beta1, double beta2, double eps,
      double weightDecay, int decoupled, long step);

  public static native int s4j_adam_step_f32_cuda(
      @Cast("float*") long param, @Cast("const float*") long grad, @Cast("float*") long expAvg,
      @Cast("float*") long expAvgSq, long n, double lr, double beta1, double beta2, double eps,
      double weightDecay, int decoupled, long step);
}
