package org.steer4j.api;

/**
 * A reward model adapted to one user (from their context pairs): rewards of options and
 * preference probabilities. Immutable; safe to use from many threads.
 */
public final class UserReward {
  private final RewardModel model;
  private final float[] latent;

  UserReward(RewardModel model, float[] latent) {
    this.model = model;
    this.latent = latent;
  }

  /** The user's latent z (null for models without context). */
  public float[] latent() {
    return latent == null ? null : latent.clone();
  }

  /** The user's reward for one option. */
  public float reward(float[] option) {
    return rewards(new float[][] {option})[0];
  }

  /** The user's rewards for several options (one batched forward). */
  public float[] rewards(float[][] options) {
    if (options == null) throw new IllegalArgumentException("options is null");
    if (options.length == 0) return new float[0];
    int n = options.length, d = model.inputWidth();
    float[] flat = new float[n * d];
    for (int i = 0; i < n; ++i) {
      model.check(options[i]);
      System.arraycopy(options[i], 0, flat, i * d, d);
    }
    return model.utilities(model.decode(flat, n, latent), n);
  }

  /** P(the user prefers {@code a} over {@code b}) under the model's choice head. */
  public double preferenceProbability(float[] a, float[] b) {
    model.check(a);
    model.check(b);
    int d = model.inputWidth();
    float[] flat = new float[2 * d];
    System.arraycopy(a, 0, flat, 0, d);
    System.arraycopy(b, 0, flat, d, d);
    return model.preferA(model.decode(flat, 2, latent));
  }
}
