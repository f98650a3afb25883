package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.steer4j.io.SafeTensors;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Warnings;

/**
 * PEFT adapters read as PEFT reads them: every adapter_config.json field honoured, refused by name
 * or accepted as initialisation-only, and every stored tensor consumed.
 */
class PeftAdapterConfigTest {
  private static final Device CPU = new Device("cpu");
  private static final LlmFixtures.Fixture QWEN = new LlmFixtures.Fixture("qwen2", LlmFixtures.family("qwen2"));
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(1);
  }

  static DecoderLm model() {
    return DecoderLm.load(QWEN.dir(), ModelDtype.FLOAT32, CPU);
  }

  /** A PEFT-layout adapter (random q/v weights) whose adapter_config.json {@code edit} changes. */
  Path adapter(Consumer<ObjectNode> edit) throws Exception {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm m = model();
      m.attachLora(new LoraConfig(4, 8, 0.0, List.of("q_proj", "v_proj")));
      for (Tensor t : m.trainableParameters().values()) t.copy_(randn(t.sizes().vec().get()).mul(new Scalar(0.1)));
      LoraAdapters.save(m, dir, "tiny-qwen2");
    }
    ObjectNode c = (ObjectNode) JSON.readTree(dir.resolve(LoraAdapters.CONFIG).toFile());
    edit.accept(c);
    Files.writeString(dir.resolve(LoraAdapters.CONFIG), c.toString());
    return dir;
  }

  @Test
  void modulesToSaveWithAStoredHeadIsRefusedByName() throws Exception {
    Path a = adapter(c -> c.putArray("modules_to_save").add("lm_head"));
    addTensor(a, "base_model.model.lm_head.weight", randn(96, 48));
    CheckpointException e = assertThrows(CheckpointException.class, () -> LoraAdapters.load(model(), a));
    assertTrue(e.getMessage().contains("adapter_config.json: modules_to_save"), e.getMessage());
  }

  @Test
  void aStoredTensorThatNothingConsumesIsAnError() throws Exception {
    Path a = adapter(c -> {});
    addTensor(a, "base_model.model.lm_head.weight", randn(96, 48));
    CheckpointException e = assertThrows(CheckpointException.class, () -> LoraAdapters.load(model(), a));
    assertTrue(e.getMessage().contains("adapter_model.safetensors: tensor 'base_model.model.lm_head.weight'"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"use_dora:true", "lora_bias:true", "bias:all", "layers_to_transform:[0]", "rank_pattern:{\"q_proj\":2}",
      "exclude_modules:[\"v_proj\"]", "layer_replication:[[0,1]]", "trainable_token_indices:[1,2]", "target_parameters:[\"x\"]"})
  void aFieldThatChangesTheAdapterUnimplementedIsRefusedByName(String entry) throws Exception {
    String field = entry.substring(0, entry.indexOf(':'));
    Path a = adapter(c -> {
      try {
        c.set(field, JSON.readTree(entry.substring(entry.indexOf(':') + 1).replace("all", "\"all\"")));
      } catch (Exception ex) {
        throw new IllegalStateException(ex);
      }
    });
    CheckpointException e = assertThrows(CheckpointException.class, () -> LoraAdapters.load(model(), a));
    assertTrue(e.getMessage().contains(LoraAdapters.CONFIG + ": " + field + ":"), e.getMessage());
  }

  @Test
  void initialisationOnlyFieldsAreAcceptedAndUnknownFieldsWarnedAboutOnce() throws Exception {
    Path a = adapter(c -> {
      c.put("init_lora_weights", "gaussian");
      c.putObject("loftq_config");
      c.put("fan_in_fan_out", true);  // PEFT resets it to false for Linear layers
      c.put("peft_version", "0.17.1");
      c.put("brand_new_field", 1);
    });
    LoraConfig lora = LoraAdapters.load(model(), a);
    assertEquals(List.of("q_proj", "v_proj"), lora.targets());
    assertTrue(Warnings.printed().stream().anyMatch(w -> w.contains("unknown field 'brand_new_field'")), Warnings.printed().toString());
  }

  @Test
  void rsLoraScalesByAlphaOverTheSquareRootOfTheRankAsPeftDoes() throws Exception {
    Path a = adapter(c -> c.put("use_rslora", true));
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm m = model();
      LoraConfig lora = LoraAdapters.load(m, a);
      assertEquals(8 / Math.sqrt(4), lora.scaling(), 1e-12);
      Tensor ids = QWEN.input("input_ids"), mask = QWEN.input("attention_mask");
      Map<String, Tensor> p = m.trainableParameters();
      // PEFT's forward with use_rslora: W x + (alpha / sqrt(r)) B A x = the merged weights' forward
      try (Checkpoint ckpt = Checkpoint.open(QWEN.dir())) {
        WeightSource merged = (name, shape) -> {
          Tensor w = ckpt.get(name, shape);
          String prefix = name.replace(".weight", "");
          Tensor lA = p.get(prefix + ".lora_A"), lB = p.get(prefix + ".lora_B");
          return lA == null ? w : w.add(lB.matmul(lA).mul(new Scalar(8 / Math.sqrt(4))));
        };
        Tensor reference = DecoderLm.of(ckpt.config(), merged, ModelDtype.FLOAT32, CPU).logits(ids, mask);
        assertTrue(LogitsOracleTest.relativeError(m.logits(ids, mask), reference, mask) < 1e-5);
      }
    }
  }

  @Test
  void targetModulesAsAllLinearOrARegexSelectWhatPeftSelects() {
    assertEquals(List.of("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"),
        AdapterConfigFields.targets(JSON.getNodeFactory().textNode("all-linear"), "a", 2));
    assertEquals(List.of("q_proj", "v_proj"), AdapterConfigFields.targets(JSON.getNodeFactory().textNode(".*\\.(q_proj|v_proj)"), "a", 2));
    assertEquals(List.of("q_proj", "v_proj"), AdapterConfigFields.targets(JSON.valueToTree(List.of("model.layers.0.self_attn.q_proj", "v_proj")), "a", 2));
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> AdapterConfigFields.targets(JSON.getNodeFactory().textNode("model\\.layers\\.0\\..*q_proj"), "a", 2));
    assertTrue(e.getMessage().contains("different layers"), e.getMessage());
  }

  static void addTensor(Path adapter, String name, Tensor tensor) throws Exception {
    Path file = adapter.resolve(LoraAdapters.WEIGHTS);
    Map<String, Tensor> all = new LinkedHashMap<>();
    try (SafeTensors st = SafeTensors.open(file)) {
      for (String n : st.names()) all.put(n, st.tensor(n).clone());
    }
    all.put(name, tensor);
    SafeTensors.write(file, all, Map.of("format", "pt"));
  }
}
