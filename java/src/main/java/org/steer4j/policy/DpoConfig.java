package org.steer4j.policy;
import org.steer4j.config.Checks;

/**
 * The DPO objective (docs/method.md section 6): {@code -log sigmoid(beta ((lp_w - lp_l) - (ref_w -
 * ref_l)))}, mean over the targets of a step.
 *
 * @param beta the KL strength (0.05, as the paper)
 * @param logprob the sequence log-prob: fused (the native kernel, the default) or eager (LibTorch
 *     log_softmax + gather, the reference)
 * @param gradientAccumulation batches of tasks per optimiser step (metrics are averaged over them)
 * @param referenceCache keep reference log-probs on disk under {@code data.cache_dir}, keyed by
 *     model, data and tokenizer (false: recompute every run)
 */
public record DpoConfig(double beta, LogProb logprob, int gradientAccumulation, boolean referenceCache) {
  public DpoConfig {
    Checks.positive("dpo.beta", beta);
    Checks.require(logprob != null, "dpo.logprob must be fused or eager");
    Checks.positive("dpo.gradient_accumulation", gradientAccumulation);
  }

  public static DpoConfig defaults() {
    return new DpoConfig(0.05, LogProb.FUSED, 1, true);
  }

  public enum LogProb {
    FUSED,
    EAGER
  }
}
