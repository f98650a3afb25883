package org.steer4j.policy;

import java.util.List;
import org.steer4j.config.Checks;

/**
 * Sampling for the generation evaluation: responses to test prompts conditioned on C context
 * pairs of a user of each objective, scored by the objectives' rules (the dialogue world; other
 * data have no scoring rules, so set {@code prompts: 0} there).
 *
 * @param prompts test prompts (one user context per prompt); 0 = no generation evaluation
 * @param contexts the C values of the conditioning users
 * @param temperature 0 = greedy (the paper: 0.7)
 * @param topP nucleus sampling mass (the paper: 0.95); 1 = off
 * @param maxNewTokens per response
 * @param seed the sampling and prompt-drawing seed
 * @param kvCache decode incrementally with a KV cache (false: re-encode the whole prefix every step)
 * @param nativeAttention the decode step's attention with the native kernel (false: eager)
 */
public record GenerationConfig(int prompts, List<Integer> contexts, double temperature, double topP, int maxNewTokens, long seed,
    boolean kvCache, boolean nativeAttention) {
  public GenerationConfig {
    contexts = contexts == null ? List.of() : List.copyOf(contexts);
    Checks.nonNegative("eval.generation.prompts", prompts);
    for (int c : contexts) Checks.nonNegative("eval.generation.contexts", c);
    Checks.nonNegative("eval.generation.temperature", temperature);
    Checks.require(topP > 0 && topP <= 1, "eval.generation.top_p must be in (0, 1], got " + topP);
    Checks.positive("eval.generation.max_new_tokens", maxNewTokens);
  }

  public static GenerationConfig defaults() {
    return new GenerationConfig(64, List.of(0, 1, 3, 10), 0.7, 0.95, 48, 2024, true, true);
  }
}
