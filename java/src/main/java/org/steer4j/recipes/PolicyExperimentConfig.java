package org.steer4j.recipes;

import java.util.List;
import org.steer4j.config.Checks;
import org.steer4j.config.RunConfig;
import org.steer4j.config.RuntimeConfig;
import org.steer4j.policy.BaseModelConfig;
import org.steer4j.policy.PolicyDataConfig;
import org.steer4j.policy.PolicyEvalConfig;

/**
 * A policy experiment ({@code kind: policy}): one dataset and base model, several policies
 * (DPO baselines, NP-DPO) trained and evaluated on them, one report.
 *
 * @param kind policy
 * @param models the policy configs (paths relative to this file), each a {@link PolicyConfig};
 *     the experiment's run, runtime, data, base and eval sections replace theirs
 * @param modelOverrides key=value overrides applied to every policy config (e.g. "train.steps=50")
 */
public record PolicyExperimentConfig(
    ExperimentKind kind, RunConfig run, RuntimeConfig runtime, PolicyDataConfig data, BaseModelConfig base, PolicyEvalConfig eval,
    List<String> models, List<String> modelOverrides) {
  public PolicyExperimentConfig {
    Checks.require(kind == ExperimentKind.POLICY, "kind: a policy experiment config must have kind: policy, got " + kind);
    models = List.copyOf(models);
    modelOverrides = modelOverrides == null ? List.of() : List.copyOf(modelOverrides);
    Checks.require(!models.isEmpty(), "models: list at least one policy config");
  }

  public static PolicyExperimentConfig defaults() {
    return new PolicyExperimentConfig(ExperimentKind.POLICY, new RunConfig("policy-experiment", "outputs"), RuntimeConfig.defaults(),
        PolicyDataConfig.defaults(), BaseModelConfig.defaults(), PolicyEvalConfig.defaults(), List.of("npdpo.yaml"), List.of());
  }
}
