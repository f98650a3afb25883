package org.steer4j.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.steer4j.run.MetricsLog;
import org.steer4j.run.Progress;
import org.steer4j.run.RunLog;

/** The standard training listeners: metrics file, progress bar, log lines. */
public final class Listeners {
  private Listeners() {}

  /** Every step's and every validation's metrics into {@code metrics.jsonl}. */
  public static TrainingListener metrics(MetricsLog log) {
    return new TrainingListener() {
      @Override
      public void onStart(long firstStep, long totalSteps) {}

      @Override
      public void onStep(long step, Map<String, Double> metrics) {
        log.write(step, "train", metrics);
      }

      @Override
      public void onValidation(long step, Map<String, Double> metrics, boolean best) {
        Map<String, Object> m = new LinkedHashMap<>(metrics);
        m.put("best", best);
        log.write(step, "val", m);
      }
    };
  }

  /** A progress bar with the running loss and accuracy. */
  public static TrainingListener progress(String label) {
    return new TrainingListener() {
      Progress bar;
      long first;
      double loss = Double.NaN, accuracy = Double.NaN;

      @Override
      public void onStart(long firstStep, long totalSteps) {
        bar = new Progress(label, totalSteps - firstStep + 1);
        first = firstStep;
      }

      @Override
      public void onStep(long step, Map<String, Double> metrics) {
        // Exponential moving averages: single-batch values are noisy.
        loss = Double.isNaN(loss) ? metrics.get("loss") : 0.95 * loss + 0.05 * metrics.get("loss");
        accuracy = Double.isNaN(accuracy) ? metrics.get("accuracy") : 0.95 * accuracy + 0.05 * metrics.get("accuracy");
        bar.update(step - first + 1, String.format(Locale.ROOT, "loss %.4f acc %.3f", loss, accuracy));
      }
    };
  }

  /** A log line per validation (and one at the start and end). */
  public static TrainingListener log(RunLog log, String name) {
    return new TrainingListener() {
      long started;

      @Override
      public void onStart(long firstStep, long totalSteps) {
        started = System.nanoTime();
        log.info("%s: training steps %d..%d", name, firstStep, totalSteps);
      }

      @Override
      public void onValidation(long step, Map<String, Double> metrics, boolean best) {
        log.info(String.format(Locale.ROOT, "%s: step %d validation loss %.4f accuracy %.3f%s", name, step,
            metrics.get("loss"), metrics.get("accuracy"), best ? " (best)" : ""));
      }

      @Override
      public void onEnd(long step) {
        log.info(String.format(Locale.ROOT, "%s: trained to step %d in %.1f s", name, step, (System.nanoTime() - started) / 1e9));
      }
    };
  }
}
