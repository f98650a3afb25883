package org.steer4j.recipes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.LongSupplier;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.train.TrainingListener;

/**
 * The wall time of a run over all its sessions, in {@code timing.json}: a resumed run adds its
 * own time to what the earlier sessions spent, per model and in total, so a report written by
 * a resume (of a finished run, even) tells the run's whole time, not the resume's.
 *
 * <p>A session counts from its start, and its time is written as it goes (every {@link
 * #FLUSH_SECONDS} of training and at the end of each model), so a session that is killed keeps
 * all but its last few seconds in the run's time.
 */
final class RunClock {
  static final String FILE = "timing.json";
  /** How often a training session writes its time so far. */
  static final double FLUSH_SECONDS = 30;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  private final Path file;
  private final ObjectNode timing;
  private final LongSupplier nanoTime;
  private long counted;  // the time up to which this session's seconds are in timing

  RunClock(Path runDir) {
    this(runDir, System::nanoTime);
  }

  /** With {@code nanoTime} as the clock (tests). */
  RunClock(Path runDir, LongSupplier nanoTime) {
    file = runDir.resolve(FILE);
    this.nanoTime = nanoTime;
    try {
      timing = Files.exists(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
    } catch (IOException | ClassCastException e) {
      throw new org.steer4j.runtime.InputException(file + ": unreadable (" + e.getMessage() + "); delete it to restart the run's clock", e);
    }
    if (!timing.has("models")) timing.putObject("models");
    timing.put("sessions", timing.path("sessions").asInt(0) + 1);  // this one, however it ends
    counted = nanoTime.getAsLong();
    save();
  }

  /**
   * Counts the training of {@code model} in this session as it goes: the time from the loop's
   * start to its end, written every {@link #FLUSH_SECONDS} and at the end.
   */
  TrainingListener listener(String model) {
    return new TrainingListener() {
      private long since;  // start of the training time not yet added to the model
      private boolean trained;  // a step ran this session: a finished model resumed spent no training time

      @Override
      public void onStart(long firstStep, long totalSteps) {
        flush(null, 0);
        since = nanoTime.getAsLong();
      }

      @Override
      public void onStep(long step, Map<String, Double> metrics) {
        trained = true;
        if ((nanoTime.getAsLong() - since) / 1e9 >= FLUSH_SECONDS) since = flush(model, since);
      }

      @Override
      public void onEnd(long step) {
        flush(trained ? model : null, since);
      }
    };
  }

  /** The training time of {@code model} over all sessions. */
  double trainingSeconds(String model) {
    return timing.get("models").path(model).asDouble(0);
  }

  /** Adds the rest of this session's wall time; returns the run's over all sessions. */
  double finishSession() {
    flush(null, 0);
    return timing.get("seconds").asDouble();
  }

  int sessions() {
    return timing.path("sessions").asInt(0);
  }

  /** Adds the session time since the last flush (and, for {@code model}, its training since {@code since}); writes; returns now. */
  private long flush(String model, long since) {
    long now = nanoTime.getAsLong();
    timing.put("seconds", timing.path("seconds").asDouble(0) + (now - counted) / 1e9);
    counted = now;
    if (model != null) {
      ObjectNode models = (ObjectNode) timing.get("models");
      models.put(model, models.path(model).asDouble(0) + (now - since) / 1e9);
    }
    save();
    return now;
  }

  private void save() {
    try {
      AtomicFiles.writeString(file, JSON.writeValueAsString(timing) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("can't write " + file, e);
    }
  }
}
