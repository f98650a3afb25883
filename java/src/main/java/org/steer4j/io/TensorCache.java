package org.steer4j.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.runtime.Provenance;

/**
 * Tensors computed from fingerprinted inputs, kept on disk and reused across runs: {@code
 * <dir>/<kind>-<key>.safetensors}, where the key is a fingerprint of everything the tensors
 * depend on ({@link org.steer4j.runtime.Fingerprint}). A present file with the expected key is
 * read instead of computing; a changed input gives a new key, hence a recomputation (stale files
 * are left for the user to delete). Files are written atomically, so a crash never leaves a
 * torn entry that would be trusted later. Counts hits and computations (tests, logs).
 */
public final class TensorCache {
  private final Path dir;
  private int hits, computations;

  public TensorCache(Path dir) {
    this.dir = dir;
  }

  /** The file an entry of {@code kind} with {@code key} lives in. */
  public Path file(String kind, String key) {
    return dir.resolve(kind + "-" + key.substring(0, Math.min(24, key.length())) + ".safetensors");
  }

  /** Whether an entry of {@code kind} with {@code key} is stored and readable ({@link #get} would read it, not compute it). */
  public boolean has(String kind, String key) {
    Path file = file(kind, key);
    if (!Files.isRegularFile(file)) return false;
    try (SafeTensors st = SafeTensors.open(file)) {
      return key.equals(st.metadata().get("fingerprint"));
    } catch (SafeTensorsException e) {
      return false;
    }
  }

  /**
   * The tensors stored under ({@code kind}, {@code key}), or those {@code compute} makes (CPU
   * tensors), which are then stored with {@code provenance} (as JSON, in the file's metadata).
   */
  public Map<String, Tensor> get(String kind, String key, Provenance provenance, Supplier<Map<String, Tensor>> compute) {
    Path file = file(kind, key);
    if (Files.isRegularFile(file)) {
      try (SafeTensors st = SafeTensors.open(file)) {
        if (key.equals(st.metadata().get("fingerprint"))) {
          Map<String, Tensor> out = new LinkedHashMap<>();
          for (String name : st.names()) out.put(name, st.tensor(name));
          ++hits;
          return out;
        }
      } catch (SafeTensorsException e) {
        // unreadable: recompute and overwrite
      }
    }
    Map<String, Tensor> computed = compute.get();
    ++computations;
    try {
      Files.createDirectories(dir);
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("fingerprint", key);
      metadata.put("provenance", provenance.toJson());
      SafeTensors.write(file, computed, metadata);
    } catch (IOException e) {
      throw new UncheckedIOException("can't write cache entry " + file, e);
    }
    return computed;
  }

  /** Entries read from disk so far. */
  public int hits() {
    return hits;
  }

  /** Entries computed so far. */
  public int computations() {
    return computations;
  }

  public Path dir() {
    return dir;
  }
}
