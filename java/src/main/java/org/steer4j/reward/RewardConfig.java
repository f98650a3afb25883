package org.steer4j.reward;
import org.steer4j.config.EvalConfig;
import org.steer4j.config.RunConfig;
import org.steer4j.config.RuntimeConfig;
import org.steer4j.config.SamplerConfig;
import org.steer4j.config.TrainConfig;
import org.steer4j.data.DataConfig;

/** One reward model's training and evaluation run. */
public record RewardConfig(
    RunConfig run, RuntimeConfig runtime, DataConfig data, SamplerConfig sampler, RewardModelConfig model, TrainConfig train, EvalConfig eval) {

  public static RewardConfig defaults() {
    return new RewardConfig(new RunConfig("reward", "outputs"), RuntimeConfig.defaults(), DataConfig.defaults(),
        SamplerConfig.defaults(), RewardModelConfig.defaults(), TrainConfig.defaults(), EvalConfig.defaults());
  }
}
