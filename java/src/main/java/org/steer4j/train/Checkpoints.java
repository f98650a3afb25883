package org.steer4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.runtime.Fingerprint;
import org.steer4j.runtime.InputException;

/**
 * Checkpoint directories: the model's own files (written by its {@link Step#save}), {@code
 * optimizer.safetensors} (the optimizer's moments and step count, resumable checkpoints only)
 * and {@code state.json} (the training state).
 * A checkpoint is written into a temporary sibling and swapped in by renames, so a crash never
 * leaves a half-written {@code last/} or {@code best/}.
 */
public final class Checkpoints {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String OPTIMIZER = "optimizer.safetensors";

  private Checkpoints() {}

  /** Training state saved with a checkpoint. */
  public record State(long step, long totalSteps, double bestValLoss, long bestStep) {}

  /** Writes the content of a checkpoint directory. */
  @FunctionalInterface
  public interface Content {
    void writeInto(Path dir) throws IOException;
  }

  /**
   * Writes a checkpoint directory through {@code content} into a temporary sibling, then swaps
   * it in by renames: a crash leaves the previous checkpoint (or its {@code .old} copy, which
   * {@link #resolve} finds), never a half-written one.
   */
  public static void write(Path dir, long step, Content content) {
    Path parent = dir.toAbsolutePath().getParent();
    Path tmp = parent.resolve("." + dir.getFileName() + ".tmp");
    try {
      AtomicFiles.deleteTree(tmp);
      Files.createDirectories(tmp);
      content.writeInto(tmp);
      writeChecksums(tmp);
      KillSwitch.at("checkpoint-written", step);  // crash tests: the new checkpoint is complete, not swapped in
      Path old = parent.resolve("." + dir.getFileName() + ".old");
      AtomicFiles.deleteTree(old);
      if (Files.exists(dir)) Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
      KillSwitch.at("checkpoint-swapped", step);  // crash tests: only the .old copy exists
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      AtomicFiles.deleteTree(old);
    } catch (IOException e) {
      throw new UncheckedIOException("can't write checkpoint " + dir, e);
    }
  }

  /** The optimizer state of a resumable checkpoint into {@code optimizer}. */
  public static void loadOptimizer(Path dir, FusedAdam optimizer) {
    Path file = dir.resolve(OPTIMIZER);
    if (!Files.isRegularFile(file)) throw new UncheckedIOException(new IOException(file + ": no optimizer state to resume from"));
    optimizer.load(file);
  }

  /** The training state saved with a checkpoint. */
  public static State readState(Path dir) {
    Path file = dir.resolve("state.json");
    try {
      return JSON.readValue(file.toFile(), State.class);
    } catch (IOException e) {
      throw new InputException(file + ": unreadable training state (" + e.getClass().getSimpleName() + "); delete " + dir
          + " to train this model from its previous checkpoint or from the start", e);
    }
  }

  public static void writeState(Path dir, State state) throws IOException {
    AtomicFiles.writeString(dir.resolve("state.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
  }

  /**
   * Finishes a swap that a crash interrupted: when {@code dir} is missing and its previous
   * version ({@code .old}) exists, that version is put back (the new one, never swapped in, is
   * written again by the resumed run).
   */
  public static void recover(Path dir) throws IOException {
    Path old = dir.toAbsolutePath().getParent().resolve("." + dir.getFileName() + ".old");
    if (!Files.exists(dir) && Files.isDirectory(old)) Files.move(old, dir, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The checkpoint at {@code dir}, or its previous version if a swap was interrupted. */
  public static Path resolve(Path dir) {
    if (Files.isDirectory(dir)) return dir;
    Path old = dir.toAbsolutePath().getParent().resolve("." + dir.getFileName() + ".old");
    return Files.isDirectory(old) ? old : null;
  }



  /** The checksums of a checkpoint's files, in {@code sha256sum}'s format ({@code sha256sum -c} checks them). */
  public static final String CHECKSUMS = "checksums.sha256";

  private static void writeChecksums(Path dir) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (Path f : files(dir)) sb.append(Fingerprint.sha256(f)).append("  ").append(dir.relativize(f).toString().replace('\\', '/')).append('\n');
    AtomicFiles.writeString(dir.resolve(CHECKSUMS), sb.toString());
  }

  private static java.util.List<Path> files(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals(CHECKSUMS)).sorted().toList();
    }
  }

  /**
   * Checks every file of a checkpoint against its checksums (a checkpoint written before
   * checksums existed has none and passes).
   *
   * @throws InputException naming the damaged file and saying what to delete
   */
  public static void verify(Path dir) {
    Path sums = dir.resolve(CHECKSUMS);
    if (!Files.exists(sums)) return;
    String what = "; delete " + dir + " to train this model again from its start (a run's other models are kept)";
    try {
      java.util.Set<String> listed = new java.util.HashSet<>();
      for (String line : Files.readAllLines(sums)) {
        if (line.isBlank()) continue;
        int sep = line.indexOf("  ");
        if (sep != 64) throw new InputException(sums + ": malformed line '" + line + "'" + what);
        String name = line.substring(sep + 2);
        listed.add(name);
        Path f = dir.resolve(name);
        if (!Files.isRegularFile(f)) throw new InputException(dir + ": corrupt checkpoint: " + name + " is missing" + what);
        if (!Fingerprint.sha256(f).equals(line.substring(0, 64))) throw new InputException(dir + ": corrupt checkpoint: " + name + " does not match its checksum" + what);
      }
      for (Path f : files(dir)) {
        if (!listed.contains(dir.relativize(f).toString().replace('\\', '/'))) {
          throw new InputException(dir + ": corrupt checkpoint: " + dir.relativize(f) + " is not one of its files" + what);
        }
      }
    } catch (IOException e) {
      throw new InputException(dir + ": can't read the checkpoint (" + e.getMessage() + ")" + what, e);
    }
  }
}
