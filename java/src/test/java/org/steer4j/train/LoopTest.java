package org.steer4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.run.MetricsLog;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Rng;

/** The one training loop: checkpoints, resume, metrics exactly once, and a stop at the first non-finite value. */
class LoopTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(1);
  }

  /** A one-parameter model whose loss is {@code losses[k - 1]} at step k; its weight counts the steps. */
  static final class CountingStep implements Step {
    final Tensor w = org.bytedeco.pytorch.global.torch.zeros(1).requires_grad_(true);
    final FusedAdam adam = new FusedAdam(Map.of("w", w), new org.steer4j.kernels.AdamStep.Settings(0.1, 0.9, 0.999, 1e-8, 0, false));
    final double[] losses;
    int runs;

    CountingStep(double... losses) {
      this.losses = losses;
    }

    @Override
    public Map<String, Double> run(Rng rng) {
      double loss = losses[runs++];
      adam.zeroGrad();
      w.sum().mul(new Scalar(Double.isNaN(loss) ? Double.NaN : 1.0)).backward();
      adam.step();
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("loss", loss);
      return m;
    }

    @Override
    public Map<String, Double> validate() {
      return Map.of("loss", -runs * 1.0);
    }

    @Override
    public FusedAdam optimizer() {
      return adam;
    }

    @Override
    public void save(Path d, long step) throws IOException {
      Files.writeString(d.resolve("w.txt"), Double.toString(w.item_double()));
    }

    @Override
    public void load(Path d) {
      try {
        w.detach().fill_(new Scalar(Double.parseDouble(Files.readString(d.resolve("w.txt")))));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  static Loop.Settings every(long total, long n) {
    return new Loop.Settings(total, n, n, 0, "train");
  }

  @Test
  void aNonFiniteGradientStopsTrainingBeforeTheUpdateAndKeepsTheLastCheckpoint() throws Exception {
    CountingStep step = new CountingStep(1, 1, Double.NaN, 1);
    Path checkpoints = dir.resolve("checkpoints");
    NonFiniteException e = assertThrows(NonFiniteException.class, () -> new Loop(step, every(4, 2), checkpoints).run());
    assertTrue(e.getMessage().contains("step 3: non-finite gradient of 'w'"), e.getMessage());
    assertTrue(e.getMessage().contains("checkpoints/last (step 2) is the last good state"), e.getMessage());
    assertEquals(2, Checkpoints.readState(checkpoints.resolve("last")).step());
    assertEquals(2, step.adam.steps(), "the NaN step applied no update");
  }

  @Test
  void aNonFiniteLossStopsTrainingNamingTheStep() {
    CountingStep step = new CountingStep(1, Double.POSITIVE_INFINITY);
    NonFiniteException e = assertThrows(NonFiniteException.class, () -> new Loop(step, every(2, 5), null).run());
    assertTrue(e.getMessage().startsWith("step 2: loss Infinity; training stopped, no checkpoint was written"), e.getMessage());
  }

  @Test
  void resumingDropsTheMetricsOfStepsItRunsAgainSoEveryStepIsRecordedOnce() throws Exception {
    Path checkpoints = dir.resolve("checkpoints"), metrics = dir.resolve("metrics.jsonl");
    // a run killed after step 5 whose last checkpoint is step 4: steps 5 (and a torn line) are in the file
    new Loop(new CountingStep(1, 1, 1, 1), every(4, 2), checkpoints).listen(Listeners.metrics(metrics)).run();
    Files.writeString(metrics, Files.readString(metrics) + "{\"step\":5,\"split\":\"train\",\"loss\":1.0}\n{\"step\":6,\"spl");
    new Loop(new CountingStep(1, 1, 1, 1, 1, 1, 1, 1), every(8, 2), checkpoints).listen(Listeners.metrics(metrics)).run();
    List<Long> trainSteps = new ArrayList<>();
    for (var r : MetricsLog.read(metrics)) if (r.path("split").asText().equals("train")) trainSteps.add(r.path("step").asLong());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), trainSteps);
  }
}
