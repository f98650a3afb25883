package org.steer4j.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.steer4j.config.Configs;

/**
 * The folder of one run: {@code <root>/<date>/<time>-<name>/} holding {@code config.yaml} (the
 * effective configuration), {@code metrics.jsonl}, {@code checkpoints/} and {@code run.log}.
 * Reopening an existing folder ({@link #open}) resumes a run there.
 */
public final class RunDirectory {
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH-mm-ss");

  private final Path path;
  private final RunLog log;

  private RunDirectory(Path path) {
    this.path = path;
    try {
      Files.createDirectories(path);
    } catch (IOException e) {
      throw new UncheckedIOException("can't create run directory " + path, e);
    }
    this.log = new RunLog(path.resolve("run.log"));
  }

  /** Creates a fresh run directory under {@code root} and writes {@code config} into it. */
  public static RunDirectory create(Path root, String name, Object config) {
    LocalDateTime now = LocalDateTime.now();
    Path day = root.resolve(DAY.format(now));
    String base = TIME.format(now) + "-" + sanitize(name);
    Path path = day.resolve(base);
    for (int i = 2; Files.exists(path); ++i) path = day.resolve(base + "-" + i);
    RunDirectory run = new RunDirectory(path);
    run.saveConfig(config);
    return run;
  }

  /** Opens an existing run directory (to resume or evaluate it). */
  public static RunDirectory open(Path path) {
    if (!Files.isDirectory(path)) throw new IllegalArgumentException(path + ": no such run directory");
    return new RunDirectory(path);
  }

  public void saveConfig(Object config) {
    try {
      Configs.save(config, path.resolve("config.yaml"));
    } catch (IOException e) {
      throw new UncheckedIOException("can't write " + path.resolve("config.yaml"), e);
    }
  }

  public Path path() {
    return path;
  }

  public Path file(String name) {
    return path.resolve(name);
  }

  public Path checkpoints() {
    return path.resolve("checkpoints");
  }

  public Path metricsFile() {
    return path.resolve("metrics.jsonl");
  }

  public RunLog log() {
    return log;
  }

  private static String sanitize(String name) {
    String s = name.replaceAll("[^A-Za-z0-9._-]+", "-");
    return s.isEmpty() ? "run" : s;
  }

  @Override
  public String toString() {
    return path.toString();
  }
}
