package org.steer4j.policy;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.kernels.EagerLogProb;
import org.steer4j.kernels.LogProbOp;
import org.steer4j.kernels.ResponseLabels;
import org.steer4j.kernels.Tape;

/**
 * The sequence log-prob DPO compares: per sequence, the sum of its response tokens' log-probs
 * (prompt and padding excluded). Fused ({@link LogProbOp}: no [N, L, V] log-softmax, and its
 * gradient written over the logits, which come straight out of the LM head and are read by
 * nothing else) or eager ({@link EagerLogProb}, LibTorch autograd), as configured.
 */
public final class SequenceLogProbs {
  private SequenceLogProbs() {}

  /** {@code logp [N]} (float32) of {@code logits [N, L, V]}; recorded on {@code tape} when the logits need a gradient. */
  public static Tensor of(Tensor logits, ResponseLabels labels, DpoConfig.LogProb impl, Tape tape) {
    // The kernel reads float32 / bfloat16 (and float64 on CPU); float16 logits go through float32.
    if (logits.scalar_type().value == ScalarType.Half.value) logits = logits.to(ScalarType.Float);
    return switch (impl) {
      case FUSED -> LogProbOp.forward(logits, labels.labels(), labels.mask(), tape, LogProbOp.GradientBuffer.OVERWRITE_LOGITS);
      case EAGER -> EagerLogProb.forward(logits, labels.labels(), labels.mask());
    };
  }
}
