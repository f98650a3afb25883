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
import org.steer4j.dist.Distributed;
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
    return run(model, pairs, users, protocol, withAll, scorer, Distributed.single());
  }

  /**
   * The same, sharded over the ranks of {@code dist} (a collective: every rank calls it with the
   * same arguments and the same model): rank r scores the batches i with i % W == r, the
   * per-task accuracies and labels are all-gathered, and every rank rebuilds the per-label lists
   * in batch order exactly as one process does, so the rows are those of one process bit for bit.
   * A world of one runs the single-process loop.
   */
  public static List<AccuracyRow> run(String model, Tensor pairs, Users users, Protocol protocol, boolean withAll, Scorer scorer, Distributed dist) {
    if (dist.worldSize() > 1) return sharded(model, pairs, users, protocol, withAll, scorer, dist);
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

  private static String label(Batch batch, int b) {
    return batch.users()[b].isMixture() ? "mixture" : batch.users()[b].name();
  }

  /**
   * Rank r's share: per C, for each of its batches (slot s is batch s·W + r) a fixed record
   * [tasks, accuracy × batchSize, label code × batchSize] (padded with zeros), all-gathered at
   * once; a code indexes this rank's table of the labels it met, all-gathered at the end.
   */
  private static List<AccuracyRow> sharded(String model, Tensor pairs, Users users, Protocol protocol, boolean withAll, Scorer scorer,
      Distributed dist) {
    int w = dist.worldSize(), r = dist.rank(), n = protocol.batches(), size = protocol.batchSize();
    int slots = (n + w - 1) / w, record = 1 + 2 * size;
    TaskSampler sampler = protocol.sampler(pairs, users);
    List<String> table = new ArrayList<>();
    Map<String, Integer> codes = new LinkedHashMap<>();
    List<double[][]> gathered = new ArrayList<>();  // per C: by rank, the slots' records
    try (NoGradGuard guard = new NoGradGuard()) {
      for (int c : protocol.contexts()) {
        double[] mine = new double[slots * record];
        for (int i = r, s = 0; i < n; i += w, ++s) {
          try (PointerScope scope = new PointerScope()) {
            Batch batch = sampler.sample(Rng.derive(protocol.seed(), "evaluation", i), c, protocol.batchSize());
            double[] accuracy = scorer.taskAccuracy(batch, i);
            if (accuracy.length > size) throw new IllegalStateException(accuracy.length + " task accuracies for a batch of " + size);
            int at = s * record;
            mine[at] = accuracy.length;
            for (int b = 0; b < accuracy.length; ++b) {
              mine[at + 1 + b] = accuracy[b];
              String l = label(batch, b);
              Integer code = codes.get(l);
              if (code == null) {
                code = table.size();
                codes.put(l, code);
                table.add(l);
              }
              mine[at + 1 + size + b] = code;
            }
          }
        }
        gathered.add(dist.allGather(mine));
      }
    }
    String[][] labels = new String[w][];
    String[] tables = dist.allGather(String.join("\0", table));
    for (int q = 0; q < w; ++q) labels[q] = tables[q].isEmpty() ? new String[0] : tables[q].split("\0", -1);
    List<AccuracyRow> rows = new ArrayList<>();
    for (int k = 0; k < protocol.contexts().size(); ++k) {
      int c = protocol.contexts().get(k);
      double[][] byRank = gathered.get(k);
      Map<String, List<Double>> perLabel = new LinkedHashMap<>();
      for (int i = 0; i < n; ++i) {
        double[] from = byRank[i % w];
        int at = (i / w) * record, tasks = (int) from[at];
        for (int b = 0; b < tasks; ++b) {
          double accuracy = from[at + 1 + b];
          String label = labels[i % w][(int) from[at + 1 + size + b]];
          perLabel.computeIfAbsent(label, x -> new ArrayList<>()).add(accuracy);
          if (withAll) perLabel.computeIfAbsent("all", x -> new ArrayList<>()).add(accuracy);
        }
      }
      perLabel.forEach((label, values) -> rows.add(AccuracyRow.of(model, label, c, values)));
    }
    return rows;
  }
}
