package org.steer4j.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Warnings;

/**
 * config.json read as transformers reads it: real checkpoints' configs parse with every key
 * accounted for, Gemma 1.0's legacy activation runs the model's own (tanh) GELU, keys that would
 * change the math unimplemented are refused by name, unknown keys warned about once.
 */
class ConfigKeysTest {
  static final Path CONFIGS = Path.of("../data/fixtures/hf_configs");
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-2-7b", "llama-3.2-1b", "qwen2.5-1.5b-instruct", "gemma-2b", "gemma-1.1-2b-it"})
  void everyKeyOfARealCheckpointsConfigIsReadOrKnownInert(String name) {
    Path file = CONFIGS.resolve(name + ".json");
    ModelConfig c = ModelConfig.read(file);
    for (String w : Warnings.printed()) assertFalse(w.startsWith(file + ": unknown key"), w);
    if (c.family() == Family.GEMMA) assertEquals("gelu_pytorch_tanh", c.activation(), name + ": the activation Gemma was trained with");
    else assertEquals("silu", c.activation());
  }

  @Test
  void familyDefaultsAreTransformersDefaults() {
    String base = "{\"vocab_size\": 10, \"hidden_size\": 8, \"intermediate_size\": 16, \"num_hidden_layers\": 1, \"num_attention_heads\": 2";
    assertEquals(2048, ModelConfig.parse(base + ", \"model_type\": \"llama\"}", "llama").maxPositionEmbeddings());
    assertEquals(32768, ModelConfig.parse(base + ", \"model_type\": \"qwen2\"}", "qwen2").maxPositionEmbeddings());
    ModelConfig gemma = ModelConfig.parse(base + ", \"model_type\": \"gemma\"}", "gemma");
    assertEquals(256, gemma.headDim());
    assertEquals("gelu_pytorch_tanh", gemma.activation());
    assertTrue(gemma.tieWordEmbeddings());
  }

  @Test
  void gemma10LegacyGeluWarnsAndAnExplicitHiddenActivationWins() {
    ModelConfig.read(CONFIGS.resolve("gemma-2b.json"));
    assertTrue(Warnings.printed().stream().anyMatch(w -> w.contains("gemma-2b.json") && w.contains("gelu_pytorch_tanh")), Warnings.printed().toString());
    ModelConfig explicit = ModelConfig.read(CONFIGS.resolve("gemma-2b.json")).with("hidden_activation", "gelu");
    assertEquals("gelu", explicit.activation());
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"quantization_config\": {\"quant_method\": \"bitsandbytes\", \"load_in_4bit\": true}", "\"attention_dropout\": 0.1",
      "\"use_bidirectional_attention\": true", "\"layer_types\": [\"full_attention\", \"sliding_attention\"]", "\"partial_rotary_factor\": 0.5",
      "\"final_logit_softcapping\": 30.0", "\"use_sliding_window\": true"})
  void aKeyThatChangesTheMathUnimplementedIsRefusedByName(String entry) {
    String json = "{\"model_type\": \"llama\", \"vocab_size\": 10, \"hidden_size\": 8, \"intermediate_size\": 16, \"num_hidden_layers\": 2,"
        + " \"num_attention_heads\": 2, " + entry + "}";
    String key = entry.substring(1, entry.indexOf('"', 1));
    CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(json, "x/config.json"));
    assertTrue(e.getMessage().startsWith("x/config.json: ") && e.getMessage().contains(key), e.getMessage());
  }

  @Test
  void anUnknownKeyIsReportedOnceAndIgnored() {
    String json = "{\"model_type\": \"qwen2\", \"vocab_size\": 10, \"hidden_size\": 8, \"intermediate_size\": 16, \"num_hidden_layers\": 1,"
        + " \"num_attention_heads\": 2, \"my_new_knob\": 3}";
    ModelConfig.parse(json, "y/config.json");
    ModelConfig.parse(json, "y/config.json");
    long n = Warnings.printed().stream().filter(w -> w.equals("y/config.json: unknown key 'my_new_knob' ignored (steer4j does not know whether it changes the model)")).count();
    assertEquals(1, n, Warnings.printed().toString());
  }

  /**
   * The transformers-made Gemma fixture (tanh GELU, data/fixtures/llm-hf/gemma) saved with Gemma
   * 1.0's config (hidden_act "gelu", no hidden_activation) still matches transformers' logits: the
   * legacy value runs the tanh GELU. Naming the exact GELU explicitly moves the logits past the
   * tolerance, so the comparison can tell the two apart.
   */
  @Test
  void gemma10StyleCheckpointMatchesTransformersToOneInAHundredThousand() throws Exception {
    Path hf = Path.of("../data/fixtures/llm-hf/gemma");
    var legacy = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(hf.resolve("config.json").toFile());
    legacy.remove("hidden_activation");
    legacy.put("hidden_act", "gelu");
    Path model = Files.createDirectories(dir.resolve("gemma-1.0-style"));
    Files.copy(hf.resolve("model.safetensors"), model.resolve("model.safetensors"));
    Files.writeString(model.resolve("config.json"), legacy.toPrettyString());
    double tanh = logitError(model, hf);
    legacy.put("hidden_activation", "gelu");
    Files.writeString(model.resolve("config.json"), legacy.toPrettyString());
    double exact = logitError(model, hf);
    System.out.printf(Locale.ROOT, "gemma 1.0 style: max rel error %.2e (tanh, as trained) vs %.2e (exact gelu)%n", tanh, exact);
    assertTrue(tanh < 1e-5, "legacy gelu must run the tanh GELU: " + tanh);
    assertTrue(exact > 1e-5, "the exact GELU must be told apart: " + exact);
  }

  static double logitError(Path model, Path fixture) {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      var f = new LlmFixtures.Fixture("gemma", fixture);
      DecoderLm lm = DecoderLm.load(model, ModelDtype.FLOAT32, new Device("cpu"));
      Tensor mask = f.input("attention_mask");
      Tensor logits = lm.head(lm.hiddenStates(f.input("input_ids"), mask, ForwardOptions.DEFAULT));
      return LogitsOracleTest.relativeError(logits, f.expected("logits"), mask);
    }
  }
}
