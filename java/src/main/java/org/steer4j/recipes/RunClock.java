package org.steer4j.recipes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.steer4j.runtime.AtomicFiles;

/**
 * The wall time of a run over all its sessions, in {@code timing.json}: a resumed run adds its
 * own time to what the earlier sessions spent, per model and in total, so a report written by
 * a resume (of a finished run, even) tells the run's whole time, not the resume's.
 */
final class RunClock {
  static final String FILE = "timing.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  private final Path file;
  private final ObjectNode timing;

  RunClock(Path runDir) {
    file = runDir.resolve(FILE);
    try {
      timing = Files.exists(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
    } catch (IOException | ClassCastException e) {
      throw new org.steer4j.runtime.InputException(file + ": unreadable (" + e.getMessage() + "); delete it to restart the run's clock", e);
    }
    if (!timing.has("models")) timing.putObject("models");
  }

  /** Adds a session's training time of {@code model}; returns its training time over all sessions. */
  double addTraining(String model, double seconds) {
    ObjectNode models = (ObjectNode) timing.get("models");
    double total = models.path(model).asDouble(0) + seconds;
    models.put(model, total);
    save();
    return total;
  }

  /** Adds this session's wall time; returns the run's over all sessions. */
  double finishSession(double seconds) {
    timing.put("sessions", timing.path("sessions").asInt(0) + 1);
    timing.put("seconds", timing.path("seconds").asDouble(0) + seconds);
    save();
    return timing.get("seconds").asDouble();
  }

  int sessions() {
    return timing.path("sessions").asInt(0);
  }

  private void save() {
    try {
      AtomicFiles.writeString(file, JSON.writeValueAsString(timing) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("can't write " + file, e);
    }
  }
}
