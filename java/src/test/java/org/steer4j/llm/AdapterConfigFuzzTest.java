package org.steer4j.llm;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.steer4j.fuzz.FuzzContract;

/**
 * Fuzzes PEFT {@code adapter_config.json} handling, {@link AdapterConfigFields#parse}, for models
 * of 1 to 3 layers (drawn from the input's length); inputs that are not a JSON object are skipped
 * (the caller refuses them before). Seeds: {@code AdapterConfigFuzzTestInputs/parse/}.
 */
class AdapterConfigFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @DictionaryEntries({"null", "true", "false", "1e999", "-1", "0", "4294967296", "9223372036854775808", "1.5", "[]", "{}", "\\u2028", "\\n", "\"peft_type\"", "\"LORA\"", "\"r\"", "\"lora_alpha\"", "\"lora_dropout\"", "\"target_modules\"", "\"all-linear\"", "\"q_proj\"", "\"v_proj\"", "\"bias\"", "\"use_rslora\"", "\"use_dora\"", "\"modules_to_save\"", ".*", "(.*)*", "\\\\."})
  @FuzzTest(maxDuration = "5s")
  void parse(byte[] input) {
    JsonNode node;
    try {
      node = JSON.readTree(input);
    } catch (IOException e) {
      return;
    }
    if (node == null || !node.isObject()) return;
    String where = "fuzz/adapter_config.json";
    LoraConfig lora = FuzzContract.check(where, () -> AdapterConfigFields.parse((ObjectNode) node, where, 1 + input.length % 3));
    if (lora != null) assertFalse(lora.targets().isEmpty());
  }
}
