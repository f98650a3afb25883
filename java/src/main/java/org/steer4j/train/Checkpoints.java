package org.steer4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Module;
import org.steer4j.nn.Weights;
import org.steer4j.runtime.AtomicFiles;

/**
 * Checkpoint directories: {@code model.safetensors} (parameters and buffers), {@code
 * optimizer.safetensors} (the optimizer's moments and step count, resumable checkpoints only),
 * {@code state.json} (the training state) and {@code model.yaml} (how to rebuild the model).
 * A checkpoint is written into a temporary sibling and swapped in by renames, so a crash never
 * leaves a half-written {@code last/} or {@code best/}.
 */
public final class Checkpoints {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Checkpoints() {}

  /** Training state saved with a checkpoint. */
  public record State(long step, long totalSteps, double bestValLoss, long bestStep) {}

  public static void save(Path dir, Module model, FusedAdam optimizer, State state, String modelYaml) {
    Path parent = dir.toAbsolutePath().getParent();
    Path tmp = parent.resolve("." + dir.getFileName() + ".tmp");
    try {
      deleteTree(tmp);
      Files.createDirectories(tmp);
      Weights.save(model, tmp.resolve("model.safetensors"), Map.of("format", "pt", "producer", "steer4j"));
      if (optimizer != null) optimizer.save(tmp.resolve("optimizer.safetensors"));
      AtomicFiles.writeString(tmp.resolve("state.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
      AtomicFiles.writeString(tmp.resolve("model.yaml"), modelYaml);
      Path old = parent.resolve("." + dir.getFileName() + ".old");
      deleteTree(old);
      if (Files.exists(dir)) Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      deleteTree(old);
    } catch (IOException e) {
      throw new UncheckedIOException("can't write checkpoint " + dir, e);
    }
  }

  /** The checkpoint at {@code dir}, or its previous version if a swap was interrupted. */
  public static Path resolve(Path dir) {
    if (Files.isDirectory(dir)) return dir;
    Path old = dir.toAbsolutePath().getParent().resolve("." + dir.getFileName() + ".old");
    return Files.isDirectory(old) ? old : null;
  }

  /** Loads weights (and optimizer state when given) and returns the saved training state. */
  public static State load(Path dir, Module model, FusedAdam optimizer) {
    try {
      Weights.load(model, dir.resolve("model.safetensors"));
      if (optimizer != null) optimizer.load(dir.resolve("optimizer.safetensors"));
      return JSON.readValue(dir.resolve("state.json").toFile(), State.class);
    } catch (IOException e) {
      throw new UncheckedIOException("can't read checkpoint " + dir, e);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) Files.delete(p);
    }
  }
}
