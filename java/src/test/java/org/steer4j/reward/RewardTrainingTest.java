package org.steer4j.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.config.Configs;
import org.steer4j.nn.Weights;
import org.steer4j.runtime.Native;
import org.steer4j.train.Checkpoints;
import org.steer4j.train.Loop;
import org.steer4j.train.TrainingListener;

/** Reward training in the one loop keeps the best checkpoint, and resuming from the last one changes nothing. */
public class RewardTrainingTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(2);
  }

  static RewardConfig config(int steps) {
    return Configs.defaults(RewardConfig.class, List.of("data.size=2000", "model.hidden=32", "model.heads=4",
        "sampler.batch_size=8", "train.steps=" + steps, "train.val_every=5", "train.val_batches=2",
        "train.checkpoint_every=5", "train.lr=1e-3", "runtime.seed=7"));
  }

  static Map<String, Tensor> weights(Path checkpoint, RewardConfig c) {
    return Weights.state(RewardNetFactory.load(checkpoint, false));
  }

  /** Trains {@code c} on {@code data} in the one loop, with checkpoints in {@code dir}. */
  public static Loop.Result train(RewardConfig c, RewardData data, Path dir, TrainingListener... listeners) {
    RewardStep step = RewardStep.create(c, data);
    Loop loop = new Loop(step, Loop.Settings.of(c.train(), RewardStep.totalSteps(c, data), c.runtime().seed()), dir);
    for (TrainingListener l : listeners) loop.listen(l);
    return loop.run();
  }

  @Test
  void resumingFromTheLastCheckpointContinuesBitForBit() throws Exception {
    RewardConfig full = config(20);
    RewardData data = RewardData.load(full.data());
    Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
    train(full, data, straight);
    // The same run interrupted after step 10 (its last checkpoint), then restarted.
    train(config(10), data, resumed);
    var result = train(full, data, resumed);
    assertEquals(20, result.steps());
    var a = weights(straight.resolve("last"), full);
    var b = weights(resumed.resolve("last"), full);
    for (String k : a.keySet()) assertTrue(a.get(k).equal(b.get(k)), k + " differs after resume");
    Checkpoints.State bestA = Checkpoints.readState(straight.resolve("best")), bestB = Checkpoints.readState(resumed.resolve("best"));
    assertEquals(bestA.bestStep(), bestB.bestStep());
    assertEquals(bestA.bestValLoss(), bestB.bestValLoss());
  }

  @Test
  void trainingLowersTheLossAndKeepsTheBestValidationCheckpoint() throws Exception {
    RewardConfig c = config(60);
    java.util.List<Double> losses = new java.util.ArrayList<>();
    java.util.List<Double> val = new java.util.ArrayList<>();
    var result = train(c, RewardData.load(c.data()), dir, new TrainingListener() {
      @Override
      public void onStep(long step, Map<String, Double> m) {
        losses.add(m.get("loss"));
      }

      @Override
      public void onValidation(long step, Map<String, Double> m, boolean best) {
        val.add(m.get("loss"));
      }
    });
    double first = losses.subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    double last = losses.subList(50, 60).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    assertTrue(last < first, "loss " + first + " -> " + last);
    assertEquals(val.stream().mapToDouble(Double::doubleValue).min().orElseThrow(), result.bestValLoss());
    assertTrue(Files.exists(result.best().resolve("model.safetensors")) && Files.exists(result.best().resolve("model.yaml")));
    assertTrue(Files.exists(result.last().resolve("optimizer.safetensors")));
  }
}
