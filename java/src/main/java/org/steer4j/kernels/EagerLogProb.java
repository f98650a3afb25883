package org.steer4j.kernels;

import static org.bytedeco.pytorch.global.torch.log_softmax;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The sequence log-prob as PyTorch code writes it, under autograd: log_softmax over the
 * vocabulary, gather at the labels, masked sum over positions. The reference of {@link
 * LogProbOp} in tests and the baseline of its benchmark; it materialises the {@code [N, L, V]}
 * log-softmax (in the logits' dtype) and its gradient.
 */
public final class EagerLogProb {
  private EagerLogProb() {}

  /**
   * {@code logp [N]} for {@code logits [N, L, V]}, aligned {@code labels [N, L]} and {@code mask
   * [N, L]}; float64 for float64 logits, float32 otherwise, as {@link LogProbOp}.
   */
  public static Tensor forward(Tensor logits, Tensor labels, Tensor mask) {
    ScalarType arithmetic = KernelCall.is(logits, ScalarType.Double) ? ScalarType.Double : ScalarType.Float;
    Tensor weights = mask.to(arithmetic);
    // Unscored positions may carry -100 ("ignore") labels, which gather would refuse.
    Tensor index = labels.to(ScalarType.Long).masked_fill(weights.eq(new Scalar(0)), new Scalar(0)).unsqueeze(2);
    Tensor tokenLogp = log_softmax(logits, 2).gather(2, index).squeeze(2).to(arithmetic);
    return tokenLogp.mul(weights).sum(1);
  }
}
