package org.steer4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.config.TrainConfig;
import org.steer4j.dist.Distributed;
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
 *
 * <p>Data parallel ({@link #distributed}): every rank runs the loop over the same steps and
 * validates (the step shards the validation batches); rank 0 alone keeps checkpoints and tells
 * listeners (the others get no checkpoint folder and no listeners). When training starts, every rank takes rank 0's model, optimizer state and
 * step (it resumed from {@code checkpoints/last}, or initialised), so a run may resume at another
 * world size. The step itself splits each batch over the ranks and sums the gradients.
 */
public final class Loop {
  private final Step step;
  private final Settings settings;
  private final Path checkpoints;
  private final List<TrainingListener> listeners = new ArrayList<>();
  private Distributed distributed = Distributed.single();

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

  /** Trains as one rank of {@code d} (a world of one by default). */
  public Loop distributed(Distributed d) {
    this.distributed = d;
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
    if (distributed.worldSize() > 1) state = startFromRankZero(state);
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

  /** Rank 0's model, optimizer state and step, on every rank. */
  private Checkpoints.State startFromRankZero(Checkpoints.State state) {
    if (!distributed.isMain() && (checkpoints != null || !listeners.isEmpty())) {
      throw new IllegalArgumentException("rank " + distributed.rank() + ": only rank 0 keeps checkpoints and tells listeners");
    }
    Map<String, Tensor> tensors = step.tensors();
    if (tensors.isEmpty()) throw new IllegalArgumentException(step.getClass().getSimpleName() + " can't train data parallel (no Step.tensors())");
    try (PointerScope scope = new PointerScope()) {
      distributed.broadcast(new ArrayList<>(tensors.values()), 0);
      step.optimizer().broadcastState(distributed);
      Tensor at = org.bytedeco.pytorch.global.torch.tensor(new long[] {state.step()});
      distributed.broadcast(List.of(at), 0);
      return new Checkpoints.State(at.item_long(), state.totalSteps(), state.bestValLoss(), state.bestStep());
    }
  }

  private void save(Path dir, FusedAdam optimizer, Checkpoints.State state) {
    Checkpoints.write(dir, state.step(), tmp -> {
      step.save(tmp, state.step());
      if (optimizer != null) optimizer.save(tmp.resolve(Checkpoints.OPTIMIZER));
      Checkpoints.writeState(tmp, state);
    });
  }
}
