package org.steer4j.reward;

import static org.bytedeco.pytorch.global.torch.cat;
import static org.bytedeco.pytorch.global.torch.log_sigmoid;
import static org.bytedeco.pytorch.global.torch.softmax;
import static org.bytedeco.pytorch.global.torch.softplus;
import static org.bytedeco.pytorch.global.torch.sqrt;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * Turns the decoder's outputs for the two options of a pair into the log-probabilities of the
 * two choices: Bradley-Terry-Luce (one reward per option), DPL mean-variance (a mean and a
 * standard deviation per option) or DPL categorical (a distribution over utility buckets).
 */
public interface ChoiceHead {
  /** Decoder outputs per option. */
  int outputs();

  /** {@code r [..., 2, O]} -> {@code [..., 2]}: log P(a preferred), log P(b preferred). */
  Tensor logProbs(Tensor r);

  /** A scalar utility per option for display and scoring: {@code [..., O]} -> {@code [...]}. */
  Tensor utility(Tensor r);

  static ChoiceHead of(RewardModelConfig c) {
    return switch (c.type()) {
      case BTL, NP_BTL -> new Btl();
      case DPL -> c.dplVariant() == RewardModelConfig.DplVariant.MEAN_VARIANCE ? new MeanVariance(c.dplK()) : new Categorical(c.dplBuckets());
    };
  }

  /** P(a > b) = sigmoid(r_a - r_b). */
  final class Btl implements ChoiceHead {
    @Override
    public int outputs() {
      return 1;
    }

    @Override
    public Tensor logProbs(Tensor r) {
      Tensor d = r.select(-2, 0).sub(r.select(-2, 1));  // [..., 1]
      return cat(new TensorVector(log_sigmoid(d), log_sigmoid(d.neg())), -1);
    }

    @Override
    public Tensor utility(Tensor r) {
      return r.select(-1, 0);
    }
  }

  /** P(a > b) = sigmoid(k (mu_a - mu_b) / sqrt(s_a^2 + s_b^2)), s = softplus(raw). */
  final class MeanVariance implements ChoiceHead {
    private final double k;

    MeanVariance(double k) {
      this.k = k;
    }

    @Override
    public int outputs() {
      return 2;
    }

    @Override
    public Tensor logProbs(Tensor r) {
      Tensor mu = r.select(-1, 0), s = softplus(r.select(-1, 1));  // [..., 2]
      Tensor sa = s.select(-1, 0), sb = s.select(-1, 1);
      Tensor z = mu.select(-1, 0).sub(mu.select(-1, 1)).div(sqrt(sa.mul(sa).add(sb.mul(sb)))).mul(new Scalar(k)).unsqueeze(-1);
      return cat(new TensorVector(log_sigmoid(z), log_sigmoid(z.neg())), -1);
    }

    @Override
    public Tensor utility(Tensor r) {
      return r.select(-1, 0);
    }
  }

  /**
   * Categorical DPL (Siththaranjan et al.): a distribution over n ordered utility buckets per
   * option; P(a > b) = P(u_a > u_b) + P(u_a = u_b) / 2 for independent u_a, u_b.
   */
  final class Categorical implements ChoiceHead {
    private final int buckets;

    Categorical(int buckets) {
      this.buckets = buckets;
    }

    @Override
    public int outputs() {
      return buckets;
    }

    @Override
    public Tensor logProbs(Tensor r) {
      Tensor p = softmax(r, -1);                       // [..., 2, n]
      Tensor pa = p.select(-2, 0), pb = p.select(-2, 1);
      Tensor below = pb.cumsum(-1).sub(pb);             // P(u_b < bucket i)
      Tensor win = pa.mul(below.add(pb.mul(new Scalar(0.5)))).sum(new long[] {-1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
      Tensor pab = win.clamp(new org.bytedeco.pytorch.ScalarOptional(new Scalar(1e-7)), new org.bytedeco.pytorch.ScalarOptional(new Scalar(1 - 1e-7)));
      return cat(new TensorVector(pab.log(), pab.neg().add(new Scalar(1)).log()), -1);
    }

    @Override
    public Tensor utility(Tensor r) {
      // Expected bucket index, scaled to [0, 1].
      Tensor p = softmax(r, -1);
      Tensor levels = org.bytedeco.pytorch.global.torch.arange(new Scalar(buckets), new org.bytedeco.pytorch.TensorOptions(r.scalar_type()))
          .div(new Scalar(buckets - 1));
      return p.mul(levels).sum(new long[] {-1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
    }
  }
}
