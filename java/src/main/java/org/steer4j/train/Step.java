package org.steer4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.steer4j.runtime.Rng;

/**
 * What one method contributes to the {@link Loop}: an optimiser step, a validation pass, and how
 * its model goes into and out of a checkpoint directory. The loop owns everything else (which
 * step runs, its randomness, best / last checkpoints, resume, metrics, listeners), so reward
 * models, DPO / NP-DPO, pretraining and the smoke fit share one protocol.
 */
public interface Step {
  /**
   * Runs one optimiser step (gradient accumulation included) and returns its metrics (at least
   * {@code loss}). Everything random in it must come from {@code rng}, which the loop derives
   * from (seed, step): that is what makes a resumed run equal an uninterrupted one. The loop
   * wraps the call in a {@code PointerScope}.
   */
  Map<String, Double> run(Rng rng);

  /**
   * Metrics of a validation pass (at least {@code loss}; lower is better), on batches that are
   * the same at every validation, in evaluation mode; {@code null} when the method has no
   * validation (then no best checkpoint is kept). Data parallel: called on every rank at the same
   * steps (a collective); the step shards its batches and returns the same metrics on every rank.
   */
  default Map<String, Double> validate() {
    return null;
  }

  /** The optimiser whose state a resumable checkpoint carries. */
  FusedAdam optimizer();

  /** Writes the model (weights and the card that rebuilds it) into a checkpoint directory. */
  void save(Path dir, long step) throws IOException;

  /** Loads the model's weights from a checkpoint directory written by {@link #save}. */
  void load(Path dir);

  /**
   * The model's parameters and buffers, which data-parallel ranks copy from rank 0 when training
   * starts (rank 0 alone reads checkpoints); empty for a step that can't train data parallel.
   */
  default Map<String, org.bytedeco.pytorch.Tensor> tensors() {
    return Map.of();
  }
}
