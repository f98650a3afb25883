package org.steer4j.policy;
import org.steer4j.config.RunConfig;
import org.steer4j.config.RuntimeConfig;
import org.steer4j.config.SamplerConfig;
import org.steer4j.config.TrainConfig;

/**
 * One policy's training and evaluation run (DPO or NP-DPO). In an experiment, its run, runtime,
 * data, base and eval sections are replaced by the experiment's.
 */
public record PolicyConfig(
    RunConfig run, RuntimeConfig runtime, PolicyDataConfig data, BaseModelConfig base, SamplerConfig sampler, PolicyModelConfig policy,
    DpoConfig dpo, TrainConfig train, PolicyEvalConfig eval) {

  public static PolicyConfig defaults() {
    return new PolicyConfig(new RunConfig("policy", "outputs"), RuntimeConfig.defaults(), PolicyDataConfig.defaults(), BaseModelConfig.defaults(),
        new SamplerConfig(2, 9, 0, 6, SamplerConfig.ContextMode.SUBSET), PolicyModelConfig.defaults(), DpoConfig.defaults(),
        new TrainConfig(TrainConfig.Optimizer.ADAMW, 1e-5, 3e-5, 0.0, 0, 1, 250, 8, 250), PolicyEvalConfig.defaults());
  }
}
