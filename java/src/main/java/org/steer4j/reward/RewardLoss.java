package org.steer4j.reward;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The pairwise negative log-likelihood of the users' choices, averaged over samples, tasks and
 * targets, plus beta_KL times the KL term when the latent is stochastic.
 */
public final class RewardLoss {
  private RewardLoss() {}

  /** Loss parts: the total (to backpropagate), the NLL and the KL (null without one). */
  public record Parts(Tensor loss, Tensor nll, Tensor kl) {}

  /** {@code logp [S, B, T, 2]}, {@code choices [B, T]} (int64). */
  public static Parts of(RewardNet.Output out, Tensor choices, double betaKl) {
    Tensor logp = out.logp();
    Tensor index = choices.unsqueeze(0).unsqueeze(-1).expand(logp.size(0), logp.size(1), logp.size(2), 1);
    Tensor nll = logp.gather(-1, index).mean().neg();
    Tensor loss = out.kl() == null ? nll : nll.add(out.kl().mul(new Scalar(betaKl)));
    return new Parts(loss, nll, out.kl());
  }

  /** Predicted choices {@code [S, B, T]}: the more probable option. */
  public static Tensor predictions(Tensor logp) {
    return logp.argmax(new org.bytedeco.pytorch.LongOptional(-1), false);
  }
}
