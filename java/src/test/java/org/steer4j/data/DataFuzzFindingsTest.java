package org.steer4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Findings of the data fuzz tests (UltraFeedback, text pairs, pairs.csv), as plain regression tests (docs/inputs.md). */
class DataFuzzFindingsTest {
  @TempDir Path dir;

  private static String row(String rating) {
    String annotations = "{\"helpfulness\": {\"Rating\": " + rating + "}, \"honesty\": {\"Rating\": \"3\"}, \"truthfulness\": {\"Rating\": \"3\"},"
        + " \"instruction_following\": {\"Rating\": \"3\"}}";
    return "{\"instruction\": \"p\", \"completions\": [{\"response\": \"a\", \"annotations\": " + annotations + "}]}\n";
  }

  /** Was read as idx 1 (canConvertToInt truncates a float). */
  @Test
  void aFractionalIdxIsRefused() throws Exception {
    Path f = Files.writeString(dir.resolve("pairs.jsonl"),
        "{\"idx\": 1.5, \"split\": \"train\", \"prompt\": \"p\", \"response_a\": \"a\", \"response_b\": \"b\", \"choices\": {\"h\": 0}}\n");
    var e = assertThrows(DatasetException.class, () -> TextPairs.read(f));
    assertEquals(f + ": line 1: 'idx' must be an integer", e.getMessage());
  }

  /** Was read as rating 4 (the int wrapped around), a pair compared on a rating that is not in the file. */
  @Test
  void aRatingTooLargeForAnIntIsOutsideTheScaleNotWrappedIntoIt() throws Exception {
    for (String rating : new String[] {"4294967300", "\"4294967300\"", "\"-99999999999999999999\""}) {
      Path f = Files.writeString(dir.resolve("uf.jsonl"), row(rating));
      var e = assertThrows(DatasetException.class, () -> UltraFeedback.read(f), rating);
      String value = rating.replace("\"", "");
      assertEquals(f + ": line 1: helpfulness Rating " + value + " is outside UltraFeedback's scale 1..5", e.getMessage());
    }
  }
}
