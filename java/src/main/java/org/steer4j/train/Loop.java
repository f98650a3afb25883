package org.steer4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.steer4j.config.TrainConfig;
import org.steer4j.runtime.Rng;

/**
 * The one training loop of steer4j: runs a {@link Step} from step 1 (or from the step after
 * {@code checkpoints/last}) to the end, validates every {@code val_every} steps and at the end,
 * keeps the best validation-loss model in {@code checkpoints/best}, writes the resumable
 * {@code checkpoints/last} (model, optimizer state, {@link Checkpoints.State}) every {@code
 * checkpoint_every} steps and at the end, and tells its {@link TrainingListener}s (metrics file,
 * progress, log) what happened. It knows nothing of files beyond checkpoints, nor of consoles.
 *
 * <p>Step {@code k} draws all its randomness from {@code Rng.derive(seed, stream, k)}, so a run
 * resumed from a checkpoint repeats the uninterrupted one bit for bit (fixed thread count).
 */
public final class Loop {
  private final Step step;
  private final Settings settings;
  private final Path checkpoints;
  private final List<TrainingListener> listeners = new ArrayList<>();

  /**
   * When to validate and checkpoint.
   *
   * @param totalSteps the last step
   * @param valEvery validate every this many steps (and at the last)
   * @param checkpointEvery write {@code last/} every this many steps (and at the last)
   * @param seed the run seed
   * @param stream the name of the random stream steps draw from
   */
  public record Settings(long totalSteps, long valEvery, long checkpointEvery, long seed, String stream) {
    /** The settings of a train config for a run of {@code totalSteps}. */
    public static Settings of(TrainConfig t, long totalSteps, long seed) {
      return new Settings(totalSteps, t.valEvery(), t.checkpointEvery(), seed, "train");
    }
  }

  /**
   * What a finished training left behind.
   *
   * @param stepsRun the steps this call ran (0 when {@code last/} was already at the end)
   */
  public record Result(Path best, Path last, long steps, double bestValLoss, long bestStep, long stepsRun) {}

  /**
   * @param checkpoints the folder of {@code best/} and {@code last/}; {@code null} keeps none
   *     (and so cannot resume)
   */
  public Loop(Step step, Settings settings, Path checkpoints) {
    this.step = step;
    this.settings = settings;
    this.checkpoints = checkpoints;
  }

  public Loop listen(TrainingListener listener) {
    listeners.add(listener);
    return this;
  }

  /** Trains to the last step, continuing from {@code checkpoints/last} if it exists. */
  public Result run() {
    long total = settings.totalSteps();
    Path lastDir = checkpoints == null ? null : checkpoints.resolve("last");
    Path bestDir = checkpoints == null ? null : checkpoints.resolve("best");
    Checkpoints.State state = new Checkpoints.State(0, total, Double.POSITIVE_INFINITY, 0);
    if (checkpoints != null) {
      try {
        Checkpoints.recover(lastDir);
        Checkpoints.recover(bestDir);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("can't restore an interrupted checkpoint in " + checkpoints, e);
      }
    }
    Path resumeFrom = lastDir == null ? null : Checkpoints.resolve(lastDir);
    if (resumeFrom != null) {
      Checkpoints.verify(resumeFrom);
      step.load(resumeFrom);
      Checkpoints.loadOptimizer(resumeFrom, step.optimizer());
      state = Checkpoints.readState(resumeFrom);
    }
    long first = state.step() + 1;
    for (TrainingListener l : listeners) l.onStart(first, total);
    for (long k = first; k <= total; ++k) {
      Map<String, Double> metrics;
      try (PointerScope scope = new PointerScope()) {
        metrics = step.run(Rng.derive(settings.seed(), settings.stream(), k));
        Double loss = metrics.get("loss");
        if (loss != null && !Double.isFinite(loss)) throw new NonFiniteException("loss " + loss);
      } catch (NonFiniteException e) {
        throw new NonFiniteException((checkpoints == null ? "" : checkpoints + ": ") + "step " + k + ": " + e.getMessage()
            + "; training stopped" + (lastDir != null && state.step() > 0 ? ", checkpoints/last (step " + state.step() + ") is the last good state"
            : ", no checkpoint was written") + " (check the data for extreme values, or lower train.lr)");
      }
      KillSwitch.at("after-step", k);  // crash tests: the update is made, nothing of step k is written yet
      for (TrainingListener l : listeners) l.onStep(k, metrics);
      if (k % settings.valEvery() == 0 || k == total) {
        Map<String, Double> v = step.validate();
        if (v != null) {
          boolean best = v.get("loss") < state.bestValLoss();
          if (best) {
            state = new Checkpoints.State(k, total, v.get("loss"), k);
            if (bestDir != null) save(bestDir, null, state);
          }
          for (TrainingListener l : listeners) l.onValidation(k, v, best);
        }
      }
      state = new Checkpoints.State(k, total, state.bestValLoss(), state.bestStep());
      if (lastDir != null && (k % settings.checkpointEvery() == 0 || k == total)) save(lastDir, step.optimizer(), state);
    }
    for (TrainingListener l : listeners) l.onEnd(total);
    return new Result(bestDir, lastDir, total, state.bestValLoss(), state.bestStep(), Math.max(0, total - first + 1));
  }

  private void save(Path dir, FusedAdam optimizer, Checkpoints.State state) {
    Checkpoints.write(dir, state.step(), tmp -> {
      step.save(tmp, state.step());
      if (optimizer != null) optimizer.save(tmp.resolve(Checkpoints.OPTIMIZER));
      Checkpoints.writeState(tmp, state);
    });
  }
}
