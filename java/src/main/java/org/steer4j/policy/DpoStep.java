package org.steer4j.policy;

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
import org.steer4j.data.Batch;
import org.steer4j.data.LabelUsers;
import org.steer4j.data.Split;
import org.steer4j.data.TaskSampler;
import org.steer4j.kernels.Tape;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.config.Configs;
import org.steer4j.config.RuntimeConfig;
import org.steer4j.dist.Distributed;
import org.steer4j.runtime.Rng;
import org.steer4j.train.FusedAdam;
import org.steer4j.train.MicroBatchGradients;
import org.steer4j.train.Step;

/**
 * The DPO / NP-DPO {@link Step} (docs/method.md section 6): {@code gradient_accumulation}
 * batches of tasks drawn as for the reward models (a user per task, T targets, C context pairs
 * among them), each a forward of all its targets' chosen and rejected responses under the
 * task's latent (one padded batch), the DPO loss against the cached reference log-probs,
 * backward through the fused log-prob (the tape), LibTorch autograd, FiLM and the context
 * encoder; then one AdamW step on LoRA (+ FiLM + context encoder). Metrics are over all pairs of
 * the step, whatever the accumulation (TRL logs them per micro-batch). Validation runs fixed
 * tasks of the validation split.
 *
 * <p>Data parallel ({@link #DpoStep(Policy, PolicyConfig, PolicyData, float[][], PolicyCard,
 * Distributed)}): every rank draws all k batches of the step and their seeds from the step's
 * {@link Rng}, in the same order as one process, and runs micro-batches r k/W .. (r+1) k/W - 1;
 * the optimizer sums the gradients over the ranks and the step's {@link Totals} are summed over
 * the ranks, so W ranks compute what one process computes with the same {@code
 * gradient_accumulation} (docs/data-parallel.md).
 *
 * <p>A checkpoint directory: {@code policy.safetensors}, {@code adapter/} (PEFT), {@code
 * policy.yaml} (the {@link PolicyCard}).
 */
public final class DpoStep implements Step {
  private final Policy policy;
  private final FusedAdam optimizer;
  private final TaskSampler sampler;
  private final TaskSampler validation;
  private final PairSequences sequences;
  private final float[][] reference;
  private final PolicyConfig config;
  private final PolicyCard card;
  private final Distributed dist;
  private final List<Tensor> params;  // the trainable tensors, in the optimizer's order

  /**
   * The step of {@code config} training {@code policy} (fresh from {@link PolicyFactory#create})
   * on {@code data}, the training users being the config's labels (all of the data's, or one
   * objective for a baseline).
   *
   * @param reference the reference log-probs of every row's two options
   * @param card how the policy is made (its steps are filled in at each save)
   */
  public DpoStep(Policy policy, PolicyConfig config, PolicyData data, float[][] reference, PolicyCard card) {
    this(policy, config, data, reference, card, Distributed.single());
  }

  /**
   * The same as one rank of a data-parallel job: it runs {@code gradient_accumulation / W} of
   * each step's micro-batches and its optimizer sums the gradients over the ranks.
   *
   * @throws IllegalArgumentException when the world size does not divide {@code
   *     dpo.gradient_accumulation}
   */
  public DpoStep(Policy policy, PolicyConfig config, PolicyData data, float[][] reference, PolicyCard card, Distributed dist) {
    checkWorldSize(config, dist.worldSize());
    this.policy = policy;
    this.config = config;
    this.card = card;
    this.dist = dist;
    Map<String, Tensor> trainable = policy.trainableState();
    this.params = new ArrayList<>(trainable.values());
    this.optimizer = FusedAdam.of(trainable, config.train()).reduceGradients(dist);
    Tensor pairs = data.pairs().stacked();
    LabelUsers users = new LabelUsers(data.pairs(), config.sampler().labelsOr(config.data().labels()));
    this.sampler = new TaskSampler(pairs, users, Split.TRAIN, config.sampler());
    this.validation = new TaskSampler(pairs, users, Split.VAL, config.sampler());
    this.sequences = data.sequences();
    this.reference = reference;
  }

  /**
   * Refuses a world size that does not divide {@code dpo.gradient_accumulation} (every rank runs
   * the same number of the step's micro-batches), and CUDA on several ranks (no NCCL yet).
   */
  public static void checkWorldSize(PolicyConfig config, int worldSize) {
    if (worldSize > 1 && config.runtime().device() == RuntimeConfig.Device.CUDA) {
      throw new IllegalArgumentException(config.run().name() + ": runtime.device: cuda on " + worldSize + " ranks: summing CUDA gradients across"
          + " processes needs NCCL, which steer4j does not drive yet (its c10d group is Gloo, CPU tensors); train on one GPU, or on the CPU"
          + " with --nproc (steer4j embed --nproc does use a GPU per rank)");
    }
    int k = config.dpo().gradientAccumulation();
    if (k % worldSize != 0) {
      throw new IllegalArgumentException(config.run().name() + ": dpo.gradient_accumulation = " + k + " can't be shared by " + worldSize
          + " ranks: data parallel runs gradient_accumulation / W micro-batches per rank, so set dpo.gradient_accumulation to a multiple of "
          + worldSize + " (the result depends on it, not on the world size) or use a world size that divides " + k);
    }
  }

  /** The optimiser steps of a run of this config on {@code data}. */
  public static long totalSteps(PolicyConfig config, PolicyData data) {
    return config.train().totalSteps(data.pairs().rows(Split.TRAIN).length, config.sampler().batchSize());
  }

  public Policy policy() {
    return policy;
  }

  @Override
  public FusedAdam optimizer() {
    return optimizer;
  }

  @Override
  public void save(Path dir, long step) throws IOException {
    policy.save(dir, card.base().path());
    AtomicFiles.writeString(dir.resolve(PolicyCard.FILE), Configs.toYaml(card.withSteps(step)));
  }

  @Override
  public void load(Path dir) {
    policy.load(dir);
  }

  @Override
  public Map<String, Tensor> tensors() {
    return policy.trainableState();
  }

  @Override
  public Map<String, Double> validate() {
    return validate(policy, validation, sequences, reference, config.dpo(), config.runtime().seed(), config.train().valBatches(), dist);
  }

  /** Sums of per-pair quantities over the batches of a step (or of a validation). */
  static final class Totals {
    double loss, chosen, rejected, correct, unseenCorrect, context;
    long pairs, unseenPairs, batches;

    static final int WIDTH = 9;

    double[] toArray() {
      return new double[] {loss, chosen, rejected, correct, unseenCorrect, context, pairs, unseenPairs, batches};
    }

    /** The sums of totals (ranks', batches'), added in order (integers exactly: far below 2^53). */
    static Totals sum(double[][] ranks) {
      Totals t = new Totals();
      for (double[] r : ranks) {
        t.loss += r[0];
        t.chosen += r[1];
        t.rejected += r[2];
        t.correct += r[3];
        t.unseenCorrect += r[4];
        t.context += r[5];
        t.pairs += (long) r[6];
        t.unseenPairs += (long) r[7];
        t.batches += (long) r[8];
      }
      return t;
    }

    void add(DpoLoss.Output out, PreferenceBatch batch, Batch tasks) {
      int p = batch.pairs();
      loss += out.loss().item_double() * p;
      chosen += out.chosenRewards().sum().item_double();
      rejected += out.rejectedRewards().sum().item_double();
      float[] correctness = new float[p];
      out.correct().cpu().contiguous().data_ptr_float().get(correctness);
      int perTask = p / tasks.tasks();
      for (int k = 0; k < p; ++k) {
        correct += correctness[k];
        if (!tasks.inContext(k % perTask)) {  // pairs are task-major over all T targets
          unseenCorrect += correctness[k];
          ++unseenPairs;
        }
      }
      pairs += p;
      context += tasks.contextCount();
      ++batches;
    }

    Map<String, Double> metrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("loss", loss / pairs);
      m.put("rewards_chosen", chosen / pairs);
      m.put("rewards_rejected", rejected / pairs);
      m.put("margin", (chosen - rejected) / pairs);
      m.put("accuracy", correct / pairs);
      if (unseenPairs > 0) m.put("unseen_accuracy", unseenCorrect / unseenPairs);
      m.put("context", context / batches);
      return m;
    }
  }

  /**
   * Runs one step; returns its metrics (loss, rewards_chosen, rewards_rejected, margin, accuracy,
   * unseen_accuracy, context, step_ms; comm_ms when data parallel). The k batches of tasks and
   * their dropout seeds are drawn first, all of them on every rank, in the order one process
   * always drew them (batch, seed, batch, seed, ...); this rank then runs its consecutive share.
   * With several micro-batches on a rank each one's gradient is completed before it is added to
   * the others' (as the all-reduce adds the ranks'), so for two micro-batches one process and two
   * ranks sum the same two gradients: bit for bit.
   */
  @Override
  public Map<String, Double> run(Rng rng) {
    long started = System.nanoTime();
    int k = config.dpo().gradientAccumulation(), w = dist.worldSize(), per = k / w, first = dist.rank() * per;
    Batch[] draws = new Batch[k];
    long[] seeds = new long[k];
    for (int micro = 0; micro < k; ++micro) {
      draws[micro] = sampler.sample(rng);
      seeds[micro] = rng.nextLong();  // dropout of this batch
    }
    policy.train(true);
    optimizer.zeroGrad();
    Totals totals = new Totals();
    List<Tensor> accumulated = null;
    for (int micro = first; micro < first + per; ++micro) {
      try (PointerScope scope = new PointerScope()) {
        Batch tasks = draws[micro];
        manual_seed(seeds[micro]);
        Tape tape = new Tape();
        PreferenceBatch batch = PreferenceBatch.of(tasks, PreferenceBatch.allTargets(tasks), sequences, reference, policy.model().device());
        DpoLoss.Output out = forward(policy, tasks, batch, config.dpo(), tape);
        tape.backward(out.loss().div(new Scalar(k)));
        try (NoGradGuard guard = new NoGradGuard()) {
          totals.add(out, batch, tasks);
        }
      }
      if (per > 1) accumulated = MicroBatchGradients.take(params, accumulated);  // outside the micro-batch's scope: they outlive it
    }
    if (accumulated != null) {
      MicroBatchGradients.restore(params, accumulated);
    }
    long communication = dist.communicationNanos();
    optimizer.step();  // sums the gradients over the ranks first
    if (w > 1) totals = Totals.sum(dist.allGather(totals.toArray()));
    Map<String, Double> m = totals.metrics();
    m.put("step_ms", (System.nanoTime() - started) / 1e6);
    if (w > 1) m.put("comm_ms", (dist.communicationNanos() - communication) / 1e6);
    return m;
  }


  /** The DPO loss of one batch of tasks: latents from the contexts (NP-DPO), one forward of all sequences. */
  static DpoLoss.Output forward(Policy policy, Batch tasks, PreferenceBatch batch, DpoConfig dpo, Tape tape) {
    Tensor zRows = null;
    if (policy.conditional()) zRows = policy.latent(tasks.contextRows()).index_select(0, batch.tasks());
    Tensor logps = policy.logProbs(batch.sequences(), zRows, dpo.logprob(), tape);
    Tensor[] split = batch.split(logps);
    return DpoLoss.of(split[0], split[1], batch.referenceChosen(), batch.referenceRejected(), dpo.beta());
  }

  /**
   * Mean metrics over fixed validation batches, in evaluation mode, sharded over the ranks of
   * {@code dist} (a collective): every rank gets the metrics one process computes, bit for bit.
   */
  static Map<String, Double> validate(Policy policy, TaskSampler sampler, PairSequences sequences, float[][] reference, DpoConfig dpo, long seed,
      int batches, Distributed dist) {
    policy.train(false);
    double[][] perBatch;
    try (NoGradGuard guard = new NoGradGuard()) {
      perBatch = dist.shard(batches, Totals.WIDTH, i -> {
        try (PointerScope scope = new PointerScope()) {
          Batch tasks = sampler.sample(Rng.derive(seed, "validation", i));
          PreferenceBatch batch = PreferenceBatch.of(tasks, PreferenceBatch.allTargets(tasks), sequences, reference, policy.model().device());
          Totals totals = new Totals();
          totals.add(forward(policy, tasks, batch, dpo, null), batch, tasks);
          return totals.toArray();
        }
      });
    }
    return Totals.sum(perBatch).metrics();
  }
}
