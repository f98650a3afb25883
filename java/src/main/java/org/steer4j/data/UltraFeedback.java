package org.steer4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Rows of {@code openbmb/UltraFeedback} as its JSONL files hold them: {@code instruction} and
 * {@code completions[]}, each completion with a {@code response} and {@code annotations} giving a
 * {@code Rating} per aspect ("1".."5", or "N/A"). Only what preference pairs need is kept.
 */
public final class UltraFeedback {
  /** The four annotated aspects, in UltraFeedback's naming and the order of {@link Completion#ratings()}. */
  public static final List<String> ASPECTS = List.of("helpfulness", "honesty", "truthfulness", "instruction_following");
  private static final ObjectMapper JSON = new ObjectMapper();

  private UltraFeedback() {}

  /**
   * One completion; {@code ratings} holds the four aspects' ratings, or is null when any of them
   * is not an integer ("N/A", "3.5", missing): such completions are dropped, as in the reference.
   */
  public record Completion(String response, int[] ratings) {
    public boolean rated() {
      return ratings != null;
    }
  }

  /** One prompt with its completions, in file order. */
  public record Row(String instruction, List<Completion> completions) {}

  /** Reads a JSONL file, or every {@code *.jsonl} file of a directory in name order. */
  public static List<Row> read(Path input) {
    List<Path> files;
    if (Files.isDirectory(input)) {
      try (Stream<Path> s = Files.list(input)) {
        files = s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
      } catch (IOException e) {
        throw new DatasetException(input + ": can't list: " + e.getMessage());
      }
      if (files.isEmpty()) throw new DatasetException(input + ": no *.jsonl files (UltraFeedback's JSONL export is expected)");
    } else {
      files = List.of(input);
    }
    List<Row> rows = new ArrayList<>();
    for (Path f : files) readFile(f, rows);
    return rows;
  }

  private static void readFile(Path file, List<Row> rows) {
    JsonLines.read(file, "no such file", (node, where) -> rows.add(parse(node, where)));
  }

  static Row parse(JsonNode node, String where) {
    JsonNode instruction = node.get("instruction");
    if (instruction == null || !instruction.isTextual()) throw new DatasetException(where + ": no 'instruction' string");
    JsonNode completions = node.get("completions");
    if (completions == null || !completions.isArray()) throw new DatasetException(where + ": no 'completions' array");
    List<Completion> out = new ArrayList<>();
    for (JsonNode c : completions) {
      JsonNode response = c.get("response");
      if (response == null || !response.isTextual()) continue;  // the reference drops these too
      out.add(new Completion(response.asText(), ratings(c.get("annotations"))));
    }
    return new Row(instruction.asText(), out);
  }

  private static int[] ratings(JsonNode annotations) {
    if (annotations == null || !annotations.isObject()) return null;
    int[] r = new int[ASPECTS.size()];
    for (int a = 0; a < r.length; ++a) {
      Integer v = integerRating(annotations.path(ASPECTS.get(a)).get("Rating"));
      if (v == null) return null;
      r[a] = v;
    }
    return r;
  }

  /** An integer rating written as "4" or 4; null for "N/A", "3.5", 3.5 or a missing rating. */
  static Integer integerRating(JsonNode rating) {
    if (rating == null) return null;
    if (rating.isIntegralNumber()) return rating.asInt();
    if (!rating.isTextual()) return null;
    try {
      return Integer.parseInt(rating.asText().strip());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
