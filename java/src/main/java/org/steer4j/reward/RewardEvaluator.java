package org.steer4j.reward;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.config.EvalConfig;
import org.steer4j.config.SamplerConfig;
import org.steer4j.data.Batch;
import org.steer4j.runtime.Rng;
import org.steer4j.data.Split;
import org.steer4j.data.TaskSampler;
import org.steer4j.eval.AccuracyRow;

/**
 * Few-shot evaluation of a reward model (method.md section 3): on the test split, for each C,
 * the same batches of tasks (users, targets, choices) for every model; each task's accuracy on
 * exactly the targets that are not among its C context pairs; mean +- SEM over tasks, per label
 * (mixture users report as "mixture") and over all tasks ("all").
 */
public final class RewardEvaluator {
  private RewardEvaluator() {}

  public static List<AccuracyRow> evaluate(String modelName, RewardNet net, RewardData data, EvalConfig eval) {
    SamplerConfig shape = new SamplerConfig(eval.batchSize(), eval.targets(), 0, eval.targets() - 1, SamplerConfig.ContextMode.SUBSET);
    TaskSampler sampler = new TaskSampler(data.pairs(), data.users(), Split.TEST, shape);
    List<AccuracyRow> rows = new ArrayList<>();
    net.eval();
    try (NoGradGuard guard = new NoGradGuard()) {
      for (int c : eval.contexts()) {
        Map<String, List<Double>> perLabel = new LinkedHashMap<>();
        for (int i = 0; i < eval.batches(); ++i) {
          try (PointerScope scope = new PointerScope()) {
            Batch batch = sampler.sample(Rng.derive(eval.seed(), "evaluation", i), c, eval.batchSize());
            double[] accuracy = taskAccuracy(net.forward(batch, null).logp(), batch);
            for (int b = 0; b < accuracy.length; ++b) {
              String label = batch.users()[b].isMixture() ? "mixture" : batch.users()[b].name();
              perLabel.computeIfAbsent(label, k -> new ArrayList<>()).add(accuracy[b]);
              perLabel.computeIfAbsent("all", k -> new ArrayList<>()).add(accuracy[b]);
            }
          }
        }
        perLabel.forEach((label, values) -> rows.add(row(modelName, label, c, values)));
      }
    }
    return rows;
  }

  /** Per task: the fraction of its non-context targets predicted right. */
  static double[] taskAccuracy(Tensor logp, Batch batch) {
    Tensor correct = RewardLoss.predictions(logp).select(0, 0).eq(batch.choices()).to(ScalarType.Double);  // [B, T]
    long[] unseen = java.util.stream.IntStream.range(0, batch.targetCount()).filter(j -> !batch.inContext(j)).asLongStream().toArray();
    Tensor perTask = correct.index_select(1, org.bytedeco.pytorch.global.torch.tensor(unseen)).mean(1).contiguous();
    double[] out = new double[batch.tasks()];
    perTask.data_ptr_double().get(out);
    return out;
  }

  static AccuracyRow row(String model, String label, int context, List<Double> values) {
    return AccuracyRow.of(model, label, context, values);
  }

}
