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
 * so a call allocates no Java objects. Callers go through the typed wrappers of this package
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

  // --- reward decoder (reward_decoder.h); f32_cuda takes device pointers -----------------

  public static native int s4j_rd_forward_f32(
      @Cast("const float*") long t, @Cast("const float*") long z, @Cast("const float*") long w1t, @Cast("const float*") long w1z,
      @Cast("const float*") long gamma, @Cast("const float*") long beta, @Cast("const float*") long w2, @Cast("const float*") long b2,
      @Cast("const float*") long projW, @Cast("const float*") long projB, @Cast("float*") long runningMean, @Cast("float*") long runningVar,
      double momentum, double eps, int training, @Cast("float*") long r, @Cast("float*") long pre, @Cast("float*") long zproj,
      @Cast("float*") long work, @Cast("float*") long mean, @Cast("float*") long invstd, long B, long N, long Dt, long Du, long Dz,
      long H, long O);

  public static native int s4j_rd_forward_f64(
      @Cast("const double*") long t, @Cast("const double*") long z, @Cast("const double*") long w1t, @Cast("const double*") long w1z,
      @Cast("const double*") long gamma, @Cast("const double*") long beta, @Cast("const double*") long w2, @Cast("const double*") long b2,
      @Cast("const double*") long projW, @Cast("const double*") long projB, @Cast("double*") long runningMean, @Cast("double*") long runningVar,
      double momentum, double eps, int training, @Cast("double*") long r, @Cast("double*") long pre, @Cast("double*") long zproj,
      @Cast("double*") long work, @Cast("double*") long mean, @Cast("double*") long invstd, long B, long N, long Dt, long Du, long Dz,
      long H, long O);

  public static native int s4j_rd_forward_f32_cuda(
      @Cast("const float*") long t, @Cast("const float*") long z, @Cast("const float*") long w1t, @Cast("const float*") long w1z,
      @Cast("const float*") long gamma, @Cast("const float*") long beta, @Cast("const float*") long w2, @Cast("const float*") long b2,
      @Cast("const float*") long projW, @Cast("const float*") long projB, @Cast("float*") long runningMean, @Cast("float*") long runningVar,
      double momentum, double eps, int training, @Cast("float*") long r, @Cast("float*") long pre, @Cast("float*") long zproj,
      @Cast("float*") long work, @Cast("float*") long mean, @Cast("float*") long invstd, long B, long N, long Dt, long Du, long Dz,
      long H, long O);

  public static native int s4j_rd_backward_f32(
      @Cast("const float*") long dr, @Cast("const float*") long t, @Cast("const float*") long z, @Cast("const float*") long w1t,
      @Cast("const float*") long w1z, @Cast("const float*") long gamma, @Cast("const float*") long beta, @Cast("const float*") long w2,
      @Cast("const float*") long projW, @Cast("const float*") long projB, @Cast("const float*") long pre, @Cast("const float*") long mean,
      @Cast("const float*") long invstd, int training, @Cast("float*") long dt, @Cast("float*") long dz, @Cast("float*") long dw1t, @Cast("float*") long dw1z,
      @Cast("float*") long dgamma, @Cast("float*") long dbeta, @Cast("float*") long dw2, @Cast("float*") long db2, @Cast("float*") long dprojW,
      @Cast("float*") long dprojB, @Cast("float*") long da, @Cast("float*") long du, @Cast("float*") long work, long B, long N, long Dt,
      long Du, long Dz, long H, long O);

  public static native int s4j_rd_backward_f64(
      @Cast("const double*") long dr, @Cast("const double*") long t, @Cast("const double*") long z, @Cast("const double*") long w1t,
      @Cast("const double*") long w1z, @Cast("const double*") long gamma, @Cast("const double*") long beta, @Cast("const double*") long w2,
      @Cast("const double*") long projW, @Cast("const double*") long projB, @Cast("const double*") long pre, @Cast("const double*") long mean,
      @Cast("const double*") long invstd, int training, @Cast("double*") long dt, @Cast("double*") long dz, @Cast("double*") long dw1t, @Cast("double*") long dw1z,
      @Cast("double*") long dgamma, @Cast("double*") long dbeta, @Cast("double*") long dw2, @Cast("double*") long db2, @Cast("double*") long dprojW,
      @Cast("double*") long dprojB, @Cast("double*") long da, @Cast("double*") long du, @Cast("double*") long work, long B, long N, long Dt,
      long Du, long Dz, long H, long O);

  public static native int s4j_rd_backward_f32_cuda(
      @Cast("const float*") long dr, @Cast("const float*") long t, @Cast("const float*") long z, @Cast("const float*") long w1t,
      @Cast("const float*") long w1z, @Cast("const float*") long gamma, @Cast("const float*") long beta, @Cast("const float*") long w2,
      @Cast("const float*") long projW, @Cast("const float*") long projB, @Cast("const float*") long pre, @Cast("const float*") long mean,
      @Cast("const float*") long invstd, int training, @Cast("float*") long dt, @Cast("float*") long dz, @Cast("float*") long dw1t, @Cast("float*") long dw1z,
      @Cast("float*") long dgamma, @Cast("float*") long dbeta, @Cast("float*") long dw2, @Cast("float*") long db2, @Cast("float*") long dprojW,
      @Cast("float*") long dprojB, @Cast("float*") long da, @Cast("float*") long du, @Cast("float*") long work, long B, long N, long Dt,
      long Du, long Dz, long H, long O);

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
