package org.steer4j.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.io.SafeTensors;
import org.steer4j.runtime.AtomicFiles;

/**
 * LoRA adapters on disk in PEFT's layout, so they load with {@code PeftModel.from_pretrained}
 * and PEFT adapters load here: {@code adapter_config.json} and {@code adapter_model.safetensors}
 * with keys {@code base_model.model.<module>.lora_A.weight} / {@code lora_B.weight}.
 */
public final class LoraAdapters {
  public static final String CONFIG = "adapter_config.json", WEIGHTS = "adapter_model.safetensors";
  private static final String PREFIX = "base_model.model.";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private LoraAdapters() {}

  /** Saves {@code model}'s attached adapters; {@code baseModel} is recorded as base_model_name_or_path. */
  public static void save(DecoderLm model, Path dir, String baseModel) throws IOException {
    LoraConfig lora = model.lora();
    if (lora == null) throw new IllegalStateException("no LoRA adapters attached");
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    model.trainableParameters().forEach((name, t) -> tensors.put(PREFIX + name + ".weight", t.detach()));
    SafeTensors.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
    ObjectNode c = JSON.createObjectNode();
    c.put("peft_type", "LORA");
    c.put("task_type", "CAUSAL_LM");
    c.put("base_model_name_or_path", baseModel);
    c.put("r", lora.rank());
    c.put("lora_alpha", lora.alpha());
    c.put("lora_dropout", lora.dropout());
    lora.targets().forEach(c.putArray("target_modules")::add);
    c.put("bias", "none");
    c.put("fan_in_fan_out", false);
    c.put("use_rslora", lora.rslora());
    c.put("inference_mode", true);
    AtomicFiles.writeString(dir.resolve(CONFIG), JSON.writeValueAsString(c) + "\n");
  }

  /**
   * Attaches the adapters saved in {@code dir} to {@code model} (which must have none yet), as
   * PEFT would load them; every field of {@code adapter_config.json} is handled by {@link
   * AdapterConfigFields}, and every tensor of the weights file must be consumed.
   *
   * @throws CheckpointException naming the file and the field or tensor
   */
  public static LoraConfig load(DecoderLm model, Path dir) {
    Path configFile = dir.resolve(CONFIG), weights = dir.resolve(WEIGHTS);
    JsonNode c;
    try {
      c = JSON.readTree(configFile.toFile());
    } catch (IOException e) {
      throw new CheckpointException(configFile + ": can't read: " + e.getMessage(), e);
    }
    if (c == null || !c.isObject()) throw new CheckpointException(configFile + ": not a JSON object");
    LoraConfig lora = AdapterConfigFields.parse((ObjectNode) c, configFile.toString(), model.config().numLayers());
    model.attachLora(lora);
    try (SafeTensors st = SafeTensors.open(weights); NoGradGuard guard = new NoGradGuard()) {
      java.util.Set<String> consumed = new java.util.HashSet<>();
      for (var e : model.trainableParameters().entrySet()) {
        String key = PREFIX + e.getKey() + ".weight";
        if (!st.contains(key)) throw new CheckpointException(weights + ": missing tensor '" + key + "'");
        long[] shape = st.entry(key).shape(), expected = e.getValue().sizes().vec().get();
        if (!Arrays.equals(shape, expected)) {
          throw new CheckpointException(weights + ": tensor '" + key + "' has shape " + Arrays.toString(shape) + ", expected " + Arrays.toString(expected));
        }
        Tensor stored = st.tensor(key);
        e.getValue().copy_(stored);
        stored.close();
        consumed.add(key);
      }
      for (String name : st.names()) {
        if (!consumed.contains(name)) {
          throw new CheckpointException(weights + ": tensor '" + name + "' is not a LoRA weight of the configured targets"
              + " (an adapter that replaces or adds modules is not supported; nothing would use it)");
        }
      }
    }
    return lora;
  }
}
