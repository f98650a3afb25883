package org.steer4j.api;

import java.util.List;

/**
 * A policy adapted to one user (from their context pairs, with no gradient step): generation
 * conditioned on the user's latent, and the implicit reward of a response, the DPO policy's own
 * measure of how much this user would prefer it. Immutable.
 */
public final class UserPolicy {
  private final PolicyModel model;
  private final float[] latent;

  UserPolicy(PolicyModel model, float[] latent) {
    this.model = model;
    this.latent = latent;
  }

  /** The user's latent z (null for an unconditioned policy). */
  public float[] latent() {
    return latent == null ? null : latent.clone();
  }

  /** A response to {@code prompt}. */
  public String generate(String prompt, GenerationSettings settings) {
    return generate(List.of(prompt), settings).get(0);
  }

  /** Responses to several prompts, decoded as one batch (prompt i draws from its own stream of the seed). */
  public List<String> generate(List<String> prompts, GenerationSettings settings) {
    if (prompts.isEmpty()) return List.of();
    return model.generate(prompts, latent, settings);
  }

  /**
   * The implicit reward of {@code response} to {@code prompt} for this user: {@code beta (log
   * pi(response) - log pi_ref(response))} with the beta the policy was trained with. Comparing
   * two responses' implicit rewards predicts the user's choice between them.
   */
  public double implicitReward(String prompt, String response) {
    return model.card().beta() * (model.logProb(prompt, response, latent) - model.referenceLogProb(prompt, response));
  }
}
