package org.steer4j.policy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.data.Batch;
import org.steer4j.dist.Distributed;
import org.steer4j.eval.AccuracyRow;
import org.steer4j.eval.FewShotEvaluation;

/**
 * Few-shot evaluation of a policy by its implicit reward (docs/method.md sections 3 and 6): on the
 * test split, for each C, the same tasks for every model and every C; a target is predicted
 * right when {@code beta ((lp_w - ref_w) - (lp_l - ref_l)) > 0} for the user's chosen w; each
 * task's accuracy over exactly its targets that are not context pairs; mean +- SEM over tasks,
 * per objective. An unconditioned policy's log-probs do not depend on C, so they are computed
 * once per task.
 */
public final class PolicyEvaluator {
  private PolicyEvaluator() {}

  /**
   * Rows (model, objective, C, accuracy %, SEM) for {@code policy}; at most {@code
   * eval.forward_batch} sequences per forward (tasks are grouped to fit).
   */
  public static List<AccuracyRow> evaluate(String modelName, Policy policy, PolicyData data, float[][] reference, PolicyEvalConfig eval,
      DpoConfig dpo) {
    return evaluate(modelName, policy, data, reference, eval, dpo, Distributed.single());
  }

  /**
   * The same sharded over the ranks of {@code dist} (a collective: every rank calls it with the
   * same policy and data): rank r scores the batches i with i % W == r, and every rank gets the
   * rows one process computes, bit for bit ({@link FewShotEvaluation}).
   */
  public static List<AccuracyRow> evaluate(String modelName, Policy policy, PolicyData data, float[][] reference, PolicyEvalConfig eval,
      DpoConfig dpo, Distributed dist) {
    int forwardBatch = eval.forwardBatch();
    Map<Integer, double[][]> unconditioned = new HashMap<>();  // batch -> [task][target] correct: the same at every C
    policy.train(false);
    var protocol = new FewShotEvaluation.Protocol(eval.contexts(), eval.batches(), eval.batchSize(), eval.targets(), eval.seed());
    return FewShotEvaluation.run(modelName, data.pairs().stacked(), data.users(), protocol, false, (batch, index) -> {
      double[][] correct = policy.conditional()
          ? correct(policy, batch, data, reference, dpo, forwardBatch)
          : unconditioned.computeIfAbsent(index, k -> correct(policy, batch, data, reference, dpo, forwardBatch));
      double[] accuracy = new double[batch.tasks()];
      int[] unseen = PreferenceBatch.unseenTargets(batch);
      for (int b = 0; b < batch.tasks(); ++b) {
        double sum = 0;
        for (int t : unseen) sum += correct[b][t];
        accuracy[b] = sum / unseen.length;
      }
      return accuracy;
    }, dist);
  }

  /**
   * Whether each target of each task is predicted right, [task][target]; a conditioned policy
   * reads the batch's context, and the context targets are scored too (the caller skips them).
   */
  static double[][] correct(Policy policy, Batch batch, PolicyData data, float[][] reference, DpoConfig dpo, int forwardBatch) {
    int tasks = batch.tasks(), t = batch.targetCount();
    double[][] out = new double[tasks][t];
    Tensor z = policy.conditional() ? policy.latent(batch.contextRows()) : null;
    int perForward = Math.max(1, forwardBatch / (2 * t));
    int[] all = PreferenceBatch.allTargets(batch);
    // forward task groups of at most forwardBatch sequences
    for (int from = 0; from < tasks; from += perForward) {
      int to = Math.min(tasks, from + perForward);
      try (PointerScope scope = new PointerScope()) {
        PreferenceBatch group = PreferenceBatch.of(subset(batch, from, to), all, data.sequences(), reference, policy.model().device());
        Tensor zRows = z == null ? null : z.narrow(0, from, to - from).index_select(0, group.tasks());
        Tensor logps = policy.logProbs(group.sequences(), zRows, dpo.logprob(), null);
        Tensor[] split = group.split(logps);
        DpoLoss.Output o = DpoLoss.of(split[0], split[1], group.referenceChosen(), group.referenceRejected(), dpo.beta());
        float[] c = new float[group.pairs()];
        o.correct().cpu().contiguous().data_ptr_float().get(c);
        for (int k = 0; k < c.length; ++k) out[from + k / t][k % t] = c[k];
      }
    }
    return out;
  }

  /** Tasks {@code from..to-1} of a batch as a batch of their own (targets, choices, users, rows; context positions shared). */
  static Batch subset(Batch batch, int from, int to) {
    if (from == 0 && to == batch.tasks()) return batch;
    int n = to - from;
    return new Batch(batch.targets().narrow(0, from, n), batch.choices().narrow(0, from, n), null, null,
        batch.contextIndex(),
        java.util.Arrays.copyOfRange(batch.users(), from, to), java.util.Arrays.copyOfRange(batch.rows(), from, to));
  }
}
