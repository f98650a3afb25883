package org.steer4j.nn;

import static org.bytedeco.pytorch.global.torch.linear;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code Linear(2D, H)} over the concatenation [chosen ; rejected] of a context pair, stored as
 * its two column blocks so the concatenation is never built: {@code y = W_c chosen + W_r
 * rejected + b}. Initialised as one Linear(2D, H) (bound 1/sqrt(2D)). Two parameters rather
 * than views of one: the gradient of a narrowed view costs a zero-filled full-size copy per
 * half in backward.
 */
public final class PairLinear extends Module {
  private final Tensor chosenWeight, rejectedWeight, bias;
  private boolean bf16Compute;

  public PairLinear(long in, long out, TensorOptions options) {
    super("PairLinear");
    chosenWeight = Params.parameter(this, "weight_chosen", Init.linearUniform(2 * in, options, out, in));
    rejectedWeight = Params.parameter(this, "weight_rejected", Init.linearUniform(2 * in, options, out, in));
    bias = Params.parameter(this, "bias", Init.linearUniform(2 * in, options, out));
  }

  /** Computes the products in bfloat16 on float32 master weights. */
  public PairLinear bf16Compute(boolean enabled) {
    bf16Compute = enabled;
    return this;
  }

  /** {@code chosen}, {@code rejected}: [M, D] -> [M, H]. */
  public Tensor forward(Tensor chosen, Tensor rejected) {
    ScalarType compute = bf16Compute ? ScalarType.BFloat16 : ScalarType.Float;
    Tensor y = linear(cast(rejected, compute), cast(rejectedWeight, compute));
    y = y.add(linear(cast(chosen, compute), cast(chosenWeight, compute), new TensorOptional(cast(bias, compute))));
    return bf16Compute ? y.to(ScalarType.Float) : y;
  }

  private static Tensor cast(Tensor t, ScalarType type) {
    return t.scalar_type().value == type.value ? t : t.to(type);
  }
}
