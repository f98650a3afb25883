package org.steer4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import org.steer4j.fuzz.FuzzContract;

/** Fuzzes the text-pairs JSONL reader, {@link TextPairs#read}. Seeds: {@code TextPairsFuzzTestInputs/read/}. */
class TextPairsFuzzTest {
  @DictionaryEntries({"null", "true", "false", "1e999", "-1", "0", "4294967296", "9223372036854775808", "1.5", "[]", "{}", "\\u2028", "\\n", "\"idx\"", "\"split\"", "\"prompt\"", "\"response_a\"", "\"response_b\"", "\"choices\"", "\"ratings_a\"", "\"train\"", "\"val\"", "\"test\""})
  @FuzzTest(maxDuration = "5s")
  void read(byte[] input) {
    Path file = FuzzContract.file("pairs.jsonl", input);
    TextPairs pairs = FuzzContract.check(file.toString(), () -> TextPairs.read(file));
    if (pairs == null) return;
    for (TextPairs.Pair p : pairs.pairs()) {
      assertEquals(pairs.labels().size(), p.choices().length);
      for (byte c : p.choices()) if (c != 0 && c != 1 && c != PairsDataset.TIE) throw new AssertionError("choice " + c);
    }
  }
}
