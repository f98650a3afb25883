package org.steer4j.recipes;

import org.steer4j.reward.ElicitationConfig;

import java.util.List;
import org.steer4j.config.Checks;
import org.steer4j.config.EvalConfig;
import org.steer4j.config.RunConfig;
import org.steer4j.config.RuntimeConfig;
import org.steer4j.data.DataConfig;

/**
 * An experiment: one dataset, several reward models trained and evaluated on it, one report.
 *
 * @param kind reward (the default; see {@link ExperimentKind})
 * @param models the model configs (paths relative to this file), each a {@link RewardConfig};
 *     the experiment's run, runtime, data and eval sections replace theirs
 * @param modelOverrides key=value overrides applied to every model config (e.g.
 *     "train.steps=100")
 * @param curves plot the reward curves r(y) inferred per user type (1-D options only)
 * @param curveContexts C of the context pairs the curves are inferred from
 * @param pipeline optional steps that make the pairs dataset first (prepare, embed)
 * @param elicitation the active-elicitation evaluation of the models that adapt (off while its
 *     questions are 0)
 */
public record RewardExperimentConfig(
    ExperimentKind kind, RunConfig run, RuntimeConfig runtime, DataConfig data, EvalConfig eval, List<String> models,
    List<String> modelOverrides, boolean curves, List<Integer> curveContexts, Pipeline pipeline, ElicitationConfig elicitation) {
  public RewardExperimentConfig {
    Checks.require(kind == ExperimentKind.REWARD, "kind: a reward experiment config must have kind: reward, got " + kind);
    models = List.copyOf(models);
    modelOverrides = modelOverrides == null ? List.of() : List.copyOf(modelOverrides);
    curveContexts = curveContexts == null ? List.of() : List.copyOf(curveContexts);
    Checks.require(!models.isEmpty(), "models: list at least one model config");
  }

  public static RewardExperimentConfig defaults() {
    return new RewardExperimentConfig(ExperimentKind.REWARD, new RunConfig("experiment", "outputs"), RuntimeConfig.defaults(), DataConfig.defaults(),
        EvalConfig.defaults(), List.of("btl.yaml"), List.of(), true, List.of(1, 3, 10), Pipeline.defaults(), ElicitationConfig.defaults());
  }

  /**
   * Steps run before training, each skipped when null: {@code prepare} (a {@link PrepareConfig}
   * file: UltraFeedback JSONL to text pairs) and {@code embed} (an {@link EmbedConfig} file:
   * text pairs to a pairs dataset, resumable), with their own key=value overrides. With
   * {@code embed}, the experiment's {@code data.path} defaults to the embedding's output.
   */
  public record Pipeline(String prepare, List<String> prepareOverrides, String embed, List<String> embedOverrides) {
    public Pipeline {
      prepareOverrides = prepareOverrides == null ? List.of() : List.copyOf(prepareOverrides);
      embedOverrides = embedOverrides == null ? List.of() : List.copyOf(embedOverrides);
    }

    public static Pipeline defaults() {
      return new Pipeline(null, List.of(), null, List.of());
    }
  }
}
