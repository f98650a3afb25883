package org.steer4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Rows of {@code openbmb/UltraFeedback}, from its JSONL export or the Hub's parquet shards:
 * {@code instruction} and {@code completions[]}, each completion with a {@code response} and
 * {@code annotations} giving a {@code Rating} per aspect ("1".."5", or "N/A"). Only what
 * preference pairs need is kept.
 */
public final class UltraFeedback {
  /** The four annotated aspects, in UltraFeedback's naming and the order of {@link Completion#ratings()}. */
  public static final List<String> ASPECTS = List.of("helpfulness", "honesty", "truthfulness", "instruction_following");
  /**
   * The parquet columns read (others are ignored): those of openbmb/UltraFeedback's
   * {@code data/train-*.parquet} (the dataset card's format, OpenBMB/UltraFeedback README). A
   * rating may also be an integer type; a completion or its annotations may be null.
   */
  public static final String PARQUET_SCHEMA = "instruction VARCHAR, completions STRUCT(response VARCHAR, annotations STRUCT("
      + "helpfulness STRUCT(Rating VARCHAR, ...), honesty STRUCT(Rating VARCHAR, ...), truthfulness STRUCT(Rating VARCHAR, ...), "
      + "instruction_following STRUCT(Rating VARCHAR, ...)), ...)[]";

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

  /**
   * Reads rows in file order from {@code input}: a JSONL file; a parquet file (the Hub's shards,
   * see {@link #PARQUET_SCHEMA}); a directory of {@code *.jsonl} files or else of {@code *.parquet}
   * files; or a glob in the last name ({@code data/train-*-of-00004.parquet}). Files are read in
   * name order, each by its extension. Parquet rows stream in one at a time, but the returned list
   * holds every row (only instruction, responses and ratings), as the JSONL reader's does.
   */
  public static List<Row> read(Path input) {
    List<Row> rows = new ArrayList<>();
    for (Path f : files(input)) {
      if (ParquetTable.isParquet(f)) readParquet(f, rows);
      else readFile(f, rows);
    }
    return rows;
  }

  /** The files {@code input} names, in name order (see {@link #read}). */
  static List<Path> files(Path input) {
    Path name = input.getFileName();
    if (name != null && isGlob(name.toString())) {
      Path dir = input.getParent() == null ? Path.of(".") : input.getParent();
      if (isGlob(dir.toString())) throw new DatasetException(input + ": a pattern may only be in the file name (e.g. data/train-*.parquet)");
      if (!Files.isDirectory(dir)) throw new DatasetException(input + ": no such directory " + dir);
      PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + name);
      List<Path> files = list(dir, p -> matcher.matches(p.getFileName()));
      if (files.isEmpty()) throw new DatasetException(input + ": no file matches");
      return files;
    }
    if (!Files.isDirectory(input)) return List.of(input);
    List<Path> jsonl = list(input, p -> p.getFileName().toString().endsWith(".jsonl"));
    List<Path> parquet = list(input, ParquetTable::isParquet);
    if (!jsonl.isEmpty() && !parquet.isEmpty()) {
      throw new DatasetException(input + ": holds both *.jsonl and *.parquet files; name one kind, e.g. input=" + input.resolve("*.parquet"));
    }
    if (jsonl.isEmpty() && parquet.isEmpty()) {
      throw new DatasetException(input + ": no *.jsonl or *.parquet files (UltraFeedback's JSONL export or the Hub's parquet shards are expected)");
    }
    return jsonl.isEmpty() ? parquet : jsonl;
  }

  private static boolean isGlob(String s) {
    return s.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
  }

  private static List<Path> list(Path dir, java.util.function.Predicate<Path> keep) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).filter(keep).sorted().toList();
    } catch (IOException e) {
      throw new DatasetException(dir + ": can't list: " + e.getMessage());
    }
  }

  private static void readFile(Path file, List<Row> rows) {
    JsonLines.read(file, "no such file", (node, where) -> rows.add(parse(node, where)));
  }

  /**
   * A parquet file's rows, as JSON holding only what {@link #parse} reads, so that they become the
   * same rows as the JSONL form gives; the schema is checked first, so that a missing or mistyped
   * column is one error, not every completion silently dropped.
   */
  private static void readParquet(Path file, List<Row> rows) {
    try (ParquetTable table = ParquetTable.open(file, "no such file")) {
      table.require("instruction", "VARCHAR", "VARCHAR"::equals);
      table.require("completions", "a list of structs (" + PARQUET_SCHEMA + ")", t -> t.startsWith("STRUCT(") && t.endsWith("[]"));
      checkField(table, file, "response", "VARCHAR", "VARCHAR"::equals);
      StringBuilder annotations = new StringBuilder();
      for (String aspect : ASPECTS) {
        String path = "annotations." + aspect + ".Rating";
        checkField(table, file, path, "VARCHAR (\"5\", \"N/A\") or an integer type", t -> t.equals("VARCHAR") || ParquetTable.INTEGER_TYPES.contains(t));
        if (annotations.length() > 0) annotations.append(", ");
        annotations.append('\'').append(aspect).append("': {'Rating': c.").append(path).append('}');
      }
      String json = "{'instruction': instruction, 'completions': [{'response': c.response, 'annotations': {" + annotations + "}} FOR c IN completions]}";
      table.rows(json, (node, where) -> rows.add(parse(node, where)));
    }
  }

  /** Requires {@code completions[].path} with an element type passing {@code ok}. */
  private static void checkField(ParquetTable table, Path file, String path, String expected, java.util.function.Predicate<String> ok) {
    String type = table.typeOf("[c." + path + " FOR c IN completions]");
    if (type == null) {
      throw new DatasetException(file + ": column 'completions' has no field " + path + " (expected " + PARQUET_SCHEMA + ")");
    }
    String element = type.endsWith("[]") ? type.substring(0, type.length() - 2) : type;
    if (!ok.test(element)) throw new DatasetException(file + ": completions[]." + path + " is " + element + ", expected " + expected);
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
      out.add(new Completion(response.asText(), ratings(c.get("annotations"), where)));
    }
    return new Row(instruction.asText(), out);
  }

  /** UltraFeedback's rating scale: the rules compare integers from 1 to 5. */
  public static final int MIN_RATING = 1, MAX_RATING = 5;

  /**
   * The four ratings, or null when one is not an integer (the completion is dropped).
   *
   * @throws DatasetException for an integer outside the 1..5 scale (a file of another scale,
   *     whose pairs the rules would compare wrongly)
   */
  private static int[] ratings(JsonNode annotations, String where) {
    if (annotations == null || !annotations.isObject()) return null;
    int[] r = new int[ASPECTS.size()];
    for (int a = 0; a < r.length; ++a) {
      JsonNode rating = annotations.path(ASPECTS.get(a)).get("Rating");
      Integer v = integerRating(rating);
      if (v == null) return null;
      if (v < MIN_RATING || v > MAX_RATING) {
        throw new DatasetException(where + ": " + ASPECTS.get(a) + " Rating " + rating.asText().strip() + " is outside UltraFeedback's scale "
            + MIN_RATING + ".." + MAX_RATING);
      }
      r[a] = v;
    }
    return r;
  }

  /**
   * An integer rating written as "4" or 4; null for "N/A", "3.5", 3.5 or a missing rating. An
   * integer beyond the int range comes back as Integer.MIN_VALUE / MAX_VALUE (outside the scale,
   * as Python's int() would find it), never wrapped around into it.
   */
  static Integer integerRating(JsonNode rating) {
    if (rating == null) return null;
    if (rating.isIntegralNumber()) return rating.canConvertToInt() ? rating.asInt() : rating.bigIntegerValue().signum() > 0 ? Integer.MAX_VALUE : Integer.MIN_VALUE;
    if (!rating.isTextual()) return null;
    String text = rating.asText().strip();
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      boolean integer = text.length() > 1 && (Character.isDigit(text.charAt(0)) || text.charAt(0) == '+' || text.charAt(0) == '-')
          && text.chars().skip(1).allMatch(Character::isDigit);
      return integer ? (text.charAt(0) == '-' ? Integer.MIN_VALUE : Integer.MAX_VALUE) : null;  // too large for an int
    }
  }
}
