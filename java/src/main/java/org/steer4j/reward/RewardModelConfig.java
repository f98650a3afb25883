package org.steer4j.reward;

import org.steer4j.nn.ContextEncoder;
import org.steer4j.nn.ContextEncoder.Aggregator;
import org.steer4j.nn.ContextEncoder.Encoder;
import org.steer4j.config.Checks;

/**
 * A reward model (docs/method.md section 2). BTL and DPL have no context encoder; NP-BTL conditions
 * the reward decoder on a latent z inferred from the user's context pairs.
 *
 * @param type btl, dpl or np_btl
 * @param hidden H, the width of encodings, latent and decoder
 * @param targetEncoder mlp (Linear(D,H) -> ReLU -> Linear(H,H)) or linear (Linear(D,H))
 * @param contextEncoder mlp (Linear(2D,H) -> ReLU -> Linear(H,H); synthetic) or linear
 *     (Linear(2D,H); embeddings)
 * @param aggregator self_attention (then sum), mean or sum over the C encodings
 * @param heads attention heads (8)
 * @param attentionDropout dropout on the attention weights (0.1)
 * @param latent deterministic z, or stochastic q(z|C) = N(mu, diag softplus(s)) with KL
 * @param latentSamples S, reparameterised samples per task in training (stochastic)
 * @param betaKl weight of KL(q(z|T) || q(z|C)) (stochastic)
 * @param dplVariant mean_variance or categorical (DPL)
 * @param dplK k of the mean-variance DPL, P(a > b) = sigmoid(k (mu_a - mu_b) / sqrt(s_a^2 + s_b^2))
 * @param dplBuckets utility buckets of the categorical DPL
 * @param fusedDecoder run the reward decoder as the fused native op (false: eager composition)
 */
public record RewardModelConfig(
    ModelType type,
    int hidden,
    Encoder targetEncoder,
    Encoder contextEncoder,
    Aggregator aggregator,
    int heads,
    double attentionDropout,
    Latent latent,
    int latentSamples,
    double betaKl,
    DplVariant dplVariant,
    double dplK,
    int dplBuckets,
    boolean fusedDecoder) {
  public RewardModelConfig {
    Checks.positive("model.hidden", hidden);
    Checks.positive("model.heads", heads);
    Checks.require(hidden % heads == 0, "model.hidden (" + hidden + ") must be a multiple of model.heads (" + heads + ")");
    Checks.range("model.attention_dropout", attentionDropout, 0, 1);
    Checks.positive("model.latent_samples", latentSamples);
    Checks.nonNegative("model.beta_kl", betaKl);
    Checks.positive("model.dpl_k", dplK);
    Checks.require(dplBuckets >= 2, "model.dpl_buckets must be >= 2, got " + dplBuckets);
  }

  public static RewardModelConfig defaults() {
    return new RewardModelConfig(ModelType.NP_BTL, 256, Encoder.MLP, Encoder.MLP, Aggregator.SELF_ATTENTION, 8, 0.1,
        Latent.DETERMINISTIC, 1, 1.0, DplVariant.MEAN_VARIANCE, Math.sqrt(2 * Math.PI), 10, true);
  }

  public boolean conditional() {
    return type == ModelType.NP_BTL;
  }

  /** The NP-BTL context encoder this describes. */
  public ContextEncoder.Settings contextEncoderSettings() {
    return new ContextEncoder.Settings(hidden, contextEncoder, aggregator, heads, attentionDropout, latent == Latent.STOCHASTIC);
  }

  public enum ModelType {
    BTL,
    DPL,
    NP_BTL
  }

  public enum Latent {
    DETERMINISTIC,
    STOCHASTIC
  }

  public enum DplVariant {
    MEAN_VARIANCE,
    CATEGORICAL
  }
}
