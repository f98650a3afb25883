package org.steer4j.reward;

import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.config.EvalConfig;
import org.steer4j.data.Batch;
import org.steer4j.dist.Distributed;
import org.steer4j.eval.AccuracyRow;
import org.steer4j.eval.FewShotEvaluation;

/**
 * Few-shot evaluation of a reward model ({@link FewShotEvaluation}, docs/method.md section 3): a
 * task's targets are predicted from the network's choice probabilities; rows per label and over
 * all tasks ("all").
 */
public final class RewardEvaluator {
  private RewardEvaluator() {}

  public static List<AccuracyRow> evaluate(String modelName, RewardNet net, RewardData data, EvalConfig eval) {
    return evaluate(modelName, net, data, eval, Distributed.single());
  }

  /**
   * The same sharded over the ranks of {@code dist} (a collective: every rank calls it with the
   * same model and data); every rank gets the rows, equal bit for bit to one process's.
   */
  public static List<AccuracyRow> evaluate(String modelName, RewardNet net, RewardData data, EvalConfig eval, Distributed dist) {
    net.eval();
    var protocol = new FewShotEvaluation.Protocol(eval.contexts(), eval.batches(), eval.batchSize(), eval.targets(), eval.seed());
    return FewShotEvaluation.run(modelName, data.pairs().stacked(), data.users(), protocol, true,
        (batch, index) -> taskAccuracy(net.forward(batch, null).logp(), batch), dist);
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


}
