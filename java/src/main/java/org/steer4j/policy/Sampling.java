package org.steer4j.policy;

/**
 * How a response is decoded.
 *
 * @param temperature 0 = greedy (argmax); otherwise logits are divided by it before the softmax
 * @param topP nucleus sampling: only the most likely tokens whose probabilities sum to top_p are
 *     kept (always at least one); 1 = off
 * @param maxNewTokens tokens generated at most per response (the stop token included)
 * @param stopTokens a response ends at the first of these (which is not part of its text)
 * @param seed sampling randomness: sequence i of a call draws from its own stream (seed, i), so
 *     a prompt gets the same draws whatever else is in the batch or conditions it
 */
public record Sampling(double temperature, double topP, int maxNewTokens, long[] stopTokens, long seed) {
  public Sampling {
    if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
    if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    if (maxNewTokens <= 0) throw new IllegalArgumentException("max new tokens must be > 0, got " + maxNewTokens);
    stopTokens = stopTokens == null ? new long[0] : stopTokens.clone();
  }

  /** Greedy decoding of up to {@code maxNewTokens}. */
  public static Sampling greedy(int maxNewTokens, long... stopTokens) {
    return new Sampling(0, 1, maxNewTokens, stopTokens, 0);
  }

  public boolean greedy() {
    return temperature == 0;
  }

  public boolean isStop(long token) {
    for (long s : stopTokens) if (s == token) return true;
    return false;
  }
}
