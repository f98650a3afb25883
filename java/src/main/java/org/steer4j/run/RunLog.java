package org.steer4j.run;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/** Log lines of a run, to its {@code run.log} and to the console. */
public final class RunLog {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("HH:mm:ss");
  private final Path file;
  private final PrintStream console;

  RunLog(Path file) {
    this(file, System.err);
  }

  RunLog(Path file, PrintStream console) {
    this.file = file;
    this.console = console;
  }

  /** A log that prints to standard error alone (a data-parallel rank r > 0 writes no file). */
  public static RunLog consoleOnly() {
    return new RunLog(null, System.err);
  }

  public synchronized void info(String message) {
    String line = STAMP.format(LocalTime.now()) + " " + message;
    Progress.clearLine(console);
    console.println(line);
    if (file == null) return;
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      w.write(line);
      w.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException("can't append to " + file, e);
    }
  }

  public void info(String format, Object... args) {
    info(String.format(format, args));
  }

  PrintStream console() {
    return console;
  }
}
