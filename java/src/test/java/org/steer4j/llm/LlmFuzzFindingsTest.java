package org.steer4j.llm;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Findings of the llm fuzz tests (config.json, adapter_config.json, tokenizer files), as plain
 * regression tests (docs/inputs.md).
 */
class LlmFuzzFindingsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LLAMA = "{\"model_type\": \"llama\", \"vocab_size\": 10, \"hidden_size\": 8, \"intermediate_size\": 16,"
      + " \"num_hidden_layers\": 2, \"num_attention_heads\": 2";

  @TempDir Path dir;

  /** Was Jackson's getMessage(), whose second line quotes the source. */
  @Test
  void malformedConfigJsonIsOneLine() {
    var e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(LLAMA + ", \"rope_theta\": Infinity}", "x/config.json"));
    assertTrue(e.getMessage().startsWith("x/config.json: malformed JSON: line 1, column "), e.getMessage());
    assertTrue(!e.getMessage().contains("\n") && e.getMessage().contains("Non-standard token 'Infinity'"), e.getMessage());
  }

  /** Was "config.json: ...": the checks of the record's constructor did not name the file read. */
  @Test
  void sizeChecksNameTheFileRead() {
    var e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(LLAMA + ", \"head_dim\": 3}", "x/config.json"));
    assertEquals("x/config.json: head_dim 3 must be even for rotary embeddings", e.getMessage());
    e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(LLAMA + ", \"hidden_act\": \"relu6\"}", "x/config.json"));
    assertTrue(e.getMessage().startsWith("x/config.json: hidden_act 'relu6' is not supported"), e.getMessage());
  }

  /** Was accepted: 1e999 parses as +Infinity, and every rotary frequency became 0. */
  @Test
  void infiniteRopeThetaEpsAndFactorsAreRefused() {
    var e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(LLAMA + ", \"rope_theta\": 1e999}", "x/config.json"));
    assertEquals("x/config.json: rope_theta must be finite and > 0, got Infinity", e.getMessage());
    e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(LLAMA + ", \"rms_norm_eps\": 1e999}", "x/config.json"));
    assertEquals("x/config.json: rms_norm_eps must be finite and > 0, got Infinity", e.getMessage());
    e = assertThrows(CheckpointException.class,
        () -> ModelConfig.parse(LLAMA + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 1e999}}", "x/config.json"));
    assertEquals("x/config.json: rope_scaling needs a finite factor > 0", e.getMessage());
  }

  /**
   * Found by fuzzing: 1e999 under any key (here an unknown one) was kept as +Infinity and written
   * back by CheckpointWriter as the string "Infinity", so the written config.json said something else.
   */
  @Test
  void aNumberTooLargeForADoubleIsRefusedAnywhere() {
    var e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(LLAMA + ", \"head_disize\": 1e999}", "x/config.json"));
    assertEquals("x/config.json: head_disize is too large for a number (Infinity)", e.getMessage());
    e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(LLAMA + ", \"task_specific_params\": {\"a\": [1, -1e999]}}", "x/config.json"));
    assertEquals("x/config.json: task_specific_params.a[1] is too large for a number (-Infinity)", e.getMessage());
  }

  /** Were read with asInt: "<s>" or [3] became token 0. */
  @Test
  void tokenIdsMustBeIntegers() {
    var e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(LLAMA + ", \"eos_token_id\": [1, [3]]}", "x/config.json"));
    assertEquals("x/config.json: eos_token_id must be a token id (an integer), got [3]", e.getMessage());
    e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(LLAMA + ", \"bos_token_id\": \"<s>\"}", "x/config.json"));
    assertEquals("x/config.json: bos_token_id must be a token id (an integer), got \"<s>\"", e.getMessage());
    assertEquals(2, ModelConfig.parse(LLAMA + ", \"eos_token_id\": [2, 3], \"pad_token_id\": null}", "x/config.json").eosTokenId());
  }

  private static ObjectNode adapter(String targets) throws Exception {
    return (ObjectNode) JSON.readTree("{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 8, \"target_modules\": " + targets + "}");
  }

  /** Was a hang: (.*.){12}X takes ~3 s per module path, hours for a 32-layer model. */
  @Test
  void aCatastrophicallyBacktrackingTargetRegexIsRefusedQuickly() throws Exception {
    ObjectNode c = adapter("\"(.*.){20}X\"");
    var e = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> assertThrows(CheckpointException.class, () -> AdapterConfigFields.parse(c, "a/adapter_config.json", 32)));
    assertEquals("a/adapter_config.json: target_modules '(.*.){20}X' takes too long to match (catastrophic backtracking);"
        + " list the module names instead", e.getMessage());
    assertEquals(java.util.List.of("q_proj", "v_proj"), AdapterConfigFields.parse(adapter("\".*\\\\.(q_proj|v_proj)\""), "a", 32).targets());
  }

  /** Was accepted: lora_alpha 1e999 (+Infinity) scales every update to infinity. */
  @Test
  void anInfiniteLoraAlphaIsRefused() throws Exception {
    ObjectNode c = adapter("[\"q_proj\"]");
    c.put("lora_alpha", Double.POSITIVE_INFINITY);
    var e = assertThrows(CheckpointException.class, () -> AdapterConfigFields.parse(c, "a/adapter_config.json", 2));
    assertEquals("a/adapter_config.json: lora alpha must be finite and > 0, got Infinity", e.getMessage());
  }

  /** New: tokenizer files are checked in Java before DJL's native library reads them. */
  @Test
  void aDamagedTokenizerJsonIsOneErrorNamingTheFileBeforeTheNativeLibrarySeesIt() throws Exception {
    Path tokenizer = dir.resolve("tokenizer.json");
    String good = Files.readString(Path.of("../data/fixtures/tokenizer/tokenizer.json"));
    Files.writeString(tokenizer, good.replace("\"type\": \"BPE\"", "\"type\": \"Foo\"").replace("\"type\":\"BPE\"", "\"type\":\"Foo\""));
    var e = assertThrows(TokenizerException.class, () -> TextTokenizer.load(dir));
    assertEquals(tokenizer + ": model.type \"Foo\" is not a tokenizers model (BPE, WordPiece, WordLevel, Unigram)", e.getMessage());
    Files.write(tokenizer, ("\uFEFF" + good).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    e = assertThrows(TokenizerException.class, () -> TextTokenizer.load(dir));
    assertTrue(e.getMessage().startsWith(tokenizer + ": starts with a UTF-8 byte-order mark"), e.getMessage());
    Files.writeString(tokenizer, good);
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": 2}");
    e = assertThrows(TokenizerException.class, () -> TextTokenizer.load(dir));
    assertEquals(dir.resolve("tokenizer_config.json") + ": eos_token must be a string or {\"content\": \"...\"}, got 2", e.getMessage());
  }

  @Test
  void theShippedAndGeneratedTokenizersPassTheChecks() throws Exception {
    assertDoesNotThrow(() -> TokenizerFiles.checkTokenizer(Path.of("../data/fixtures/tokenizer/tokenizer.json")));
    assertDoesNotThrow(() -> TokenizerFiles.checkConfig(Path.of("../data/fixtures/tokenizer/tokenizer_config.json")));
    org.steer4j.data.DialogueTokenizer.write(dir);
    assertDoesNotThrow(() -> TokenizerFiles.checkTokenizer(dir.resolve("tokenizer.json")));
    assertDoesNotThrow(() -> TokenizerFiles.checkConfig(dir.resolve("tokenizer_config.json")));
  }
}
