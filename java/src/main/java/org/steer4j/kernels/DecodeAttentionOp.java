package org.steer4j.kernels;

import static org.steer4j.kernels.KernelCall.address;
import static org.steer4j.kernels.KernelCall.arg;
import static org.steer4j.kernels.KernelCall.check;
import static org.steer4j.kernels.KernelCall.is;
import static org.steer4j.runtime.Tensors.empty;

import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.kernels.KernelCall.Variant;

/**
 * Decode-step attention over a KV cache (native/attention.cpp|.cu): the one new query token of
 * each sequence attends to that sequence's cached keys and values.
 *
 * <pre>out[n, h] = sum_{t &lt; lengths[n]} softmax_t(scale * q[n, h] . k[n, h / G, t]) v[n, h / G, t]</pre>
 *
 * <p>Shapes: {@code q [N, Hq, Dh]}; {@code kCache, vCache [N, Hkv, Lmax, Dh]} (Hugging Face's
 * cache layout, right-padded: positions from {@code lengths[n]} on are never read); {@code
 * lengths [N]} int64 (int32 is converted), each in [1, Lmax]. Grouped-query attention: Hq = G *
 * Hkv, query head h reads kv head h / G, with no repeated copy of the cache.
 *
 * <p>Inference only (no backward, no tape). float32 on CPU and CUDA, float64 on CPU. On CUDA,
 * where reading lengths back would cost a synchronisation per decode step, a sequence with a
 * length outside [1, Lmax] gets NaN outputs instead of an exception. {@link EagerDecodeAttention}
 * is the LibTorch reference.
 */
public final class DecodeAttentionOp {
  private static final String OP = "decode_attention";

  private DecodeAttentionOp() {}

  /** {@code out [N, Hq, Dh]} with the usual scale {@code 1 / sqrt(Dh)}. */
  public static Tensor forward(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths) {
    return forward(q, kCache, vCache, lengths, 1.0 / Math.sqrt(q.size(q.dim() - 1)));
  }

  /** {@code out [N, Hq, Dh]} with scores scaled by {@code scale}. */
  public static Tensor forward(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, double scale) {
    long[] qs = KernelCall.shape(q), ks = KernelCall.shape(kCache);
    if (qs.length != 3) throw new IllegalArgumentException(OP + ": q must be [N, Hq, Dh], got shape " + Arrays.toString(qs));
    if (ks.length != 4) {
      throw new IllegalArgumentException(OP + ": k_cache must be [N, Hkv, Lmax, Dh], got shape " + Arrays.toString(ks));
    }
    final long n = qs[0], hq = qs[1], dh = qs[2], hkv = ks[1], lmax = ks[2];
    if (hkv < 1 || hq % hkv != 0) {
      throw new IllegalArgumentException(
          OP + ": " + hq + " query heads are not a multiple of " + hkv + " kv heads");
    }
    Variant variant = KernelCall.variant(OP, q);
    Tensor qc = arg(OP, "q", q, q, n, hq, dh);
    Tensor kc = arg(OP, "k_cache", kCache, q, n, hkv, lmax, dh);
    Tensor vc = arg(OP, "v_cache", vCache, q, n, hkv, lmax, dh);
    if (lengths != null && lengths.defined() && is(lengths, ScalarType.Int)) lengths = lengths.to(ScalarType.Long);
    Tensor lc = arg(OP, "lengths", lengths, ScalarType.Long, q, n);
    Tensor out = empty(q.options(), n, hq, dh);
    long a = address(qc), k = address(kc), v = address(vc), l = address(lc), o = address(out);
    int status =
        switch (variant) {
          case F32 -> NativeKernels.s4j_decode_attention_f32(a, k, v, l, scale, o, n, hq, hkv, lmax, dh);
          case F64 -> NativeKernels.s4j_decode_attention_f64(a, k, v, l, scale, o, n, hq, hkv, lmax, dh);
          case F32_CUDA -> NativeKernels.s4j_decode_attention_f32_cuda(a, k, v, l, scale, o, n, hq, hkv, lmax, dh);
        };
    check(OP, status);
    return out;
  }
}
