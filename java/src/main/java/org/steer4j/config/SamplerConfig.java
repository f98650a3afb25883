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
 */
public record SamplerConfig(int batchSize, int targets, int minContext, int maxContext, ContextMode context) {
  public SamplerConfig {
    Checks.positive("sampler.batch_size", batchSize);
    Checks.positive("sampler.targets", targets);
    Checks.nonNegative("sampler.min_context", minContext);
    Checks.require(maxContext >= minContext, "sampler.max_context (" + maxContext + ") must be >= min_context (" + minContext + ")");
    Checks.require(context != ContextMode.SUBSET || maxContext <= targets,
        "sampler.max_context (" + maxContext + ") can't exceed sampler.targets (" + targets + ") when context is a subset of the targets");
  }

  public static SamplerConfig defaults() {
    return new SamplerConfig(64, 20, 0, 10, ContextMode.SUBSET);
  }

  public enum ContextMode {
    SUBSET,
    DISJOINT
  }
}
