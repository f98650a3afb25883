package org.steer4j.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.steer4j.fuzz.FuzzContract;

/**
 * Fuzzes Hugging Face {@code config.json} parsing: {@link ModelConfig#parse(String, String)} and
 * {@link ModelConfig#read} of the same bytes as a file. Seeds: {@code ModelConfigFuzzTestInputs/parse/}.
 */
class ModelConfigFuzzTest {
  @DictionaryEntries({"null", "true", "false", "1e999", "-1", "0", "4294967296", "9223372036854775808", "1.5", "[]", "{}", "\\u2028", "\\n", "\"model_type\"", "\"llama\"", "\"qwen2\"", "\"gemma\"", "\"hidden_size\"", "\"num_attention_heads\"", "\"num_key_value_heads\"", "\"head_dim\"", "\"rope_theta\"", "\"rope_scaling\"", "\"rope_parameters\"", "\"rope_type\"", "\"llama3\"", "\"linear\"", "\"factor\"", "\"low_freq_factor\"", "\"high_freq_factor\"", "\"eos_token_id\"", "\"hidden_act\"", "\"vocab_size\"", "\"intermediate_size\"", "\"num_hidden_layers\"", "\"rms_norm_eps\""})
  @FuzzTest(maxDuration = "5s")
  void parse(byte[] input) {
    String where = "fuzz/config.json";
    ModelConfig c = FuzzContract.check(where, () -> ModelConfig.parse(new String(input, StandardCharsets.UTF_8), where));
    if (c != null) {
      assertTrue(c.numHeads() % c.numKvHeads() == 0 && c.headDim() % 2 == 0 && c.vocabSize() > 0);
      assertEquals(c, ModelConfig.parse(c.toJson().toString(), where));  // what is written back reads back
    }
    Path file = FuzzContract.file("config.json", input);
    FuzzContract.check(file.toString(), () -> ModelConfig.read(file));
  }
}
