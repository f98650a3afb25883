package org.steer4j.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code metrics.jsonl}: one JSON object per line ({@code {"step": 10, "split": "train", "loss":
 * 0.4, ...}}), flushed per line so a crash loses at most the line being written. On resume,
 * {@link #truncateAfter} drops lines past the checkpoint so steps are never duplicated.
 */
public final class MetricsLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path file;
  private final Writer writer;

  public MetricsLog(Path file) {
    this.file = file;
    try {
      this.writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("can't open " + file, e);
    }
  }

  /** Appends one record: {@code step}, {@code split}, then the metrics in their order. */
  public synchronized void write(long step, String split, Map<String, ?> metrics) {
    ObjectNode node = JSON.createObjectNode();
    node.put("step", step);
    node.put("split", split);
    for (var e : metrics.entrySet()) node.set(e.getKey(), JSON.valueToTree(e.getValue()));
    try {
      writer.write(JSON.writeValueAsString(node));
      writer.write('\n');
      writer.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("can't write " + file, e);
    }
  }

  /** Reads all records of a metrics file. */
  public static List<ObjectNode> read(Path file) throws IOException {
    List<ObjectNode> records = new ArrayList<>();
    if (!Files.exists(file)) return records;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      try {
        records.add((ObjectNode) JSON.readTree(line));
      } catch (IOException e) {
        break;  // a torn last line from a crash
      }
    }
    return records;
  }

  /** Rewrites {@code file} keeping only complete records with {@code step <= lastStep}. */
  public static void truncateAfter(Path file, long lastStep) throws IOException {
    List<ObjectNode> kept = new ArrayList<>();
    for (ObjectNode r : read(file)) if (r.path("step").asLong() <= lastStep) kept.add(r);
    StringBuilder sb = new StringBuilder();
    for (ObjectNode r : kept) sb.append(JSON.writeValueAsString(r)).append('\n');
    org.steer4j.runtime.AtomicFiles.writeString(file, sb.toString());
  }

  @Override
  public synchronized void close() {
    try {
      writer.close();
    } catch (IOException e) {
      throw new UncheckedIOException("can't close " + file, e);
    }
  }
}
