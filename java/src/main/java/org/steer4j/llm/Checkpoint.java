package org.steer4j.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.io.SafeTensors;
import org.steer4j.io.TextFiles;

/**
 * A Hugging Face checkpoint directory: {@code config.json} plus either {@code model.safetensors}
 * or shards listed by {@code model.safetensors.index.json}. Opening reads only headers and checks
 * everything a load needs before any weight is copied: the architecture is supported, every shard
 * in the index exists and holds what the index says, and every tensor the config implies is
 * present with the right shape and a float dtype (F32, F16, BF16). A failed check names the file
 * and the tensor.
 */
public final class Checkpoint implements WeightSource, AutoCloseable {
  public static final String CONFIG = "config.json", SINGLE = "model.safetensors", INDEX = "model.safetensors.index.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<SafeTensors.DType> FLOATS = Set.of(SafeTensors.DType.F32, SafeTensors.DType.F16, SafeTensors.DType.BF16);

  private final Path dir;
  private final ModelConfig config;
  private final Map<String, SafeTensors> location = new LinkedHashMap<>();  // tensor name -> its shard
  private final List<SafeTensors> shards = new ArrayList<>();
  private final Set<String> read = new LinkedHashSet<>();

  private Checkpoint(Path dir, ModelConfig config) {
    this.dir = dir;
    this.config = config;
  }

  /** Opens and validates the checkpoint in {@code dir}. */
  public static Checkpoint open(Path dir) {
    if (!Files.isDirectory(dir)) throw new CheckpointException(dir + ": no such checkpoint directory");
    ModelConfig config = ModelConfig.read(dir.resolve(CONFIG));
    Checkpoint ckpt = new Checkpoint(dir, config);
    try {
      if (Files.exists(dir.resolve(INDEX))) ckpt.openShards(dir.resolve(INDEX));
      else if (Files.exists(dir.resolve(SINGLE))) ckpt.add(SafeTensors.open(dir.resolve(SINGLE)), null);
      else {
        throw new CheckpointException(dir + ": neither " + SINGLE + " nor " + INDEX + " (only safetensors checkpoints are read;"
            + " convert pytorch_model.bin with transformers' save_pretrained(safe_serialization=True))");
      }
      ckpt.validate();
      return ckpt;
    } catch (RuntimeException e) {
      ckpt.close();
      throw e;
    }
  }

  private void openShards(Path index) {
    JsonNode root;
    try {
      root = JSON.readTree(TextFiles.read(index));
    } catch (IOException e) {
      throw new CheckpointException(index + ": can't read or parse: " + e.getMessage(), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject() || map.size() == 0) throw new CheckpointException(index + ": no weight_map");
    Map<String, List<String>> byShard = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.properties().iterator(); it.hasNext(); ) {
      var e = it.next();
      byShard.computeIfAbsent(e.getValue().asText(), k -> new ArrayList<>()).add(e.getKey());
    }
    for (var e : byShard.entrySet()) {
      Path shard = dir.resolve(e.getKey()).normalize();
      if (!shard.startsWith(dir.normalize()) || !Files.isRegularFile(shard)) {
        throw new CheckpointException(shard + ": missing shard (" + INDEX + " maps " + e.getValue().size() + " tensors to it, e.g. '"
            + e.getValue().get(0) + "')");
      }
      add(SafeTensors.open(shard), e.getValue());
    }
  }

  private void add(SafeTensors shard, List<String> expected) {
    shards.add(shard);
    if (expected != null) {
      for (String name : expected) {
        if (!shard.contains(name)) throw new CheckpointException(shard.file() + ": " + INDEX + " maps tensor '" + name + "' to this shard, which lacks it");
      }
    }
    for (String name : expected != null ? expected : new ArrayList<>(shard.names())) {
      SafeTensors previous = location.put(name, shard);
      if (previous != null && previous != shard) {
        throw new CheckpointException(dir + ": tensor '" + name + "' is stored twice, in " + previous.file().getFileName() + " and " + shard.file().getFileName());
      }
    }
  }

  /** Checks every tensor the config implies against the headers (present, shape, float dtype). */
  private void validate() {
    for (var e : WeightLayout.of(config).entrySet()) {
      String name = e.getKey();
      SafeTensors shard = location.get(name);
      if (shard == null) {
        throw new CheckpointException(dir + ": missing tensor '" + name + "' (needed by " + config + "; the checkpoint has "
            + location.size() + " tensors" + similar(name) + ")");
      }
      SafeTensors.Entry entry = shard.entry(name);
      if (!Arrays.equals(entry.shape(), e.getValue())) {
        throw new CheckpointException(shard.file() + ": tensor '" + name + "' has shape " + Arrays.toString(entry.shape()) + ", but "
            + CONFIG + " implies " + Arrays.toString(e.getValue()) + " (" + config + ")");
      }
      if (!FLOATS.contains(entry.dtype())) {
        throw new CheckpointException(shard.file() + ": tensor '" + name + "' is " + entry.dtype() + "; weights must be F32, F16 or BF16");
      }
    }
  }

  private String similar(String name) {
    String tail = name.substring(name.lastIndexOf('.', name.length() - ".weight".length() - 1) + 1);
    List<String> like = location.keySet().stream().filter(n -> n.endsWith(tail)).limit(3).toList();
    return like.isEmpty() ? "" : ", e.g. " + like;
  }

  public Path dir() {
    return dir;
  }

  public ModelConfig config() {
    return config;
  }

  /** Names of all stored tensors. */
  public Set<String> tensorNames() {
    return location.keySet();
  }

  /** The stored tensor {@code name} (CPU, its stored dtype), checked against {@code shape}. */
  @Override
  public Tensor get(String name, long[] shape) {
    SafeTensors shard = location.get(name);
    if (shard == null) throw new CheckpointException(dir + ": missing tensor '" + name + "'");
    SafeTensors.Entry entry = shard.entry(name);
    if (shape != null && !Arrays.equals(entry.shape(), shape)) {
      throw new CheckpointException(shard.file() + ": tensor '" + name + "' has shape " + Arrays.toString(entry.shape()) + ", expected "
          + Arrays.toString(shape));
    }
    read.add(name);
    return shard.tensor(name);
  }

  /**
   * Stored tensors no load has read, e.g. a tied model's {@code lm_head.weight} or the
   * {@code rotary_emb.inv_freq} buffers of old exports; they are ignored, as transformers does.
   */
  public Set<String> unusedTensors() {
    Set<String> unused = new TreeSet<>(location.keySet());
    unused.removeAll(read);
    return unused;
  }

  @Override
  public void close() {
    for (SafeTensors s : shards) s.close();
    shards.clear();
  }
}
