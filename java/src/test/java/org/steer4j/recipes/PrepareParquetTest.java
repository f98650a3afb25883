package org.steer4j.recipes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.cli.Steer4j;
import org.steer4j.data.ParquetFixtures;
import picocli.CommandLine;

/**
 * {@code steer4j prepare} on UltraFeedback as the Hub ships it (parquet shards, made here from the
 * JSONL fixture) writes the same bytes as on the JSONL export; a bad parquet file is one error line.
 */
class PrepareParquetTest {
  static final Path SAMPLE = Path.of("../data/fixtures/ultrafeedback/sample.jsonl");
  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    CommandLine cli = Steer4j.commandLine();
    StringWriter out = new StringWriter(), err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void prepareOnParquetWritesTheBytesOfPrepareOnJsonl() throws Exception {
    Path file = ParquetFixtures.ultraFeedback(SAMPLE, dir.resolve("train-00000-of-00001.parquet"));
    ParquetFixtures.ultraFeedbackShards(SAMPLE, dir.resolve("hub/data"), 4);
    String glob = dir.resolve("hub/data/train-0000*-of-00004.parquet").toString();
    for (String subset : List.of("hh", "hht", "all")) {
      Path expected = prepare(SAMPLE.toString(), dir.resolve("jsonl-" + subset), subset);
      List<String> inputs = List.of(file.toString(), glob, dir.resolve("hub/data").toString());
      for (int i = 0; i < inputs.size(); ++i) {
        String input = inputs.get(i);
        Path actual = prepare(input, dir.resolve("parquet-" + subset + "-" + i), subset);
        assertArrayEquals(Files.readAllBytes(expected.resolve("text_pairs.jsonl")), Files.readAllBytes(actual.resolve("text_pairs.jsonl")), subset + " " + input);
        // the summary records the config: the same bytes once the input and output paths are set aside
        String a = Files.readString(expected.resolve("text_pairs.summary.json")).replace(SAMPLE.toString(), "INPUT").replace(expected.toString(), "OUT");
        String b = Files.readString(actual.resolve("text_pairs.summary.json")).replace(input, "INPUT").replace(actual.toString(), "OUT");
        assertTrue(a.contains("\"input\" : \"INPUT\"") && a.contains("\"output\" : \"OUT/text_pairs.jsonl\""), a);
        assertEquals(a, b, subset + " " + input);
      }
    }
  }

  private Path prepare(String input, Path out, String subset) {
    Run r = run("prepare", "input=" + input, "output=" + out.resolve("text_pairs.jsonl"), "subset=" + subset);
    assertEquals(0, r.code(), r.err());
    return out;
  }

  @Test
  void aBadParquetInputIsOneErrorLineWithExitCode2() throws Exception {
    Path corrupt = Files.writeString(dir.resolve("train-00000-of-00001.parquet"), "PAR1 and then nothing");
    Path empty = ParquetFixtures.query("SELECT * FROM read_json(" + ParquetFixtures.literal(SAMPLE) + ", format = 'newline_delimited', columns = "
        + ParquetFixtures.HUB_COLUMNS + ") LIMIT 0", dir.resolve("empty.parquet"));
    Path wrong = ParquetFixtures.query("SELECT 'x' AS prompt", dir.resolve("wrong.parquet"));
    Map<Path, String> causes = Map.of(corrupt, "not a readable parquet file (", empty, "no rows (an empty table)", wrong, "no column 'instruction' (columns: prompt)");
    for (Path input : List.of(corrupt, empty, wrong)) {
      Path out = dir.resolve("out-" + input.getFileName() + "/text_pairs.jsonl");
      Run r = run("prepare", "input=" + input, "output=" + out);
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().startsWith("steer4j: error: " + input + ": " + causes.get(input)), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertFalse(Files.exists(out), "nothing written for " + input);
    }
  }
}
