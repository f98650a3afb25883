package org.steer4j.config;

import java.util.List;

/**
 * Evaluation (docs/method.md section 3): test split, accuracy on the targets that are not in the
 * context, per label, mean +- SEM over tasks.
 *
 * @param contexts the C values
 * @param batches batches of tasks per C (the same tasks for every C and every model)
 * @param batchSize tasks per batch
 * @param targets T per task
 * @param seed the evaluation seed (which tasks are drawn)
 */
public record EvalConfig(List<Integer> contexts, int batches, int batchSize, int targets, long seed) {
  public EvalConfig {
    contexts = List.copyOf(contexts);
    Checks.require(!contexts.isEmpty(), "eval.contexts must not be empty");
    for (int c : contexts) {
      Checks.require(c >= 0 && c < targets, "eval.contexts: C = " + c + " must be in [0, targets)");
    }
    Checks.positive("eval.batches", batches);
    Checks.positive("eval.batch_size", batchSize);
    Checks.positive("eval.targets", targets);
  }

  public static EvalConfig defaults() {
    return new EvalConfig(List.of(0, 1, 3, 5, 10), 32, 64, 20, 12345);
  }
}
