package org.steer4j.policy;

import static org.bytedeco.pytorch.global.torch.logsigmoid;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The DPO loss (Rafailov et al.; docs/method.md section 6) of P pairs, from the policy's and the
 * reference's sequence log-probs of the chosen (w) and rejected (l) responses:
 *
 * <pre>
 * loss     = mean_p -log sigmoid(beta ((lp_w - lp_l) - (ref_w - ref_l)))
 * reward_w = beta (lp_w - ref_w),   reward_l = beta (lp_l - ref_l)      (implicit rewards, no gradient)
 * margin   = reward_w - reward_l,   accuracy = mean_p [reward_w > reward_l]
 * </pre>
 *
 * The same for DPO and NP-DPO: conditioning changes the policy's log-probs, not the loss.
 */
public final class DpoLoss {
  private DpoLoss() {}

  /** The loss (scalar, with gradient) and the per-pair implicit rewards [P] (detached). */
  public record Output(Tensor loss, Tensor chosenRewards, Tensor rejectedRewards) {
    public Tensor margins() {
      return chosenRewards.sub(rejectedRewards);
    }

    /** Per pair: 1 where the chosen response has the larger implicit reward, else 0 (ties count wrong). */
    public Tensor correct() {
      return chosenRewards.gt(rejectedRewards).to(ScalarType.Float);
    }

    public double accuracy() {
      return correct().mean().item_double();
    }
  }

  public static Output of(Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected, double beta) {
    if (!(beta > 0)) throw new IllegalArgumentException("DPO beta must be > 0, got " + beta);
    Scalar b = new Scalar(beta);
    Tensor refChosen = referenceChosen.to(policyChosen.device(), policyChosen.scalar_type());
    Tensor refRejected = referenceRejected.to(policyRejected.device(), policyRejected.scalar_type());
    Tensor logits = policyChosen.sub(policyRejected).sub(refChosen.sub(refRejected)).mul(b);
    Tensor loss = logsigmoid(logits).neg().mean();
    Tensor chosenRewards = policyChosen.detach().sub(refChosen).mul(b);
    Tensor rejectedRewards = policyRejected.detach().sub(refRejected).mul(b);
    return new Output(loss, chosenRewards, rejectedRewards);
  }
}
