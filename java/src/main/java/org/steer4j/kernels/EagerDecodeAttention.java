package org.steer4j.kernels;

import static org.bytedeco.pytorch.global.torch.arange;
import static org.bytedeco.pytorch.global.torch.softmax;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Decode-step attention composed of LibTorch ops: grouped matmul of the query heads with their
 * kv head's keys, positions past each sequence's length masked to -inf, softmax, matmul with
 * the values. The reference of {@link DecodeAttentionOp} and the baseline of its benchmark.
 * Query heads are viewed as {@code [N, Hkv, G, Dh]} so the cache is not repeated G times (a
 * stronger baseline than Hugging Face's eager {@code repeat_kv}).
 */
public final class EagerDecodeAttention {
  private EagerDecodeAttention() {}

  /** {@code q [N, Hq, Dh]}, caches {@code [N, Hkv, Lmax, Dh]}, {@code lengths [N]}: {@code out [N, Hq, Dh]}. */
  public static Tensor forward(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, double scale) {
    long n = q.size(0), hq = q.size(1), dh = q.size(2), hkv = kCache.size(1), lmax = kCache.size(2);
    Tensor grouped = q.reshape(n, hkv, hq / hkv, dh);
    Tensor scores = grouped.matmul(kCache.transpose(2, 3)).mul(new Scalar(scale));  // [N, Hkv, G, Lmax]
    Tensor positions = arange(new Scalar(lmax), lengths.options().dtype(new org.bytedeco.pytorch.ScalarTypeOptional(ScalarType.Long)));
    Tensor padding = positions.reshape(1, 1, 1, lmax).ge(lengths.to(ScalarType.Long).reshape(n, 1, 1, 1));
    Tensor weights = softmax(scores.masked_fill(padding, new Scalar(Double.NEGATIVE_INFINITY)), 3);
    return weights.matmul(vCache).reshape(n, hq, dh);
  }
}
