package org.steer4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.data.UltraFeedbackPairs.Subset;

/**
 * UltraFeedback and text-pair tables read from parquet (through DuckDB) give exactly the rows the
 * JSONL form gives; parquet files made here from the shipped JSONL fixture in the Hub's schema
 * ({@link ParquetFixtures#HUB_COLUMNS}). Every bad file is one error naming the file and cause.
 */
class ParquetInputTest {
  static final Path SAMPLE = UltraFeedbackPairsTest.SAMPLE;
  @TempDir Path dir;

  @Test
  void parquetInTheHubsSchemaGivesTheJsonlRows() throws Exception {
    Path parquet = ParquetFixtures.ultraFeedback(SAMPLE, dir.resolve("train-00000-of-00001.parquet"));
    try (ParquetTable t = ParquetTable.open(parquet, "missing")) {
      assertEquals(List.of("source", "instruction", "models", "completions", "correct_answers", "incorrect_answers"), List.copyOf(t.columns().keySet()));
      assertTrue(t.columns().get("completions").contains("\"Rationale For Rating\" VARCHAR"), t.columns().get("completions"));
    }
    List<UltraFeedback.Row> jsonl = UltraFeedback.read(SAMPLE), rows = UltraFeedback.read(parquet);
    assertEquals(26, jsonl.size());
    assertSameRows(jsonl, rows);
    // the edge cases survived the conversion: R2 has no completions, R8's first has no annotations,
    // R9's integer ratings became the Hub's strings, R3's "N/A" drops its completion
    assertEquals(0, rows.get(1).completions().size());
    assertNull(rows.get(7).completions().get(0).ratings());
    assertArrayEquals(new int[] {5, 2, 3, 4}, rows.get(8).completions().get(0).ratings());
    assertFalse(rows.get(2).completions().get(1).rated());
    assertEquals(UltraFeedbackPairs.build(jsonl, Subset.ALL, 42, 0.8, 0.1).stats(), UltraFeedbackPairs.build(rows, Subset.ALL, 42, 0.8, 0.1).stats());
  }

  @Test
  void shardsByGlobOrFolderAreOneTableInNameOrder() throws Exception {
    Path data = dir.resolve("data");
    List<Path> shards = ParquetFixtures.ultraFeedbackShards(SAMPLE, data, 4);
    assertEquals(4, shards.size());
    Files.writeString(data.resolve("README.md"), "not data");
    List<UltraFeedback.Row> jsonl = UltraFeedback.read(SAMPLE);
    assertSameRows(jsonl, UltraFeedback.read(data.resolve("train-0000*-of-00004.parquet")));
    assertSameRows(jsonl, UltraFeedback.read(data));
    assertEquals(7, UltraFeedback.read(data.resolve("train-00001-of-00004.parquet")).size(), "rows 8..14");

    assertMessage(dir.resolve("data/train-*-of-00009.parquet") + ": no file matches", () -> UltraFeedback.read(data.resolve("train-*-of-00009.parquet")));
    Files.copy(SAMPLE, data.resolve("extra.jsonl"));
    DatasetException both = assertThrows(DatasetException.class, () -> UltraFeedback.read(data));
    assertTrue(both.getMessage().startsWith(data + ": holds both *.jsonl and *.parquet files"), both.getMessage());
  }

  @Test
  void integerRatingsAreReadAsInJsonl() throws Exception {
    String annotations = "{'helpfulness': {'Rating': %d}, 'honesty': {'Rating': 4}, 'truthfulness': {'Rating': 3}, 'instruction_following': {'Rating': 2}}";
    Path f = ParquetFixtures.query("SELECT 'q' AS instruction, [{'response': 'a', 'annotations': " + String.format(annotations, 5) + "}, {'response': 'b', 'annotations': "
        + String.format(annotations, 1) + "}] AS completions", dir.resolve("int.parquet"));
    List<UltraFeedback.Row> rows = UltraFeedback.read(f);
    assertArrayEquals(new int[] {5, 4, 3, 2}, rows.get(0).completions().get(0).ratings());
    assertArrayEquals(new int[] {1, 4, 3, 2}, rows.get(0).completions().get(1).ratings());
  }

  @Test
  void textPairsFromParquetEqualTheJsonlTable() throws Exception {
    // all four labels, ties (null choices) included
    TextPairs all = UltraFeedbackPairs.build(UltraFeedback.read(SAMPLE), Subset.ALL, 42, 0.8, 0.1).pairs();
    Path jsonl = dir.resolve("pairs.jsonl");
    all.write(jsonl, UltraFeedback.ASPECTS);
    TextPairs a = TextPairs.read(jsonl), b = TextPairs.read(ParquetFixtures.textPairs(jsonl, dir.resolve("pairs.parquet")));
    assertEquals(41, a.size());
    assertTrue(a.pairs().stream().anyMatch(p -> p.choices()[1] == PairsDataset.TIE), "the table has ties");
    assertSamePairs(a, b);
    // without the optional ratings columns, as a user's own table may be
    Path bare = ParquetFixtures.query("SELECT idx, split, prompt, response_a, response_b, choices FROM read_json(" + ParquetFixtures.literal(jsonl) + ")",
        dir.resolve("bare.parquet"));
    TextPairs c = TextPairs.read(bare);
    assertEquals(a.labels(), c.labels());
    assertEquals(a.size(), c.size());
    assertNull(c.pairs().get(0).ratingsA());
    assertArrayEquals(a.pairs().get(3).choices(), c.pairs().get(3).choices());
  }

  @Test
  void aMissingColumnIsNamed() throws Exception {
    Path noCompletions = ParquetFixtures.query("SELECT 'x' AS instruction, 5 AS n", dir.resolve("a.parquet"));
    assertMessage(noCompletions + ": no column 'completions' (columns: instruction, n)", () -> UltraFeedback.read(noCompletions));
    Path noHonesty = ParquetFixtures.query("SELECT 'x' AS instruction, [{'response': 'r', 'annotations': {'helpfulness': {'Rating': '3'}, "
        + "'truthfulness': {'Rating': '3'}, 'instruction_following': {'Rating': '3'}}}] AS completions", dir.resolve("b.parquet"));
    DatasetException e = assertThrows(DatasetException.class, () -> UltraFeedback.read(noHonesty));
    assertTrue(e.getMessage().startsWith(noHonesty + ": column 'completions' has no field annotations.honesty.Rating (expected instruction VARCHAR"), e.getMessage());
    Path pairs = ParquetFixtures.query("SELECT 1 AS idx, 'train' AS split, 'p' AS prompt, 'a' AS response_a, 'b' AS response_b", dir.resolve("c.parquet"));
    assertMessage(pairs + ": no column 'choices' (columns: idx, split, prompt, response_a, response_b)", () -> TextPairs.read(pairs));
  }

  @Test
  void aWrongTypeIsNamed() throws Exception {
    Path instruction = ParquetFixtures.query("SELECT 7 AS instruction, [{'response': 'r'}] AS completions", dir.resolve("a.parquet"));
    assertMessage(instruction + ": column 'instruction' is INTEGER, expected VARCHAR", () -> UltraFeedback.read(instruction));
    Path rating = ParquetFixtures.query("SELECT 'x' AS instruction, [{'response': 'r', 'annotations': {'helpfulness': {'Rating': 4.5}, 'honesty': {'Rating': '3'}, "
        + "'truthfulness': {'Rating': '3'}, 'instruction_following': {'Rating': '3'}}}] AS completions", dir.resolve("b.parquet"));
    assertMessage(rating + ": completions[].annotations.helpfulness.Rating is DECIMAL(2,1), expected VARCHAR (\"5\", \"N/A\") or an integer type",
        () -> UltraFeedback.read(rating));
    Path notAList = ParquetFixtures.query("SELECT 'x' AS instruction, 'r' AS completions", dir.resolve("c.parquet"));
    DatasetException e = assertThrows(DatasetException.class, () -> UltraFeedback.read(notAList));
    assertTrue(e.getMessage().startsWith(notAList + ": column 'completions' is VARCHAR, expected a list of structs"), e.getMessage());
    Path idx = ParquetFixtures.query("SELECT '1' AS idx, 'train' AS split, 'p' AS prompt, 'a' AS response_a, 'b' AS response_b, {'helpfulness': 0} AS choices",
        dir.resolve("d.parquet"));
    assertMessage(idx + ": column 'idx' is VARCHAR, expected an integer type", () -> TextPairs.read(idx));
  }

  @Test
  void aNullInARequiredFieldIsNamedByRow() throws Exception {
    String c = "[{'response': 'r', 'annotations': {'helpfulness': {'Rating': '3'}, 'honesty': {'Rating': '3'}, 'truthfulness': {'Rating': '3'}, "
        + "'instruction_following': {'Rating': '3'}}}]";
    Path f = ParquetFixtures.query("SELECT * FROM (VALUES ('q', " + c + "), (NULL, " + c + ")) t(instruction, completions)", dir.resolve("n.parquet"));
    assertMessage(f + ": row 2: no 'instruction' string", () -> UltraFeedback.read(f));
    Path g = ParquetFixtures.query("SELECT * FROM (VALUES ('q', " + c + "), ('p', NULL)) t(instruction, completions)", dir.resolve("m.parquet"));
    assertMessage(g + ": row 2: no 'completions' array", () -> UltraFeedback.read(g));
  }

  @Test
  void aCorruptFileIsOneError() throws Exception {
    Path text = Files.writeString(dir.resolve("text.parquet"), "{\"instruction\": \"not parquet\"}\n");
    DatasetException e = assertThrows(DatasetException.class, () -> UltraFeedback.read(text));
    assertTrue(e.getMessage().startsWith(text + ": not a readable parquet file (No magic bytes found"), e.getMessage());

    byte[] good = Files.readAllBytes(ParquetFixtures.ultraFeedback(SAMPLE, dir.resolve("good.parquet")));
    Path truncated = Files.write(dir.resolve("truncated.parquet"), Arrays.copyOf(good, good.length / 2));
    e = assertThrows(DatasetException.class, () -> UltraFeedback.read(truncated));
    assertTrue(e.getMessage().startsWith(truncated + ": not a readable parquet file ("), e.getMessage());

    // intact footer, damaged column data: found only while streaming the rows, and the cause is DuckDB's, not "Invalid result set"
    byte[] damaged = good.clone();
    Arrays.fill(damaged, 100, 2000, (byte) 7);
    Path pages = Files.write(dir.resolve("pages.parquet"), damaged);
    e = assertThrows(DatasetException.class, () -> UltraFeedback.read(pages));
    assertTrue(e.getMessage().startsWith(pages + ": can't read row 1 ("), e.getMessage());
    assertFalse(e.getMessage().contains("Invalid result set"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void anEmptyOrMissingTableIsAnError() throws Exception {
    Path empty = ParquetFixtures.query("SELECT * FROM read_json(" + ParquetFixtures.literal(SAMPLE) + ", format = 'newline_delimited', columns = "
        + ParquetFixtures.HUB_COLUMNS + ") LIMIT 0", dir.resolve("empty.parquet"));
    assertMessage(empty + ": no rows (an empty table)", () -> UltraFeedback.read(empty));
    Path pairs = ParquetFixtures.query("SELECT 1 AS idx, 'train' AS split, 'p' AS prompt, 'a' AS response_a, 'b' AS response_b, {'helpfulness': 0} AS choices LIMIT 0",
        dir.resolve("pairs.parquet"));
    assertMessage(pairs + ": no rows (an empty table)", () -> TextPairs.read(pairs));
    Path missing = dir.resolve("missing.parquet");
    assertMessage(missing + ": no such file", () -> UltraFeedback.read(missing));
    assertMessage(missing + ": no such file (make it with 'steer4j prepare')", () -> TextPairs.read(missing));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable read) {
    assertEquals(expected, assertThrows(DatasetException.class, read).getMessage());
  }

  static void assertSameRows(List<UltraFeedback.Row> expected, List<UltraFeedback.Row> actual) {
    assertEquals(expected.size(), actual.size());
    for (int r = 0; r < expected.size(); ++r) {
      UltraFeedback.Row x = expected.get(r), y = actual.get(r);
      assertEquals(x.instruction(), y.instruction(), "row " + (r + 1));
      assertEquals(x.completions().size(), y.completions().size(), "row " + (r + 1));
      for (int c = 0; c < x.completions().size(); ++c) {
        assertEquals(x.completions().get(c).response(), y.completions().get(c).response(), "row " + (r + 1) + " completion " + c);
        assertArrayEquals(x.completions().get(c).ratings(), y.completions().get(c).ratings(), "row " + (r + 1) + " completion " + c);
      }
    }
  }

  private static void assertSamePairs(TextPairs a, TextPairs b) {
    assertEquals(a.labels(), b.labels());
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); ++i) {
      TextPairs.Pair x = a.pairs().get(i), y = b.pairs().get(i);
      assertEquals(x.idx(), y.idx());
      assertEquals(x.split(), y.split());
      assertEquals(x.prompt(), y.prompt());
      assertEquals(x.responseA(), y.responseA());
      assertEquals(x.responseB(), y.responseB());
      assertArrayEquals(x.choices(), y.choices());
      assertArrayEquals(x.ratingsA(), y.ratingsA());
      assertArrayEquals(x.ratingsB(), y.ratingsB());
    }
  }
}
