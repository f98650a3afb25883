package org.steer4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.config.Configs;
import org.steer4j.config.RewardConfig;
import org.steer4j.config.RuntimeConfig.Precision;
import org.steer4j.config.TrainConfig;
import org.steer4j.data.Batch;
import org.steer4j.nn.Weights;
import org.steer4j.data.Rng;
import org.steer4j.data.Split;
import org.steer4j.data.TaskSampler;
import org.steer4j.reward.ModelCard;
import org.steer4j.reward.RewardData;
import org.steer4j.reward.RewardLoss;
import org.steer4j.reward.RewardNet;

/**
 * The reward-model training recipe (BTL, DPL, NP-BTL): sample a batch of tasks, forward,
 * pairwise NLL (+ KL), backward through LibTorch and the fused decoder, Adam / AdamW step;
 * validate periodically and keep the best validation-loss checkpoint; save a resumable last
 * checkpoint.
 *
 * <p>Every step's randomness (tasks, C, context positions, dropout, latent noise) derives from
 * (seed, step), so resuming from the last checkpoint continues exactly as the uninterrupted run.
 */
public final class RewardTrainer {
  private final RewardConfig config;
  private final RewardData data;
  private final Path checkpoints;
  private final List<TrainingListener> listeners = new ArrayList<>();

  public RewardTrainer(RewardConfig config, RewardData data, Path checkpoints) {
    this.config = config;
    this.data = data;
    this.checkpoints = checkpoints;
  }

  public RewardTrainer listen(TrainingListener listener) {
    listeners.add(listener);
    return this;
  }

  /** What a finished training left behind. */
  public record Result(Path best, Path last, long steps, double bestValLoss, long bestStep) {}

  /** Builds the network a config describes, for data of width {@code inputWidth}. */
  public static RewardNet network(RewardConfig c, long inputWidth) {
    return new RewardNet(inputWidth, c.model(), new TensorOptions(ScalarType.Float), c.runtime().dtype() == Precision.BFLOAT16);
  }

  public Result train() {
    long seed = config.runtime().seed();
    RewardStep stepper = RewardStep.create(config, data);
    RewardNet net = stepper.net();
    FusedAdam optimizer = stepper.optimizer();
    TaskSampler val = new TaskSampler(stepper.sampler().pairs(), data.users(), Split.VAL, config.sampler());
    long total = config.train().totalSteps(data.pairs().rows(Split.TRAIN).length, config.sampler().batchSize());

    Path lastDir = checkpoints.resolve("last"), bestDir = checkpoints.resolve("best");
    long start = 1;
    double bestLoss = Double.POSITIVE_INFINITY;
    long bestStep = 0;
    Path resumeFrom = Checkpoints.resolve(lastDir);
    if (resumeFrom != null) {
      Checkpoints.State s = Checkpoints.load(resumeFrom, net, optimizer);
      start = s.step() + 1;
      bestLoss = s.bestValLoss();
      bestStep = s.bestStep();
    }
    for (TrainingListener l : listeners) l.onStart(start, total);
    for (long step = start; step <= total; ++step) {
      Map<String, Double> metrics;
      try (PointerScope scope = new PointerScope()) {
        metrics = stepper.run(Rng.derive(seed, "train", step));
      }
      for (TrainingListener l : listeners) l.onStep(step, metrics);
      boolean validate = step % config.train().valEvery() == 0 || step == total;
      if (validate) {
        Map<String, Double> v = validate(net, val);
        boolean best = v.get("loss") < bestLoss;
        if (best) {
          bestLoss = v.get("loss");
          bestStep = step;
          Checkpoints.save(bestDir, net, null, new Checkpoints.State(step, total, bestLoss, bestStep), card(step));
        }
        for (TrainingListener l : listeners) l.onValidation(step, v, best);
      }
      if (step % config.train().checkpointEvery() == 0 || step == total) {
        Checkpoints.save(lastDir, net, optimizer, new Checkpoints.State(step, total, bestLoss, bestStep), card(step));
      }
    }
    for (TrainingListener l : listeners) l.onEnd(total);
    return new Result(bestDir, lastDir, total, bestLoss, bestStep);
  }

  /** Mean loss and accuracy over the fixed validation batches, in evaluation mode. */
  private Map<String, Double> validate(RewardNet net, TaskSampler sampler) {
    net.eval();
    double loss = 0, accuracy = 0, unseen = 0;
    int unseenCount = 0, n = config.train().valBatches();
    try (NoGradGuard guard = new NoGradGuard()) {
      for (int i = 0; i < n; ++i) {
        try (PointerScope scope = new PointerScope()) {
          Batch batch = sampler.sample(Rng.derive(config.runtime().seed(), "validation", i));
          RewardNet.Output out = net.forward(batch, null);
          loss += RewardLoss.of(out, batch.choices(), 0).nll().item_double();
          RewardStep.Accuracy acc = RewardStep.accuracy(out.logp(), batch);
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

  /** Adam or AdamW (fused native update) with the recipe's learning rate, eps and weight decay. */
  public static FusedAdam optimizer(RewardNet net, TrainConfig t) {
    return FusedAdam.of(Weights.parameters(net), t);
  }

  private String card(long step) {
    return Configs.toYaml(new ModelCard(config.model(), data.pairs().width(), data.pairs().labels(), data.description(),
        config.runtime().seed(), step, org.steer4j.cli.Steer4j.version()));
  }

}
