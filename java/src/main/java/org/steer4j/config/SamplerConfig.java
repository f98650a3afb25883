package org.steer4j.config;

/**
 * How tasks are drawn (docs/method.md section 1).
 *
 * @param batchSize B, tasks per batch
 * @param targets T, pairs per task
 * @param minContext smallest C (inclusive); C ~ Uniform{min..max} once per batch
 * @param maxContext largest C (inclusive)
 * @param context subset: the C context pairs are a subset of the T targets (the reference);
 *     disjoint: C further pairs of the same user
 * @param labels the users (labels) training draws tasks from: a subset of the experiment's
 *     {@code data.labels} for a single-objective baseline; empty = all of them. Evaluation always
 *     covers every label of the experiment.
 */
public record SamplerConfig(int batchSize, int targets, int minContext, int maxContext, ContextMode context, java.util.List<String> labels) {
  public SamplerConfig {
    labels = labels == null ? java.util.List.of() : java.util.List.copyOf(labels);
    Checks.positive("sampler.batch_size", batchSize);
    Checks.positive("sampler.targets", targets);
    Checks.nonNegative("sampler.min_context", minContext);
    Checks.require(maxContext >= minContext, "sampler.max_context (" + maxContext + ") must be >= min_context (" + minContext + ")");
    Checks.require(context != ContextMode.SUBSET || maxContext <= targets,
        "sampler.max_context (" + maxContext + ") can't exceed sampler.targets (" + targets + ") when context is a subset of the targets");
  }

  /** Tasks of every label. */
  public SamplerConfig(int batchSize, int targets, int minContext, int maxContext, ContextMode context) {
    this(batchSize, targets, minContext, maxContext, context, java.util.List.of());
  }

  public static SamplerConfig defaults() {
    return new SamplerConfig(64, 20, 0, 10, ContextMode.SUBSET);
  }

  /** The training users: {@link #labels}, or {@code all} when it is empty. */
  public java.util.List<String> labelsOr(java.util.List<String> all) {
    return labels.isEmpty() ? all : labels;
  }

  public enum ContextMode {
    SUBSET,
    DISJOINT
  }
}
