package org.steer4j.reward;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.config.RuntimeConfig;
import org.steer4j.config.RuntimeConfig.Precision;
import org.steer4j.data.Batch;
import org.steer4j.data.Split;
import org.steer4j.data.TaskSampler;
import org.steer4j.dist.Distributed;
import org.steer4j.kernels.Tape;
import org.steer4j.nn.BatchSlice;
import org.steer4j.nn.Weights;
import org.steer4j.runtime.Rng;
import org.steer4j.train.FusedAdam;
import org.steer4j.train.MicroBatchGradients;
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
  private final Distributed dist;
  private final int microBatches;
  private final List<Tensor> params;  // those that train, in a fixed order

  private RewardStep(RewardNet net, FusedAdam optimizer, TaskSampler sampler, TaskSampler validation, RewardConfig config, ModelCard card,
      Distributed dist, int microBatches) {
    this.net = net;
    this.optimizer = optimizer;
    this.sampler = sampler;
    this.validation = validation;
    this.config = config;
    this.card = card;
    this.dist = dist;
    this.microBatches = microBatches;
    this.params = Weights.parameters(net).values().stream().filter(Tensor::requires_grad).toList();
  }

  /**
   * The training step of a config on its data: the network initialised from the run seed, its
   * optimizer, and the training-split sampler over the dataset's pairs stacked once into
   * [N, 2, D] (bfloat16 in bf16 runs: half the gather traffic), gathering into a reused buffer.
   */
  public static RewardStep create(RewardConfig config, RewardData data) {
    return create(config, data, Distributed.single());
  }

  /**
   * The same as one rank of a data-parallel job. With {@code runtime.micro_batches} M = 1 and W >
   * 1 ranks, each rank runs 1/W of every batch and BatchNorm is synchronised across them
   * (SyncBatchNorm): the run computes what one process does on the whole batch. With M a multiple
   * of W, each rank runs M / W micro-batches, each normalised by itself (DDP's local BatchNorm):
   * the run computes what one process running the M micro-batches does. Either way the optimizer
   * sums the gradients over the ranks.
   */
  public static RewardStep create(RewardConfig config, RewardData data, Distributed dist) {
    checkWorldSize(config, dist.worldSize());
    int micro = config.runtime().microBatchesOrOne(), world = dist.worldSize();
    boolean synchronised = micro == 1 && world > 1;
    RewardNet net = RewardNetFactory.create(config, data.pairs().width());
    Tensor pairs = data.pairs().stacked();
    if (config.runtime().dtype() == Precision.BFLOAT16) pairs = pairs.to(ScalarType.BFloat16);
    TaskSampler validation = new TaskSampler(pairs, data.users(), Split.VAL, config.sampler());
    TaskSampler sampler = new TaskSampler(pairs, data.users(), Split.TRAIN, config.sampler()).reuseTargetBuffer();
    ModelCard card = new ModelCard(config.model(), data.pairs().width(), data.pairs().labels(),
        data.provenance("reward_experiment", config.runtime().seed()));
    FusedAdam optimizer = FusedAdam.of(Weights.parameters(net), config.train()).reduceGradients(dist);
    if (synchronised) net.synchroniseBatchNorm(sums -> dist.allReduce(List.of(sums), Distributed.Reduction.SUM));
    return new RewardStep(net, optimizer, sampler, validation, config, card, dist, micro);
  }

  /**
   * Refuses a world size this config can't run on: {@code runtime.micro_batches} M > 1 that W does
   * not divide, more micro-batches or ranks than {@code sampler.batch_size} tasks, or synchronised
   * BatchNorm (M = 1, W > 1) without the fused decoder. Cheap: run before a run directory exists.
   */
  public static void checkWorldSize(RewardConfig config, int world) {
    if (config.runtime().device() != RuntimeConfig.Device.CPU) {
      // At D = 4096 a step is ~0.1 s on 2 CPU cores; the GPU build is for embedding and policies.
      throw new IllegalArgumentException("runtime.device: reward models train on the CPU (set runtime.device=cpu)");
    }
    int micro = config.runtime().microBatchesOrOne();
    if (micro != 1 && micro % world != 0) {
      throw new IllegalArgumentException("runtime.micro_batches = " + micro + " can't be shared by " + world
          + " ranks: run with a world size that divides it, or with micro_batches 1 (BatchNorm synchronised across the ranks)");
    }
    if (Math.max(micro, world) > config.sampler().batchSize()) {
      throw new IllegalArgumentException((micro >= world ? "runtime.micro_batches = " + micro + " exceeds" : world + " ranks exceed")
          + " sampler.batch_size = " + config.sampler().batchSize() + " (every micro-batch and every rank needs a task)");
    }
    boolean synchronised = micro == 1 && world > 1;
    if (synchronised && !config.model().fusedDecoder()) {
      throw new IllegalArgumentException("runtime.micro_batches = 1 on " + world + " ranks synchronises BatchNorm, which runs in the fused"
          + " reward decoder: set model.fused_decoder: true, or runtime.micro_batches to a multiple of " + world);
    }
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

  /**
   * Runs one step; returns its metrics (loss, nll, kl, accuracy, unseen_accuracy, context,
   * step_ms; comm_ms when data parallel). The batch of B tasks is drawn whole (on every rank: the
   * same {@code rng}) and split into P consecutive slices of tasks: the M micro-batches, or with
   * synchronised BatchNorm the W ranks' shares. This rank runs its share of the slices, each with
   * its own forward, its loss weighted by its share of the B tasks, and the step's random draws
   * sliced ({@link BatchSlice}), so the summed gradients and the task-weighted metrics are those
   * of one process, whatever the world size.
   */
  @Override
  public Map<String, Double> run(Rng rng) {
    long started = System.nanoTime(), communication = dist.communicationNanos();  // BatchNorm's sums, the gradients, the metrics
    Batch batch = sampler.sample(rng);
    long seed = rng.nextLong();  // dropout and latent noise of this step
    net.train(true);
    optimizer.zeroGrad();
    int world = dist.worldSize(), b = batch.tasks();
    int slices = microBatches == 1 ? world : microBatches, per = slices / world, first = dist.rank() * per;
    RewardNet.RunningStatistics bn = world > 1 && microBatches > 1 ? net.runningStatistics() : null;
    List<Tensor> before = bn == null ? null : bn.buffers().stream().map(t -> t.to(ScalarType.Double).clone()).toList();
    double[] sums = new double[LOSS_PARTS];
    boolean kl = false;
    List<Tensor> accumulated = null;
    for (int j = first; j < first + per; ++j) {
      try (PointerScope scope = new PointerScope()) {
        int from = (int) ((long) b * j / slices), to = (int) ((long) b * (j + 1) / slices);
        Batch slice = batch.tasks(from, to);
        manual_seed(seed);  // every slice draws the whole batch's noise and keeps its part
        Tape tape = new Tape();
        RewardNet.Output out = net.forward(slice, new BatchSlice(from, to - from, b), tape);
        RewardLoss.Parts parts = RewardLoss.of(out, slice.choices(), config.model().betaKl());
        double w = slices == 1 ? 1.0 : (double) (to - from) / b;
        tape.backward(slices == 1 ? parts.loss() : parts.loss().mul(new Scalar(w)));
        sums[0] += w * parts.loss().item_double();
        sums[1] += w * parts.nll().item_double();
        if (parts.kl() != null) {
          sums[2] += w * parts.kl().item_double();
          kl = true;
        }
        try (NoGradGuard guard = new NoGradGuard()) {
          Accuracy acc = accuracy(out.logp(), slice);
          sums[3] += w * acc.all();
          if (!Double.isNaN(acc.unseen())) {
            sums[4] += w * acc.unseen();
            sums[5] += w;
          }
        }
      }
      if (per > 1) accumulated = MicroBatchGradients.take(params, accumulated);  // outside the slice's scope: they outlive it
    }
    if (accumulated != null) {
      MicroBatchGradients.restore(params, accumulated);
    }
    optimizer.step();  // sums the gradients over the ranks first
    if (bn != null) mergeRunningStatistics(bn, before, per);
    if (world > 1) {
      double[][] all = dist.allGather(sums);
      sums = new double[LOSS_PARTS];
      for (double[] rank : all) for (int i = 0; i < LOSS_PARTS; ++i) sums[i] += rank[i];
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("loss", sums[0]);
    m.put("nll", sums[1]);
    if (kl) m.put("kl", sums[2]);
    m.put("accuracy", sums[3]);
    if (sums[5] > 0) m.put("unseen_accuracy", sums[4] / sums[5]);
    m.put("context", (double) batch.contextCount());
    m.put("step_ms", (System.nanoTime() - started) / 1e6);
    if (world > 1) m.put("comm_ms", (dist.communicationNanos() - communication) / 1e6);
    return m;
  }

  private static final int LOSS_PARTS = 6;  // loss, nll, kl, accuracy, unseen accuracy, weight of the unseen accuracy

  /**
   * The running statistics one process running all M micro-batches in sequence would leave: each
   * training forward updates x to a x + m s (a = 1 - momentum, s the slice's statistic), so after
   * the k = M / W slices of each of the W ranks in rank order x = a^M x0 + sum_r a^((W-1-r) k)
   * (x_r - a^k x0), where x_r is what rank r's own slices left from x0. One all-reduce (float64,
   * 2H values) gives every rank that; equal to the sequential result up to float32 rounding.
   * (DDP's broadcast_buffers would keep rank 0's statistics alone: those of 1 slice in W.)
   */
  private void mergeRunningStatistics(RewardNet.RunningStatistics bn, List<Tensor> before, int per) {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      double a = 1 - bn.momentum();
      int w = dist.worldSize(), r = dist.rank();
      List<Tensor> parts = new ArrayList<>();
      for (int i = 0; i < before.size(); ++i) {
        Tensor x0 = before.get(i);
        Tensor part = bn.buffers().get(i).to(ScalarType.Double).sub(x0.mul(new Scalar(Math.pow(a, per)))).mul(new Scalar(Math.pow(a, (double) (w - 1 - r) * per)));
        if (r == 0) part = part.add(x0.mul(new Scalar(Math.pow(a, (double) w * per))));
        parts.add(part);
      }
      dist.allReduce(parts, Distributed.Reduction.SUM);
      for (int i = 0; i < before.size(); ++i) bn.buffers().get(i).copy_(parts.get(i));
    }
  }

  /**
   * Mean loss and accuracy over the fixed validation batches, in evaluation mode; data parallel,
   * the batches are sharded over the ranks and every rank gets one process's numbers bit for bit.
   */
  @Override
  public Map<String, Double> validate() {
    net.eval();
    int n = config.train().valBatches();
    double[][] perBatch;  // nll, accuracy, unseen accuracy (NaN: every target is a context pair)
    try (NoGradGuard guard = new NoGradGuard()) {
      perBatch = dist.shard(n, 3, i -> {
        try (PointerScope scope = new PointerScope()) {
          Batch batch = validation.sample(Rng.derive(config.runtime().seed(), "validation", i));
          RewardNet.Output out = net.forward(batch, null);
          Accuracy acc = accuracy(out.logp(), batch);
          return new double[] {RewardLoss.of(out, batch.choices(), 0).nll().item_double(), acc.all(), acc.unseen()};
        }
      });
    }
    net.train(true);
    double loss = 0, accuracy = 0, unseen = 0;
    int unseenCount = 0;
    for (double[] v : perBatch) {
      loss += v[0];
      accuracy += v[1];
      if (!Double.isNaN(v[2])) {
        unseen += v[2];
        ++unseenCount;
      }
    }
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

  @Override
  public Map<String, Tensor> tensors() {
    return Weights.state(net);
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
