package org.steer4j.reward;

import static org.bytedeco.pytorch.global.torch.exp;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.reward.RewardModelConfig.Latent;
import org.steer4j.runtime.Rng;

/**
 * Chooses which pair to ask a user about next, from a pool of candidates, given their answers so
 * far (docs/method.md section 10). Each choice is one batched forward over the pool.
 *
 * <ul>
 *   <li>{@code random}: a uniformly random candidate (the paper's protocol for context pairs);
 *   <li>{@code uncertainty}: the candidate whose predicted preference, under the posterior mean
 *       latent, is closest to 1/2;
 *   <li>{@code information}: the candidate with the largest expected information gain about the
 *       user's latent (BALD, Houlsby et al. 2011): H(E_z p) - E_z H(p) over S samples z ~ q(z|C),
 *       the disagreement of the predicted choice across plausible users. It needs the stochastic
 *       latent: a deterministic z has no spread to disagree over (an ensemble would give one, at
 *       the cost of training several models).
 * </ul>
 */
public final class QuerySelector {
  /** The strategies, by their config names (random, uncertainty, information). */
  public enum Strategy {
    RANDOM,
    UNCERTAINTY,
    INFORMATION
  }

  private final RewardNet net;
  private final int samples;

  /**
   * @param samples S, latent samples for {@code information}
   * @throws IllegalArgumentException for a model without context, or information without a stochastic latent
   */
  public QuerySelector(RewardNet net, int samples) {
    if (!net.config().conditional()) throw new IllegalArgumentException("elicitation needs a model that adapts to context (np_btl)");
    this.net = net;
    this.samples = samples;
  }

  /** Whether {@code strategy} can run on this model. */
  public boolean supports(Strategy strategy) {
    return strategy != Strategy.INFORMATION || net.config().latent() == Latent.STOCHASTIC;
  }

  /**
   * P(a preferred over b) [S, M] for candidates {@code [M, 2, D]}, under S latents of the user of
   * {@code context [1, C, 2, D]} (chosen option first): the posterior mean when {@code eps} is
   * null (S = 1), else mean + std * eps for {@code eps [S, H]}.
   */
  public Tensor preferA(Tensor context, Tensor candidates, Tensor eps) {
    Tensor choices = org.bytedeco.pytorch.global.torch.zeros(new long[] {1, context.size(1)}, new TensorOptions(ScalarType.Long));
    Tensor[] q = net.posterior(context, choices);
    Tensor z = eps == null || q[1] == null ? q[0] : q[0].add(q[1].mul(eps));  // [S, H]
    long s = z.size(0), m = candidates.size(0), d = candidates.size(2);
    Tensor options = candidates.reshape(1, 2 * m, d).expand(s, 2 * m, d).contiguous();
    Tensor r = net.decode(options, z);                                               // [S, 2M, O]
    Tensor logp = net.head().logProbs(r.view(s, m, 2, r.size(-1)));                 // [S, M, 2]
    return exp(logp.select(-1, 0));
  }

  /**
   * The score of every candidate (higher = ask first): {@code -|p - 1/2|} for uncertainty, the
   * BALD information gain (nats) for information.
   */
  public float[] scores(Strategy strategy, Tensor context, Tensor candidates, Rng rng) {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      Tensor score;
      if (strategy == Strategy.UNCERTAINTY) {
        score = preferA(context, candidates, null).select(0, 0).sub(new Scalar(0.5)).abs().neg();
      } else if (strategy == Strategy.INFORMATION) {
        if (!supports(strategy)) throw new IllegalArgumentException("the information strategy needs a stochastic latent (model.latent: stochastic)");
        int h = (int) net.config().hidden();
        float[] e = new float[samples * h];
        for (int i = 0; i < e.length; ++i) e[i] = (float) rng.nextGaussian();
        Tensor eps = org.bytedeco.pytorch.global.torch.from_blob(new FloatPointer(e), new long[] {samples, h}, new TensorOptions(ScalarType.Float)).clone();
        Tensor p = preferA(context, candidates, eps).to(ScalarType.Double);             // [S, M]
        score = entropy(p.mean(0)).sub(entropy(p).mean(0));
      } else {
        throw new IllegalArgumentException("random has no scores");
      }
      float[] out = new float[(int) candidates.size(0)];
      score.to(ScalarType.Float).contiguous().data_ptr_float().get(out);
      return out;
    }
  }

  /** The index of the candidate to ask about, among {@code candidates [M, 2, D]}. */
  public int choose(Strategy strategy, Tensor context, Tensor candidates, Rng rng) {
    if (strategy == Strategy.RANDOM) return rng.nextInt((int) candidates.size(0));
    float[] s = scores(strategy, context, candidates, rng);
    int best = 0;
    for (int i = 1; i < s.length; ++i) if (s[i] > s[best]) best = i;
    return best;
  }

  /** Binary entropy (nats) of p, elementwise, 0 log 0 = 0. */
  private static Tensor entropy(Tensor p) {
    Tensor q = p.clamp(new org.bytedeco.pytorch.ScalarOptional(new Scalar(1e-12)), new org.bytedeco.pytorch.ScalarOptional(new Scalar(1 - 1e-12)));
    Tensor one = q.neg().add(new Scalar(1));
    return q.mul(q.log()).add(one.mul(one.log())).neg();
  }
}
