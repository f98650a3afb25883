package org.steer4j.api;

/**
 * How {@link UserPolicy#generate} decodes: temperature (0 = greedy), nucleus mass top-p, the
 * most new tokens per response, and the seed of the sampling (a prompt's draws depend on the
 * seed and its position in the call only). Responses end at the model's EOS or end-of-turn token.
 */
public record GenerationSettings(double temperature, double topP, int maxNewTokens, long seed) {
  public GenerationSettings {
    if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
    if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    if (maxNewTokens <= 0) throw new IllegalArgumentException("max new tokens must be > 0, got " + maxNewTokens);
  }

  /** Greedy decoding. */
  public static GenerationSettings greedy(int maxNewTokens) {
    return new GenerationSettings(0, 1, maxNewTokens, 0);
  }

  /** The paper's sampling: temperature 0.7, top-p 0.95, 256 new tokens. */
  public static GenerationSettings paper(long seed) {
    return new GenerationSettings(0.7, 0.95, 256, seed);
  }
}
