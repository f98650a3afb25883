package org.steer4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.steer4j.run.MetricsLog;
import org.steer4j.run.Progress;
import org.steer4j.run.RunLog;

/** The standard training listeners: metrics file, progress bar, log lines. */
public final class Listeners {
  private Listeners() {}

  /**
   * Every step's and every validation's metrics into {@code file} ({@code metrics.jsonl}). A
   * resumed run first drops the records of the steps it will run again (those past its
   * checkpoint, torn or not), then appends: every step is in the file exactly once.
   */
  public static TrainingListener metrics(Path file) {
    return new TrainingListener() {
      MetricsLog log;

      @Override
      public void onStart(long firstStep, long totalSteps) {
        try {
          MetricsLog.truncateAfter(file, firstStep - 1);
        } catch (IOException e) {
          throw new UncheckedIOException("can't rewrite " + file + " for the resumed run", e);
        }
        log = new MetricsLog(file);
      }

      @Override
      public void onEnd(long step) {
        log.close();
      }

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
        Double a = metrics.get("accuracy");
        if (a != null) accuracy = Double.isNaN(accuracy) ? a : 0.95 * accuracy + 0.05 * a;
        bar.update(step - first + 1, a == null ? String.format(Locale.ROOT, "loss %.4f", loss) : String.format(Locale.ROOT, "loss %.4f acc %.3f", loss, accuracy));
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
        if (firstStep > totalSteps) log.info("%s: already trained (%d steps)", name, totalSteps);
        else if (firstStep > 1) log.info("%s: resuming at step %d of %d", name, firstStep, totalSteps);
        else log.info("%s: training steps %d..%d", name, firstStep, totalSteps);
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
