package org.steer4j.config;

/** One reward model's training and evaluation run. */
public record RewardConfig(
    RunConfig run, RuntimeConfig runtime, DataConfig data, SamplerConfig sampler, ModelConfig model, TrainConfig train, EvalConfig eval) {

  public static RewardConfig defaults() {
    return new RewardConfig(new RunConfig("reward", "outputs"), RuntimeConfig.defaults(), DataConfig.defaults(),
        SamplerConfig.defaults(), ModelConfig.defaults(), TrainConfig.defaults(), EvalConfig.defaults());
  }
}
