package org.steer4j.policy;

import java.util.List;
import org.steer4j.config.Checks;

/**
 * Evaluation of policies: implicit-reward accuracy (the sign of {@code beta ((lp_w - ref_w) -
 * (lp_l - ref_l))} against the user's choice) on the test split's targets that are not in the
 * context, per objective and C, mean +- SEM over tasks; then generation (see {@link GenerationConfig}).
 *
 * @param contexts the C values
 * @param batches batches of tasks per C (the same tasks for every C and every model)
 * @param batchSize tasks per batch
 * @param targets T per task
 * @param seed which tasks are drawn
 * @param forwardBatch sequences per forward at most (tasks are grouped to fit)
 * @param generation the generation evaluation
 */
public record PolicyEvalConfig(List<Integer> contexts, int batches, int batchSize, int targets, long seed, int forwardBatch,
    GenerationConfig generation) {
  public PolicyEvalConfig {
    contexts = List.copyOf(contexts);
    Checks.require(!contexts.isEmpty(), "eval.contexts must not be empty");
    for (int c : contexts) Checks.require(c >= 0 && c < targets, "eval.contexts: C = " + c + " must be in [0, targets)");
    Checks.positive("eval.batches", batches);
    Checks.positive("eval.batch_size", batchSize);
    Checks.positive("eval.targets", targets);
    Checks.positive("eval.forward_batch", forwardBatch);
    Checks.require(generation != null, "eval.generation is required");
  }

  public static PolicyEvalConfig defaults() {
    return new PolicyEvalConfig(List.of(0, 1, 3, 5, 10), 8, 16, 16, 12345, 256, GenerationConfig.defaults());
  }
}
