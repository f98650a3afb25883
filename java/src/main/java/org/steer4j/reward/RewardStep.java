package org.steer4j.reward;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.config.RuntimeConfig;
import org.steer4j.config.RuntimeConfig.Precision;
import org.steer4j.data.Batch;
import org.steer4j.data.Split;
import org.steer4j.data.TaskSampler;
import org.steer4j.kernels.Tape;
import org.steer4j.nn.Weights;
import org.steer4j.runtime.Rng;
import org.steer4j.train.FusedAdam;
import org.steer4j.train.Step;

/**
 * The reward models' (BTL, DPL, NP-BTL) {@link Step}: draw a batch of tasks, forward, pairwise NLL
 * (+ KL for a stochastic latent), backward (LibTorch autograd and the fused decoder through the
 * tape), Adam / AdamW step; validation is the mean loss and accuracy over fixed batches of the
 * validation split; a checkpoint holds the network and its {@link ModelCard}.
 */
public final class RewardStep implements Step {
  private final RewardNet net;
  private final FusedAdam optimizer;
  private final TaskSampler sampler;
  private final TaskSampler validation;
  private final RewardConfig config;
  private final ModelCard card;

  private RewardStep(RewardNet net, FusedAdam optimizer, TaskSampler sampler, TaskSampler validation, RewardConfig config, ModelCard card) {
    this.net = net;
    this.optimizer = optimizer;
    this.sampler = sampler;
    this.validation = validation;
    this.config = config;
    this.card = card;
  }

  /**
   * The training step of a config on its data: the network initialised from the run seed, its
   * optimizer, and the training-split sampler over the dataset's pairs stacked once into
   * [N, 2, D] (bfloat16 in bf16 runs: half the gather traffic), gathering into a reused buffer.
   */
  public static RewardStep create(RewardConfig config, RewardData data) {
    if (config.runtime().device() != RuntimeConfig.Device.CPU) {
      // At D = 4096 a step is ~0.1 s on 2 CPU cores; the GPU build is for embedding and policies.
      throw new IllegalArgumentException("runtime.device: reward models train on the CPU (set runtime.device=cpu)");
    }
    RewardNet net = RewardNetFactory.create(config, data.pairs().width());
    Tensor pairs = data.pairs().stacked();
    if (config.runtime().dtype() == Precision.BFLOAT16) pairs = pairs.to(ScalarType.BFloat16);
    TaskSampler validation = new TaskSampler(pairs, data.users(), Split.VAL, config.sampler());
    TaskSampler sampler = new TaskSampler(pairs, data.users(), Split.TRAIN, config.sampler()).reuseTargetBuffer();
    ModelCard card = new ModelCard(config.model(), data.pairs().width(), data.pairs().labels(),
        data.provenance("reward_experiment", config.runtime().seed()));
    return new RewardStep(net, FusedAdam.of(Weights.parameters(net), config.train()), sampler, validation, config, card);
  }

  /** The optimiser steps of a run of this config on {@code data}. */
  public static long totalSteps(RewardConfig config, RewardData data) {
    return config.train().totalSteps(data.pairs().rows(Split.TRAIN).length, config.sampler().batchSize());
  }

  public RewardNet net() {
    return net;
  }

  @Override
  public FusedAdam optimizer() {
    return optimizer;
  }

  public TaskSampler sampler() {
    return sampler;
  }

  /** Runs one step; returns its metrics (loss, nll, kl, accuracy, unseen_accuracy, context, step_ms). */
  @Override
  public Map<String, Double> run(Rng rng) {
    long started = System.nanoTime();
    Batch batch = sampler.sample(rng);
    manual_seed(rng.nextLong());  // dropout and latent noise of this step
    net.train(true);
    optimizer.zeroGrad();
    Tape tape = new Tape();
    RewardNet.Output out = net.forward(batch, tape);
    RewardLoss.Parts parts = RewardLoss.of(out, batch.choices(), config.model().betaKl());
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

  /** Mean loss and accuracy over the fixed validation batches, in evaluation mode. */
  @Override
  public Map<String, Double> validate() {
    net.eval();
    double loss = 0, accuracy = 0, unseen = 0;
    int unseenCount = 0, n = config.train().valBatches();
    try (NoGradGuard guard = new NoGradGuard()) {
      for (int i = 0; i < n; ++i) {
        try (PointerScope scope = new PointerScope()) {
          Batch batch = validation.sample(Rng.derive(config.runtime().seed(), "validation", i));
          RewardNet.Output out = net.forward(batch, null);
          loss += RewardLoss.of(out, batch.choices(), 0).nll().item_double();
          Accuracy acc = accuracy(out.logp(), batch);
          accuracy += acc.all();
          if (!Double.isNaN(acc.unseen())) {
            unseen += acc.unseen();
            ++unseenCount;
          }
        }
      }
    }
    net.train(true);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("loss", loss / n);
    m.put("accuracy", accuracy / n);
    if (unseenCount > 0) m.put("unseen_accuracy", unseen / unseenCount);
    return m;
  }

  @Override
  public void save(Path dir, long step) throws IOException {
    RewardNetFactory.save(dir, net, card.withSteps(step));
  }

  @Override
  public void load(Path dir) {
    Weights.load(net, dir.resolve(RewardNetFactory.WEIGHTS));
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
