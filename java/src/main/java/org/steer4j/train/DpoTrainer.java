package org.steer4j.train;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.config.Configs;
import org.steer4j.config.PolicyConfig;
import org.steer4j.data.LabelUsers;
import org.steer4j.data.Rng;
import org.steer4j.data.Split;
import org.steer4j.data.TaskSampler;
import org.steer4j.llm.DecoderLm;
import org.steer4j.policy.Policy;
import org.steer4j.policy.PolicyCard;
import org.steer4j.policy.PolicyData;
import org.steer4j.runtime.AtomicFiles;

/**
 * The DPO / NP-DPO training recipe (method.md section 6): tasks drawn as for the reward models
 * (a user per task, T targets, C context pairs among them), the DPO loss on every target against
 * the frozen base model's cached log-probs, AdamW on LoRA (+ FiLM + context encoder for NP-DPO);
 * validation on fixed tasks of the validation split, keeping the best validation-loss checkpoint;
 * a resumable last checkpoint (trained weights, optimizer state, step), and every step's
 * randomness derived from (seed, step), so that a resumed run continues exactly as the
 * uninterrupted one would.
 *
 * <p>A checkpoint directory: {@code policy.safetensors}, {@code adapter/} (PEFT), {@code
 * policy.yaml} (the {@link PolicyCard}), {@code state.json}, and for {@code last/} {@code
 * optimizer.safetensors}.
 */
public final class DpoTrainer {
  private final PolicyConfig config;
  private final PolicyData data;
  private final float[][] reference;
  private final PolicyCard card;
  private final Path checkpoints;
  private final List<TrainingListener> listeners = new ArrayList<>();

  /**
   * @param reference the reference log-probs of every row's two options
   * @param card how the policy is made (its steps are filled in at each save)
   */
  public DpoTrainer(PolicyConfig config, PolicyData data, float[][] reference, PolicyCard card, Path checkpoints) {
    this.config = config;
    this.data = data;
    this.reference = reference;
    this.card = card;
    this.checkpoints = checkpoints;
  }

  public DpoTrainer listen(TrainingListener listener) {
    listeners.add(listener);
    return this;
  }

  /** What a finished training left behind; {@code policy} holds the last step's weights. */
  public record Result(Policy policy, Path best, Path last, long steps, double bestValLoss, long bestStep) {}

  /** A fresh policy of the config on {@code base}, initial weights from the run seed. */
  public static Policy policy(PolicyConfig config, DecoderLm base, long contextWidth) {
    manual_seed(config.runtime().seed());
    return Policy.create(base, config.policy(), contextWidth);
  }

  /** Trains a fresh policy on {@code base} (no adapters yet), or continues the one in {@code checkpoints/last}. */
  public Result train(DecoderLm base) {
    long seed = config.runtime().seed();
    Policy policy = policy(config, base, data.pairs().width());
    FusedAdam optimizer = FusedAdam.of(policy.trainableState(), config.train());
    Tensor pairs = data.pairs().stacked();
    // the training users are this policy's labels (all of the data's, or one objective for a baseline)
    LabelUsers users = new LabelUsers(data.pairs(), config.data().labels());
    TaskSampler train = new TaskSampler(pairs, users, Split.TRAIN, config.sampler());
    TaskSampler val = new TaskSampler(pairs, users, Split.VAL, config.sampler());
    long total = config.train().totalSteps(data.pairs().rows(Split.TRAIN).length, config.sampler().batchSize());

    Path lastDir = checkpoints.resolve("last"), bestDir = checkpoints.resolve("best");
    long start = 1, bestStep = 0;
    double bestLoss = Double.POSITIVE_INFINITY;
    Path resumeFrom = Checkpoints.resolve(lastDir);
    if (resumeFrom != null) {
      policy.load(resumeFrom);
      Checkpoints.loadOptimizer(resumeFrom, optimizer);
      Checkpoints.State s = Checkpoints.readState(resumeFrom);
      start = s.step() + 1;
      bestLoss = s.bestValLoss();
      bestStep = s.bestStep();
    }
    DpoStep stepper = new DpoStep(policy, optimizer, train, data.sequences(), reference, config.dpo());
    for (TrainingListener l : listeners) l.onStart(start, total);
    for (long step = start; step <= total; ++step) {
      Map<String, Double> metrics;
      try (PointerScope scope = new PointerScope()) {
        metrics = stepper.run(Rng.derive(seed, "train", step));
      }
      for (TrainingListener l : listeners) l.onStep(step, metrics);
      if (step % config.train().valEvery() == 0 || step == total) {
        Map<String, Double> v = DpoStep.validate(policy, val, data.sequences(), reference, config.dpo(), seed, config.train().valBatches());
        boolean best = v.get("loss") < bestLoss;
        if (best) {
          bestLoss = v.get("loss");
          bestStep = step;
          save(bestDir, policy, null, new Checkpoints.State(step, total, bestLoss, bestStep));
        }
        for (TrainingListener l : listeners) l.onValidation(step, v, best);
      }
      if (step % config.train().checkpointEvery() == 0 || step == total) {
        save(lastDir, policy, optimizer, new Checkpoints.State(step, total, bestLoss, bestStep));
      }
    }
    for (TrainingListener l : listeners) l.onEnd(total);
    return new Result(policy, bestDir, lastDir, total, bestLoss, bestStep);
  }

  private void save(Path dir, Policy policy, FusedAdam optimizer, Checkpoints.State state) {
    PolicyCard c = new PolicyCard(card.policy(), card.base(), card.baseFingerprint(), card.contextWidth(), card.contextFeatures(), card.labels(),
        card.data(), card.beta(), card.seed(), state.step(), card.version());
    Checkpoints.write(dir, tmp -> {
      policy.save(tmp, card.base().path());
      if (optimizer != null) optimizer.save(tmp.resolve(Checkpoints.OPTIMIZER));
      Checkpoints.writeState(tmp, state);
      AtomicFiles.writeString(tmp.resolve(PolicyCard.FILE), Configs.toYaml(c));
    });
  }
}
