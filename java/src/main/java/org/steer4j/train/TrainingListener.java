package org.steer4j.train;

import java.util.Map;

/** Receives the training loop's events; the loop itself knows nothing of files or consoles. */
public interface TrainingListener {
  default void onStart(long firstStep, long totalSteps) {}

  /** After each optimiser step, with that step's metrics. */
  default void onStep(long step, Map<String, Double> metrics) {}

  /** After a validation pass. */
  default void onValidation(long step, Map<String, Double> metrics, boolean best) {}

  default void onEnd(long step) {}
}
