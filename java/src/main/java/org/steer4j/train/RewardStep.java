package org.steer4j.train;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.config.RewardConfig;
import org.steer4j.config.RuntimeConfig.Precision;
import org.steer4j.data.Batch;
import org.steer4j.data.Rng;
import org.steer4j.data.Split;
import org.steer4j.data.TaskSampler;
import org.steer4j.kernels.Tape;
import org.steer4j.reward.RewardData;
import org.steer4j.reward.RewardLoss;
import org.steer4j.reward.RewardNet;

/**
 * One optimiser step of reward-model training: draw a batch of tasks, forward, loss, backward
 * (LibTorch autograd and the fused decoder through the tape), optimizer step. Everything random
 * in it comes from the step's {@link Rng}. Callers wrap it in a PointerScope.
 */
public final class RewardStep {
  private final RewardNet net;
  private final FusedAdam optimizer;
  private final TaskSampler sampler;
  private final double betaKl;

  public RewardStep(RewardNet net, FusedAdam optimizer, TaskSampler sampler, double betaKl) {
    this.net = net;
    this.optimizer = optimizer;
    this.sampler = sampler;
    this.betaKl = betaKl;
  }

  /**
   * The training step of a config on its data, as training runs it: the network initialised
   * from the run seed, its optimizer, and the training-split sampler over the dataset's pairs
   * stacked once into [N, 2, D] (bfloat16 in bf16 runs: half the gather traffic), gathering
   * into a reused buffer.
   */
  public static RewardStep create(RewardConfig config, RewardData data) {
    if (config.runtime().device() != org.steer4j.config.RuntimeConfig.Device.CPU) {
      // At D = 4096 a step is ~0.1 s on 2 CPU cores; the GPU build is for embedding and policies.
      throw new IllegalArgumentException("runtime.device: reward models train on the CPU (set runtime.device=cpu)");
    }
    manual_seed(config.runtime().seed());  // initial weights
    RewardNet net = RewardTrainer.network(config, data.pairs().width());
    Tensor pairs = data.pairs().stacked();
    if (config.runtime().dtype() == Precision.BFLOAT16) pairs = pairs.to(ScalarType.BFloat16);
    TaskSampler sampler = new TaskSampler(pairs, data.users(), Split.TRAIN, config.sampler()).reuseTargetBuffer();
    return new RewardStep(net, RewardTrainer.optimizer(net, config.train()), sampler, config.model().betaKl());
  }

  public RewardNet net() {
    return net;
  }

  public FusedAdam optimizer() {
    return optimizer;
  }

  public TaskSampler sampler() {
    return sampler;
  }

  /** Runs one step; returns its metrics (loss, nll, kl, accuracy, unseen_accuracy, context, step_ms). */
  public Map<String, Double> run(Rng rng) {
    long started = System.nanoTime();
    Batch batch = sampler.sample(rng);
    manual_seed(rng.nextLong());  // dropout and latent noise of this step
    net.train(true);
    optimizer.zeroGrad();
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
