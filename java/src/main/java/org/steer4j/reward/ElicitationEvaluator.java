package org.steer4j.reward;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.config.SamplerConfig;
import org.steer4j.data.Batch;
import org.steer4j.dist.Distributed;
import org.steer4j.data.Split;
import org.steer4j.data.TaskSampler;
import org.steer4j.eval.AccuracyRow;
import org.steer4j.runtime.Rng;

/**
 * Active elicitation, evaluated (docs/method.md section 10): each test user (batch {@code i} from
 * {@code Rng.derive(seed, "elicitation", i)}) has {@code targets} held-out pairs and a pool of
 * {@code pool} further pairs of their own; starting from no answers, each strategy asks {@code
 * questions} questions from the pool, the user answers from their own choices, and after each
 * answer the held-out targets are scored under the posterior mean latent. Every strategy sees the
 * same users, pools and targets, so at Q = 0 all of them score the model's C = 0 accuracy on
 * these users. Rows: (model, strategy, Q, accuracy %, SEM over users).
 */
public final class ElicitationEvaluator {
  private ElicitationEvaluator() {}

  public static List<AccuracyRow> evaluate(String model, RewardNet net, RewardData data, ElicitationConfig c) {
    return evaluate(model, net, data, c, Distributed.single());
  }

  /**
   * The same sharded over the ranks of {@code dist} (a collective: every rank calls it with the
   * same model and data): rank r runs the users of the batches i with i % W == r, every rank gets
   * the rows one process computes, bit for bit (each user's session has its own random stream,
   * and the accuracies are gathered back into batch order).
   */
  public static List<AccuracyRow> evaluate(String model, RewardNet net, RewardData data, ElicitationConfig c, Distributed dist) {
    QuerySelector selector = new QuerySelector(net, c.samples());
    net.eval();
    SamplerConfig shape = new SamplerConfig(c.batchSize(), c.targets(), c.pool(), c.pool(), SamplerConfig.ContextMode.DISJOINT);
    TaskSampler sampler = new TaskSampler(data.pairs().stacked(), data.users(), Split.TEST, shape);
    // a deterministic latent supports no information strategy: nothing to measure
    List<QuerySelector.Strategy> strategies = c.strategies().stream().filter(selector::supports).toList();
    int q1 = c.questions() + 1, width = 1 + strategies.size() * c.batchSize() * q1;  // tasks, then [strategy][task][q]
    double[][] perBatch;
    try (NoGradGuard guard = new NoGradGuard()) {
      perBatch = dist.shard(c.batches(), width, i -> {
        double[] out = new double[width];
        try (PointerScope scope = new PointerScope()) {
          Batch batch = sampler.sample(Rng.derive(c.seed(), "elicitation", i), c.pool(), c.batchSize());
          out[0] = batch.tasks();
          for (int b = 0; b < batch.tasks(); ++b) {
            User user = user(batch, b);
            for (int k = 0; k < strategies.size(); ++k) {
              QuerySelector.Strategy s = strategies.get(k);
              double[] acc = session(selector, s, user, c.questions(), Rng.derive(c.seed(), "elicitation-" + s, (long) i * 100_000 + b));
              System.arraycopy(acc, 0, out, 1 + (k * c.batchSize() + b) * q1, q1);
            }
          }
        }
        return out;
      });
    }
    List<AccuracyRow> rows = new ArrayList<>();
    for (int k = 0; k < strategies.size(); ++k) {
      List<List<Double>> perQ = new ArrayList<>();
      for (int q = 0; q < q1; ++q) perQ.add(new ArrayList<>());
      for (double[] batch : perBatch) {
        for (int b = 0; b < (int) batch[0]; ++b) {
          for (int q = 0; q < q1; ++q) perQ.get(q).add(batch[1 + (k * c.batchSize() + b) * q1 + q]);
        }
      }
      for (int q = 0; q < q1; ++q) rows.add(AccuracyRow.of(model, strategies.get(k).name().toLowerCase(java.util.Locale.ROOT), q, perQ.get(q)));
    }
    return rows;
  }

  /** One test user: pool [P, 2, D] with choices [P], held-out targets [K, 2, D] with choices [K]. */
  record User(Tensor pool, long[] poolChoices, Tensor targets, Tensor targetChoices) {}

  static User user(Batch batch, int b) {
    Tensor choices = batch.contextChoices().select(0, b).to(ScalarType.Long).contiguous();
    long[] pc = new long[(int) choices.numel()];
    choices.data_ptr_long().get(pc);
    return new User(batch.context().select(0, b), pc, batch.targets().select(0, b), batch.choices().select(0, b));
  }

  /** Accuracy on the user's held-out targets after 0, 1, ..., Q answers to the strategy's questions. */
  static double[] session(QuerySelector selector, QuerySelector.Strategy strategy, User user, int questions, Rng rng) {
    double[] acc = new double[questions + 1];
    List<Integer> remaining = new ArrayList<>();
    for (int k = 0; k < user.poolChoices().length; ++k) remaining.add(k);
    List<Tensor> answered = new ArrayList<>();  // [2, D] each, chosen first
    for (int q = 0; ; ++q) {
      Tensor context = context(answered, user.pool());
      Tensor p = selector.preferA(context, user.targets(), null).select(0, 0);  // [K]
      Tensor predicted = p.lt(new org.bytedeco.pytorch.Scalar(0.5)).to(ScalarType.Long);  // 1 = b preferred
      acc[q] = predicted.eq(user.targetChoices()).to(ScalarType.Double).mean().item_double();
      if (q == questions) break;
      Tensor candidates = user.pool().index_select(0, org.bytedeco.pytorch.global.torch.tensor(remaining.stream().mapToLong(Integer::longValue).toArray()));
      int pick = remaining.remove(selector.choose(strategy, context, candidates, rng));
      Tensor pair = user.pool().select(0, pick);
      // the user's answer: the pair ordered [chosen, rejected]; a pool pair is never a tie here
      answered.add(user.poolChoices()[pick] == 0 ? pair : pair.flip(new long[] {0}));
    }
    return acc;
  }

  /** The answers so far as context {@code [1, C, 2, D]}. */
  static Tensor context(List<Tensor> answered, Tensor pool) {
    if (answered.isEmpty()) return org.bytedeco.pytorch.global.torch.zeros(new long[] {1, 0, 2, pool.size(2)}, new org.bytedeco.pytorch.TensorOptions(pool.scalar_type()));
    org.bytedeco.pytorch.TensorVector v = new org.bytedeco.pytorch.TensorVector(answered.toArray(new Tensor[0]));
    return org.bytedeco.pytorch.global.torch.stack(v).unsqueeze(0);
  }
}
