package org.steer4j.policy;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.config.SamplerConfig;
import org.steer4j.data.Batch;
import org.steer4j.data.DialogueWorld;
import org.steer4j.data.LabelUsers;
import org.steer4j.runtime.Rng;
import org.steer4j.data.Split;
import org.steer4j.data.TaskSampler;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.ForwardOptions;

/**
 * What a policy writes, scored by the dialogue world's rules: responses sampled for the same
 * test prompts (same sampling streams, so conditions differ only by the policy) and their mean
 * score under every objective. A conditioned policy writes for users of each objective, each
 * prompt conditioned on C context pairs of its own user from the test split; an unconditioned
 * one (a DPO baseline, or the base model) writes once.
 */
public final class GenerationEvaluator {
  private GenerationEvaluator() {}

  /** Mean score (and SEM over prompts) of one condition under one objective. */
  public record Row(String model, String conditionedOn, int context, String objective, double score, double sem, int samples) {}

  /** One generated response, for the report. */
  public record Example(String model, String conditionedOn, int context, String prompt, String response, DialogueWorld.Scores scores) {}

  public record Result(List<Row> rows, List<Example> examples) {}

  /** For unconditioned responses. */
  public static final String NONE = "none";

  /** The prompts of the evaluation: {@code generation.prompts} test rows, drawn with the generation seed. */
  public static int[] promptRows(PolicyData data, GenerationConfig generation) {
    int[] test = data.world().rows(Split.TEST);
    int k = Math.min(generation.prompts(), test.length);
    return Rng.derive(generation.seed(), "generation-prompts", 0).sample(test, k);
  }

  /** A conditioned policy, for users of each objective and each C of the config. */
  public static Result conditioned(String model, Policy policy, PolicyData data, ChatEncoder chat, GenerationConfig generation) {
    requireWorld(data);
    int[] rows = promptRows(data, generation);
    int maxContext = Math.max(1, generation.contexts().stream().mapToInt(Integer::intValue).max().orElse(1));
    List<Row> out = new ArrayList<>();
    List<Example> examples = new ArrayList<>();
    policy.train(false);
    for (String objective : data.labels()) {
      TaskSampler users = new TaskSampler(data.pairs(), new LabelUsers(data.pairs(), List.of(objective)), Split.TEST,
          new SamplerConfig(rows.length, maxContext, 0, maxContext, SamplerConfig.ContextMode.SUBSET));
      for (int c : generation.contexts()) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
          // the same users (and targets) for every C: tasks are drawn before the context positions
          Batch batch = users.sample(Rng.derive(generation.seed(), "generation-users-" + objective, 0), c, rows.length);
          Tensor z = policy.latent(batch.contextRows());
          score(model, objective, c, policy.model(), policy.options(z), rows, data, chat, generation, out, examples);
        }
      }
    }
    return new Result(out, examples);
  }

  /** An unconditioned policy ({@code options}: adapters on for a DPO policy, {@link ForwardOptions#BASE} for the base model). */
  public static Result unconditioned(String model, DecoderLm lm, ForwardOptions options, PolicyData data, ChatEncoder chat, GenerationConfig generation) {
    requireWorld(data);
    int[] rows = promptRows(data, generation);
    List<Row> out = new ArrayList<>();
    List<Example> examples = new ArrayList<>();
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      score(model, NONE, 0, lm, options, rows, data, chat, generation, out, examples);
    }
    return new Result(out, examples);
  }

  private static void score(String model, String conditionedOn, int context, DecoderLm lm, ForwardOptions options, int[] rows, PolicyData data,
      ChatEncoder chat, GenerationConfig generation, List<Row> out, List<Example> examples) {
    List<long[]> prompts = new ArrayList<>(rows.length);
    for (int r : rows) prompts.add(data.sequences().prompt(r));
    Sampling sampling = new Sampling(generation.temperature(), generation.topP(), generation.maxNewTokens(), chat.stopTokens(), generation.seed());
    List<SampledGenerator.Generation> responses = new SampledGenerator(lm, generation.kvCache(), generation.nativeAttention())
        .generate(prompts, options, sampling);
    List<String> objectives = data.labels();
    double[][] scores = new double[objectives.size()][rows.length];
    for (int i = 0; i < rows.length; ++i) {
      DialogueWorld.Prompt prompt = data.world().pairs().get(rows[i]).prompt();
      String text = chat.decode(responses.get(i).tokens());
      DialogueWorld.Scores s = DialogueWorld.score(prompt, text);
      for (int o = 0; o < objectives.size(); ++o) scores[o][i] = s.of(objectives.get(o));
      if (i < 4) examples.add(new Example(model, conditionedOn, context, prompt.text(), text, s));
    }
    for (int o = 0; o < objectives.size(); ++o) {
      double mean = 0, ss = 0;
      for (double v : scores[o]) mean += v;
      mean /= rows.length;
      for (double v : scores[o]) ss += (v - mean) * (v - mean);
      double sem = rows.length > 1 ? Math.sqrt(ss / (rows.length - 1) / rows.length) : 0;
      out.add(new Row(model, conditionedOn, context, objectives.get(o), mean, sem, rows.length));
    }
  }

  private static void requireWorld(PolicyData data) {
    if (data.world() == null) {
      throw new IllegalArgumentException("generation scoring needs the dialogue world's rules; set eval.generation.prompts: 0 for other data");
    }
  }
}
