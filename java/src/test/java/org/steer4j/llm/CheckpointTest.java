package org.steer4j.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.io.SafeTensors;
import org.steer4j.runtime.Native;

/** Reading and writing checkpoints in Hugging Face layout, and the errors a broken one gives. */
class CheckpointTest {
  private static final Device CPU = new Device("cpu");
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @BeforeAll
  static void init() {
    Native.init(1);
  }

  private static List<Path> shards(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).sorted().toList();
    }
  }

  @Test
  void aShardedSaveRoundTripsBitForBit() throws Exception {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm original = DecoderLm.load(LlmFixtures.family("llama"), ModelDtype.FLOAT32, CPU);
      Path out = tmp.resolve("llama");
      original.save(out, 40_000);  // ~220 KB of weights: several shards
      List<Path> shards = shards(out);
      assertTrue(shards.size() >= 3, "expected several shards, got " + shards);
      assertTrue(Files.exists(out.resolve(Checkpoint.INDEX)) && !Files.exists(out.resolve(Checkpoint.SINGLE)));
      JsonNode index = JSON.readTree(out.resolve(Checkpoint.INDEX).toFile());
      assertEquals(WeightLayout.of(original.config()).size(), index.get("weight_map").size());
      assertEquals(WeightLayout.parameterCount(original.config()) * 4, index.get("metadata").get("total_size").asLong());

      DecoderLm reloaded = DecoderLm.load(out, ModelDtype.FLOAT32, CPU);
      assertEquals(original.config(), reloaded.config());
      Map<String, Tensor> a = original.stateDict(), b = reloaded.stateDict();
      assertEquals(a.keySet(), b.keySet());
      for (String name : a.keySet()) assertTrue(a.get(name).equal(b.get(name)), name);
      LlmFixtures.Fixture f = new LlmFixtures.Fixture("llama", LlmFixtures.family("llama"));
      assertTrue(original.logits(f.input("input_ids"), f.input("attention_mask")).equal(reloaded.logits(f.input("input_ids"), f.input("attention_mask"))));

      original.save(out, 1L << 30);  // re-saving into one file removes the old shards
      assertEquals(List.of(), shards(out));
      assertTrue(Files.exists(out.resolve(Checkpoint.SINGLE)) && !Files.exists(out.resolve(Checkpoint.INDEX)));
    }
  }

  @Test
  void halfPrecisionCheckpointsLoadInAnyDtype() throws Exception {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      for (ModelDtype stored : new ModelDtype[] {ModelDtype.BFLOAT16, ModelDtype.FLOAT16}) {
        DecoderLm model = DecoderLm.load(LlmFixtures.family("gemma"), stored, CPU);
        Path out = tmp.resolve(stored.torchName());
        model.save(out, 50_000);
        assertEquals(stored.torchName(), JSON.readTree(out.resolve("config.json").toFile()).get("torch_dtype").asText());
        try (SafeTensors shard = SafeTensors.open(shards(out).get(0))) {
          assertEquals(stored == ModelDtype.BFLOAT16 ? SafeTensors.DType.BF16 : SafeTensors.DType.F16, shard.entry(WeightLayout.EMBED).dtype());
        }
        DecoderLm widened = DecoderLm.load(out, ModelDtype.FLOAT32, CPU);
        Tensor w = widened.stateDict().get(WeightLayout.EMBED);
        assertEquals(ScalarType.Float.value, w.scalar_type().value);
        assertTrue(w.equal(model.stateDict().get(WeightLayout.EMBED).to(ScalarType.Float)), "widening is exact");
      }
    }
  }

  @Test
  void tiedHeadIsNotStoredAndStrayTensorsAreReported() throws Exception {
    Path dir = copyOf("gemma");
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    try (SafeTensors st = SafeTensors.open(dir.resolve("model.safetensors"))) {
      for (String n : st.names()) tensors.put(n, st.tensor(n));
    }
    assertTrue(!tensors.containsKey(WeightLayout.LM_HEAD), "gemma ties its head to the embeddings");
    tensors.put("model.layers.0.self_attn.rotary_emb.inv_freq", org.bytedeco.pytorch.global.torch.ones(6));
    SafeTensors.write(dir.resolve("model.safetensors"), tensors, Map.of());
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      DecoderLm.of(ckpt.config(), ckpt, ModelDtype.FLOAT32, CPU);
      assertEquals(java.util.Set.of("model.layers.0.self_attn.rotary_emb.inv_freq"), ckpt.unusedTensors());
    }
  }

  @Test
  void unknownArchitectureIsNamed() throws Exception {
    Path dir = copyOf("llama");
    editConfig(dir, "model_type", "mistral");
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("'mistral'") && e.getMessage().contains("llama, qwen2, gemma"), e.getMessage());
  }

  @Test
  void unsupportedRopeScalingIsRejectedAtLoad() throws Exception {
    Path dir = copyOf("llama");
    editConfig(dir, "rope_scaling", Map.of("rope_type", "yarn", "factor", 4.0));
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains("yarn"), e.getMessage());
  }

  @Test
  void aConfigThatDisagreesWithTheWeightsNamesTheTensorAndBothShapes() throws Exception {
    Path dir = copyOf("qwen2");
    editConfig(dir, "intermediate_size", 64);
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("'model.layers.0.mlp.gate_proj.weight'")
        && e.getMessage().contains("[80, 48]") && e.getMessage().contains("[64, 48]"), e.getMessage());
  }

  @Test
  void aMissingTensorIsNamed() throws Exception {
    Path dir = copyOf("qwen2");
    editConfig(dir, "num_hidden_layers", 3);
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains("missing tensor 'model.layers.2.input_layernorm.weight'"), e.getMessage());
  }

  @Test
  void aMissingShardIsNamed() throws Exception {
    Path out = tmp.resolve("sharded");
    try (PointerScope s = new PointerScope()) {
      DecoderLm.load(LlmFixtures.family("qwen2"), ModelDtype.FLOAT32, CPU).save(out, 40_000);
    }
    Path gone = shards(out).get(1);
    Files.delete(gone);
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(out));
    assertTrue(e.getMessage().contains(gone.getFileName().toString()) && e.getMessage().contains("missing shard"), e.getMessage());
  }

  @Test
  void noWeightsAtAllSaysWhatIsExpected() throws Exception {
    Path dir = copyOf("llama");
    Files.delete(dir.resolve("model.safetensors"));
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains("model.safetensors.index.json"), e.getMessage());
  }

  @Test
  void transformers5KeysAreUnderstood() {
    String json = """
        {"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
         "num_attention_heads": 2, "num_key_value_heads": 1, "dtype": "bfloat16", "eos_token_id": [7, 9],
         "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                             "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}""";
    ModelConfig c = ModelConfig.parse(json, "test");
    assertEquals(500000.0, c.ropeTheta());
    assertEquals("llama3", c.ropeScaling().type());
    assertEquals("bfloat16", c.torchDtype());
    assertEquals(7, c.eosTokenId());
    assertEquals(4, c.headDim());
  }

  private Path copyOf(String family) throws Exception {
    Path dir = tmp.resolve(family + "-copy");
    Files.createDirectories(dir);
    for (String f : new String[] {"config.json", "model.safetensors"}) Files.copy(LlmFixtures.family(family).resolve(f), dir.resolve(f));
    return dir;
  }

  private static void editConfig(Path dir, String key, Object value) throws Exception {
    var node = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
    node.set(key, JSON.valueToTree(value));
    Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(node));
  }
}
