package org.steer4j.llm;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Root-mean-square normalisation, in float32 whatever the model's dtype, with each family's
 * rounding: Llama and Qwen2 cast the normalised value back to the model dtype and then scale by
 * w; Gemma scales by (1 + w) in float32 and casts last. The difference is invisible in float32
 * and a rounding step in bf16, where matching it keeps us next to Hugging Face's numbers.
 */
final class RmsNorm {
  private RmsNorm() {}

  static Tensor apply(Tensor x, Tensor weight, double eps, boolean unitOffset) {
    Tensor xf = x.to(ScalarType.Float);
    Tensor meanSquare = xf.mul(xf).mean(new long[] {-1}, true, new ScalarTypeOptional());
    Tensor normed = xf.mul(meanSquare.add(new Scalar(eps)).rsqrt());
    if (unitOffset) return normed.mul(weight.to(ScalarType.Float).add(new Scalar(1.0))).to(x.scalar_type());
    return weight.mul(normed.to(x.scalar_type()));
  }
}
