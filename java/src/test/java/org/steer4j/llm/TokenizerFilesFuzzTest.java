package org.steer4j.llm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import org.steer4j.fuzz.FuzzContract;

/**
 * Fuzzes the Java checks of tokenizer.json and tokenizer_config.json ({@link TokenizerFiles}) that
 * {@link TextTokenizer#load} runs before the native tokenizers library sees a file (the library
 * itself is not fuzzed here). Every input is tried as both files. Seeds:
 * {@code TokenizerFilesFuzzTestInputs/check/}.
 */
class TokenizerFilesFuzzTest {
  @DictionaryEntries({"null", "true", "false", "1e999", "-1", "0", "4294967296", "9223372036854775808", "1.5", "[]", "{}", "\\u2028", "\\n", "\"model\"", "\"type\"", "\"BPE\"", "\"Unigram\"", "\"WordLevel\"", "\"WordPiece\"", "\"vocab\"", "\"merges\"", "\"added_tokens\"", "\"id\"", "\"content\"", "\"special\"", "\"pre_tokenizer\"", "\"normalizer\"", "\"decoder\"", "\"post_processor\"", "\"bos_token\"", "\"eos_token\"", "\uFEFF"})
  @FuzzTest(maxDuration = "5s")
  void check(byte[] input) {
    FuzzContract.check("fuzz/tokenizer.json", () -> {
      TokenizerFiles.checkTokenizer(input, "fuzz/tokenizer.json");
      return null;
    });
    JsonNode config = FuzzContract.check("fuzz/tokenizer_config.json", () -> TokenizerFiles.checkConfig(input, "fuzz/tokenizer_config.json"));
    if (config != null) assertTrue(config.isObject());
  }
}
