package org.steer4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.config.SamplerConfig;
import org.steer4j.data.Batch;
import org.steer4j.data.Split;
import org.steer4j.data.TaskSampler;
import org.steer4j.data.Users;
import org.steer4j.runtime.Rng;

/**
 * The few-shot evaluation protocol shared by reward models and policies (docs/method.md section
 * 3): for each C, the same batches of test tasks (users, T targets, choices; batch {@code i} from
 * {@code Rng.derive(seed, "evaluation", i)}) for every model; each task scored on exactly the
 * targets that are not among its C context pairs; mean +- SEM over tasks, per label (mixture
 * users report as "mixture").
 */
public final class FewShotEvaluation {
  private FewShotEvaluation() {}

  /** How a model scores a batch of test tasks. */
  @FunctionalInterface
  public interface Scorer {
    /**
     * Per task of {@code batch}, the fraction of its targets outside the context predicted right.
     *
     * @param index the batch's index (the same tasks at every C)
     */
    double[] taskAccuracy(Batch batch, int index);
  }

  /**
   * The protocol's settings.
   *
   * @param contexts the values of C
   * @param batches test batches per C
   * @param batchSize tasks per batch
   * @param targets T, targets per task (C of them form the context)
   * @param seed the evaluation seed
   */
  public record Protocol(List<Integer> contexts, int batches, int batchSize, int targets, long seed) {
    /** The test-split sampler of tasks with T targets, the context a subset of them. */
    TaskSampler sampler(Tensor pairs, Users users) {
      SamplerConfig shape = new SamplerConfig(batchSize, targets, 0, targets - 1, SamplerConfig.ContextMode.SUBSET);
      return new TaskSampler(pairs, users, Split.TEST, shape);
    }
  }

  /**
   * Rows (model, label, C, accuracy %, SEM, tasks) of {@code model} scored by {@code scorer}, per
   * label and, when {@code withAll}, over all tasks ("all").
   *
   * @param pairs the dataset's pairs stacked, [N, 2, D] ({@code PairsDataset.stacked})
   */
  public static List<AccuracyRow> run(String model, Tensor pairs, Users users, Protocol protocol, boolean withAll, Scorer scorer) {
    TaskSampler sampler = protocol.sampler(pairs, users);
    List<AccuracyRow> rows = new ArrayList<>();
    try (NoGradGuard guard = new NoGradGuard()) {
      for (int c : protocol.contexts()) {
        Map<String, List<Double>> perLabel = new LinkedHashMap<>();
        for (int i = 0; i < protocol.batches(); ++i) {
          try (PointerScope scope = new PointerScope()) {
            Batch batch = sampler.sample(Rng.derive(protocol.seed(), "evaluation", i), c, protocol.batchSize());
            double[] accuracy = scorer.taskAccuracy(batch, i);
            for (int b = 0; b < accuracy.length; ++b) {
              String label = batch.users()[b].isMixture() ? "mixture" : batch.users()[b].name();
              perLabel.computeIfAbsent(label, k -> new ArrayList<>()).add(accuracy[b]);
              if (withAll) perLabel.computeIfAbsent("all", k -> new ArrayList<>()).add(accuracy[b]);
            }
          }
        }
        perLabel.forEach((label, values) -> rows.add(AccuracyRow.of(model, label, c, values)));
      }
    }
    return rows;
  }
}
