package org.steer4j.llm;

import java.util.List;
import java.util.Set;

/**
 * Low-rank adapters (Hu et al., LoRA) on chosen projections, as PEFT defines them: for a frozen
 * weight W, y = W x + (alpha / rank) * B A dropout(x), A [rank, in] initialised like a Linear
 * (kaiming-uniform), B [out, rank] zeros, so an attached adapter starts as the identity change.
 *
 * @param targets projection names as in Hugging Face checkpoints, e.g. q_proj, v_proj
 * @param rslora rank-stabilised scaling alpha / sqrt(rank) (PEFT's {@code use_rslora}) instead of
 *     alpha / rank
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets, boolean rslora) {
  public static final Set<String> PROJECTIONS = Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  public LoraConfig {
    if (rank <= 0) throw new IllegalArgumentException("lora rank must be > 0, got " + rank);
    if (!(alpha > 0 && alpha < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("lora alpha must be finite and > 0, got " + alpha);
    if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("lora dropout must be in [0, 1), got " + dropout);
    if (targets == null || targets.isEmpty()) throw new IllegalArgumentException("lora targets must name at least one projection");
    for (String t : targets) {
      if (!PROJECTIONS.contains(t)) throw new IllegalArgumentException("lora target '" + t + "' is not a projection (one of " + PROJECTIONS + ")");
    }
    targets = List.copyOf(targets);
  }

  /** Adapters with PEFT's default scaling alpha / rank. */
  public LoraConfig(int rank, double alpha, double dropout, List<String> targets) {
    this(rank, alpha, dropout, targets, false);
  }

  /** PEFT's scaling of the low-rank update: alpha / rank, or alpha / sqrt(rank) with rsLoRA. */
  public double scaling() {
    return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
  }
}
