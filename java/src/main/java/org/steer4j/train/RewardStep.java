package org.steer4j.train;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.data.Batch;
import org.steer4j.data.Rng;
import org.steer4j.data.TaskSampler;
import org.steer4j.kernels.Tape;
import org.steer4j.reward.RewardLoss;
import org.steer4j.reward.RewardNet;

/**
 * One optimiser step of reward-model training: draw a batch of tasks, forward, loss, backward
 * (LibTorch autograd and the fused decoder through the tape), optimizer step. Everything random
 * in it comes from the step's {@link Rng}. Callers wrap it in a PointerScope.
 */
public final class RewardStep {
  private final RewardNet net;
  private final Optimizer optimizer;
  private final TaskSampler sampler;
  private final double betaKl;

  public RewardStep(RewardNet net, Optimizer optimizer, TaskSampler sampler, double betaKl) {
    this.net = net;
    this.optimizer = optimizer;
    this.sampler = sampler;
    this.betaKl = betaKl;
  }

  /** Runs one step; returns its metrics (loss, nll, kl, accuracy, unseen_accuracy, context, step_ms). */
  public Map<String, Double> run(Rng rng) {
    long started = System.nanoTime();
    Batch batch = sampler.sample(rng);
    manual_seed(rng.nextLong());  // dropout and latent noise of this step
    net.train(true);
    optimizer.zero_grad();
    Tape tape = new Tape();
    RewardNet.Output out = net.forward(batch, tape);
    RewardLoss.Parts parts = RewardLoss.of(out, batch.choices(), betaKl);
    tape.backward(parts.loss());
    optimizer.step();
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("loss", parts.loss().item_double());
    m.put("nll", parts.nll().item_double());
    if (parts.kl() != null) m.put("kl", parts.kl().item_double());
    try (NoGradGuard guard = new NoGradGuard()) {
      Accuracy acc = accuracy(out.logp(), batch);
      m.put("accuracy", acc.all());
      if (!Double.isNaN(acc.unseen())) m.put("unseen_accuracy", acc.unseen());
    }
    m.put("context", (double) batch.contextCount());
    m.put("step_ms", (System.nanoTime() - started) / 1e6);
    return m;
  }

  public record Accuracy(double all, double unseen) {}

  /** Accuracy over all targets and over the targets that are not context pairs. */
  public static Accuracy accuracy(Tensor logp, Batch batch) {
    Tensor correct = RewardLoss.predictions(logp).eq(batch.choices().unsqueeze(0)).to(ScalarType.Float);  // [S, B, T]
    double all = correct.mean().item_double();
    int t = batch.targetCount();
    long[] unseen = java.util.stream.IntStream.range(0, t).filter(j -> !batch.inContext(j)).asLongStream().toArray();
    if (unseen.length == 0) return new Accuracy(all, Double.NaN);
    Tensor index = org.bytedeco.pytorch.global.torch.tensor(unseen);
    return new Accuracy(all, correct.index_select(2, index).mean().item_double());
  }

}
