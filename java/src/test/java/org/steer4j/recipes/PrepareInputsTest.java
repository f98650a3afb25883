package org.steer4j.recipes;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.config.Configs;
import org.steer4j.data.DatasetException;
import org.steer4j.data.PrepareConfig;

/** prepare never succeeds with nothing: no rows, no rated completion, or ratings off UltraFeedback's scale are errors with counts. */
class PrepareInputsTest {
  static final Path SAMPLE = Path.of("../data/fixtures/ultrafeedback/sample.jsonl");
  @TempDir Path dir;

  DatasetException fails(String jsonl) throws Exception {
    Path input = dir.resolve("uf.jsonl"), output = dir.resolve("pairs.jsonl");
    Files.writeString(input, jsonl);
    PrepareConfig c = Configs.defaults(PrepareConfig.class, List.of("input=" + input, "output=" + output, "subset=hh"));
    DatasetException e = assertThrows(DatasetException.class, () -> Prepare.run(c));
    assertFalse(Files.exists(output), "nothing is written");
    return e;
  }

  @Test
  void everyRatingNotApplicableIsAnErrorWithCounts() throws Exception {
    String all = Files.readString(SAMPLE).replaceAll("\"Rating\": \"[0-9]\"", "\"Rating\": \"N/A\"");
    DatasetException e = fails(all);
    assertTrue(e.getMessage().contains("uf.jsonl: no hh pairs: ") && e.getMessage().contains("dropped for a missing or non-integer (N/A) rating")
        && e.getMessage().endsWith("0 kept"), e.getMessage());
  }

  @Test
  void anEmptyFileOrRowsWithoutCompletionsAreErrors() throws Exception {
    assertTrue(fails("").getMessage().contains("0 rows"), "empty file");
    DatasetException e = fails("{\"instruction\": \"a\", \"completions\": []}\n{\"instruction\": \"b\", \"completions\": [{\"response\": \"x\"}]}\n");
    assertTrue(e.getMessage().contains("2 rows") && e.getMessage().endsWith("0 kept"), e.getMessage());
  }

  @Test
  void aRatingOutsideOneToFiveIsRefusedNamingTheLine() throws Exception {
    String bad = Files.readString(SAMPLE).replaceFirst("\"Rating\": \"5\"", "\"Rating\": \"7\"");
    DatasetException e = fails(bad);
    assertTrue(e.getMessage().contains("uf.jsonl: line 1") && e.getMessage().contains("helpfulness Rating 7 is outside UltraFeedback's scale 1..5"),
        e.getMessage());
  }
}
