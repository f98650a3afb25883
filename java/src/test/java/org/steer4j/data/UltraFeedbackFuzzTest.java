package org.steer4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import java.util.List;
import org.steer4j.fuzz.FuzzContract;

/**
 * Fuzzes the UltraFeedback JSONL reader ({@link UltraFeedback#read}: lines, JSON, ratings) and the
 * pairing rules ({@link UltraFeedbackPairs#build}) on what it returns, with the subset and split
 * fractions drawn from the input's length. Seeds: {@code UltraFeedbackFuzzTestInputs/rows/}.
 */
class UltraFeedbackFuzzTest {
  private static final double[][] FRACTIONS = {{0.8, 0.1}, {1, 0}, {0, 0}, {0.5, 0.5}, {0.7, 0.4}, {Double.NaN, 0}};

  @DictionaryEntries({"null", "true", "false", "1e999", "-1", "0", "4294967296", "9223372036854775808", "1.5", "[]", "{}", "\\u2028", "\\n", "\"instruction\"", "\"completions\"", "\"response\"", "\"annotations\"", "\"Rating\"", "\"helpfulness\"", "\"honesty\"", "\"truthfulness\"", "\"instruction_following\"", "\"N/A\"", "\"5\""})
  @FuzzTest(maxDuration = "5s")
  void rows(byte[] input) {
    Path file = FuzzContract.file("ultrafeedback.jsonl", input);
    List<UltraFeedback.Row> rows = FuzzContract.check(file.toString(), () -> UltraFeedback.read(file));
    if (rows == null) return;
    for (UltraFeedback.Row r : rows) {
      for (UltraFeedback.Completion c : r.completions()) {
        if (c.rated()) for (int v : c.ratings()) if (v < UltraFeedback.MIN_RATING || v > UltraFeedback.MAX_RATING) throw new AssertionError("rating " + v);
      }
    }
    UltraFeedbackPairs.Subset subset = UltraFeedbackPairs.Subset.values()[input.length % 3];
    double[] f = FRACTIONS[input.length % FRACTIONS.length];
    UltraFeedbackPairs.Result result = FuzzContract.check("split fractions", () -> UltraFeedbackPairs.build(rows, subset, input.length, f[0], f[1]));
    if (result == null) return;
    var s = result.stats();
    assertEquals(s.kept(), result.pairs().size());
    assertEquals(s.kept(), s.train() + s.val() + s.test());
    for (TextPairs.Pair p : result.pairs().pairs()) assertEquals(subset.labels().size(), p.choices().length);
  }
}
