package org.steer4j.reward;

import java.nio.file.Path;
import java.util.List;
import org.steer4j.config.EvalConfig;
import org.steer4j.dist.Distributed;
import org.steer4j.dist.DistributedException;
import org.steer4j.eval.AccuracyRow;
import org.steer4j.eval.Results;
import org.steer4j.runtime.Native;

/**
 * One process of {@link DataParallelTest}'s sharded evaluation: evaluates the checkpoint {@code
 * CHECKPOINT} of the test's NP-BTL model with {@link #EVAL}, one thread, as the rank its
 * environment says (a world of one without one); rank 0 writes {@code OUT/results.csv} and {@code
 * OUT/rows.txt}, the rows' doubles in full (hexadecimal: results.csv rounds them to 0.01).
 *
 * <pre>DataParallelEvalRank CHECKPOINT OUT</pre>
 */
public final class DataParallelEvalRank {
  private DataParallelEvalRank() {}

  /** 9 batches: 5 on rank 0, 4 on rank 1 of two. */
  static final EvalConfig EVAL = new EvalConfig(List.of(0, 1, 3), 9, 8, 20, 12345);
  /** Active elicitation of 3 batches of 2 users (2 on rank 0, 1 on rank 1), 3 questions, every strategy. */
  static final ElicitationConfig ELICITATION = new ElicitationConfig(List.of(QuerySelector.Strategy.values()), 3, 6, 10, 3, 2, 8, 99);

  public static void main(String[] args) throws Exception {
    Path checkpoint = Path.of(args[0]), out = Path.of(args[1]);
    Native.init(1);
    Distributed dist = Distributed.fromEnvironment();
    try {
      RewardConfig c = DataParallelRank.config(2, 1);
      RewardData data = RewardData.load(c.data());
      RewardNet net = RewardNetFactory.load(checkpoint, false);
      List<AccuracyRow> rows = RewardEvaluator.evaluate("np-btl", net, data, EVAL, dist);
      List<AccuracyRow> elicited = ElicitationEvaluator.evaluate("np-btl", net, data, ELICITATION, dist);
      if (dist.isMain()) {
        Results.writeCsv(out.resolve("results.csv"), rows);
        StringBuilder sb = new StringBuilder();
        for (AccuracyRow r : rows) {
          sb.append(r.label()).append(' ').append(r.context()).append(' ').append(Double.toHexString(r.accuracy())).append(' ')
              .append(Double.toHexString(r.sem())).append(' ').append(r.tasks()).append('\n');
        }
        for (AccuracyRow r : elicited) {
          sb.append("elicitation ").append(r.label()).append(' ').append(r.context()).append(' ').append(Double.toHexString(r.accuracy()))
              .append(' ').append(Double.toHexString(r.sem())).append(' ').append(r.tasks()).append('\n');
        }
        java.nio.file.Files.writeString(out.resolve("rows.txt"), sb);
      }
      dist.close();
    } catch (DistributedException e) {
      System.err.println("steer4j: error: " + e.getMessage());
      System.exit(DistributedException.EXIT_CODE);
    }
    System.exit(0);
  }
}
