package org.steer4j.llm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.HashSet;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.io.SafeTensors;
import org.steer4j.runtime.AtomicFiles;

/**
 * Writes a model in Hugging Face layout, loadable by {@code from_pretrained} and by
 * {@link Checkpoint}: {@code config.json}, then {@code model.safetensors} when everything fits in
 * one shard, else {@code model-00001-of-0000K.safetensors} ... plus
 * {@code model.safetensors.index.json} mapping each tensor to its shard. Tensors are packed into
 * shards in the given order, a new shard starting when the next tensor would pass
 * {@code maxShardBytes} (as transformers' {@code max_shard_size}). Every file is written
 * atomically; shards of an earlier save that the new one doesn't use are removed.
 */
public final class CheckpointWriter {
  /** transformers' default max_shard_size, "5GB". */
  public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private CheckpointWriter() {}

  public static void write(Path dir, ModelConfig config, Map<String, Tensor> tensors, long maxShardBytes) throws IOException {
    if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be > 0");
    Files.createDirectories(dir);
    List<Map<String, Tensor>> shards = new ArrayList<>();
    Map<String, Tensor> current = new LinkedHashMap<>();
    long currentBytes = 0, total = 0;
    String dtype = null;
    for (var e : tensors.entrySet()) {
      long bytes = e.getValue().numel() * e.getValue().element_size();
      if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
        shards.add(current);
        current = new LinkedHashMap<>();
        currentBytes = 0;
      }
      current.put(e.getKey(), e.getValue());
      currentBytes += bytes;
      total += bytes;
      if (dtype == null) dtype = torchName(e.getValue());
    }
    if (!current.isEmpty()) shards.add(current);

    Set<String> written = new HashSet<>();
    Map<String, String> weightMap = new LinkedHashMap<>();
    for (int i = 0; i < shards.size(); ++i) {
      String file = shards.size() == 1 ? Checkpoint.SINGLE : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      SafeTensors.write(dir.resolve(file), shards.get(i), Map.of("format", "pt"));
      written.add(file);
      for (String name : shards.get(i).keySet()) weightMap.put(name, file);
    }
    if (shards.size() > 1) {
      ObjectNode index = JSON.createObjectNode();
      index.putObject("metadata").put("total_size", total);
      ObjectNode map = index.putObject("weight_map");
      weightMap.forEach(map::put);
      AtomicFiles.writeString(dir.resolve(Checkpoint.INDEX), JSON.writeValueAsString(index) + "\n");
      written.add(Checkpoint.INDEX);
    }
    ObjectNode json = config.toJson();
    if (dtype != null) json.put("torch_dtype", dtype);
    AtomicFiles.writeString(dir.resolve(Checkpoint.CONFIG), JSON.writeValueAsString(json) + "\n");
    removeStale(dir, written);
  }

  private static void removeStale(Path dir, Set<String> written) throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "model*.safetensors*")) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        boolean ours = name.equals(Checkpoint.SINGLE) || name.equals(Checkpoint.INDEX) || name.matches("model-\\d{5}-of-\\d{5}\\.safetensors");
        if (ours && !written.contains(name)) Files.delete(f);
      }
    }
  }

  private static String torchName(Tensor t) {
    int v = t.scalar_type().value;
    if (v == org.bytedeco.pytorch.global.torch.ScalarType.BFloat16.value) return "bfloat16";
    if (v == org.bytedeco.pytorch.global.torch.ScalarType.Half.value) return "float16";
    return "float32";
  }
}
