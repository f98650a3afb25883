package org.steer4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.steer4j.runtime.AtomicFiles;

/**
 * Preference pairs as text, before embedding: a JSONL file with one pair per line,
 * <pre>{"idx": 0, "split": "train", "prompt": "...", "response_a": "...", "response_b": "...",
 *  "choices": {"helpfulness": 0, "honesty": 1}, "ratings_a": {...}, "ratings_b": {...}}</pre>
 * Choices: 0 = a preferred, 1 = b preferred, null = tie ({@link PairsDataset#TIE}). Every line
 * has the same labels, in the same order. Ratings are optional (kept so that users mixing
 * objectives by weighted scores can be simulated later).
 */
public final class TextPairs {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One pair; {@code choices[l]} is the choice of {@code labels.get(l)}. */
  public record Pair(int idx, Split split, String prompt, String responseA, String responseB, byte[] choices, int[] ratingsA, int[] ratingsB) {}

  private final List<String> labels;
  private final List<Pair> pairs;

  public TextPairs(List<String> labels, List<Pair> pairs) {
    this.labels = List.copyOf(labels);
    this.pairs = List.copyOf(pairs);
    for (Pair p : pairs) {
      if (p.choices().length != labels.size()) throw new DatasetException("pair " + p.idx() + ": " + p.choices().length + " choices for labels " + labels);
    }
  }

  public List<String> labels() {
    return labels;
  }

  public List<Pair> pairs() {
    return pairs;
  }

  public int size() {
    return pairs.size();
  }

  /** Writes the table atomically; ratings are written when present, under {@code ratingLabels}. */
  public void write(Path file, List<String> ratingLabels) throws IOException {
    AtomicFiles.write(file, out -> {
      Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
      for (Pair p : pairs) {
        ObjectNode n = JSON.createObjectNode();
        n.put("idx", p.idx());
        n.put("split", p.split().key());
        n.put("prompt", p.prompt());
        n.put("response_a", p.responseA());
        n.put("response_b", p.responseB());
        ObjectNode c = n.putObject("choices");
        for (int l = 0; l < labels.size(); ++l) {
          if (p.choices()[l] == PairsDataset.TIE) c.putNull(labels.get(l));
          else c.put(labels.get(l), p.choices()[l]);
        }
        if (p.ratingsA() != null && p.ratingsB() != null) {
          ObjectNode ra = n.putObject("ratings_a"), rb = n.putObject("ratings_b");
          for (int a = 0; a < ratingLabels.size(); ++a) {
            ra.put(ratingLabels.get(a), p.ratingsA()[a]);
            rb.put(ratingLabels.get(a), p.ratingsB()[a]);
          }
        }
        w.write(JSON.writeValueAsString(n));
        w.write('\n');
      }
      w.flush();
    });
  }

  /**
   * Reads and validates a table written by {@link #write} (or by hand in the same shape), or a
   * parquet file ({@code *.parquet}) with the same columns: {@code idx} an integer, {@code split},
   * {@code prompt}, {@code response_a}, {@code response_b} strings, {@code choices} a struct of
   * integers (null = tie), optional {@code ratings_a} / {@code ratings_b} structs of integers.
   */
  public static TextPairs read(Path file) {
    List<Pair> pairs = new ArrayList<>();
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    List<List<String>> labelHolder = new ArrayList<>();  // the first line's labels
    String missing = "no such file (make it with 'steer4j prepare')";
    JsonLines.Visitor row = (n, where) -> {
      for (String key : new String[] {"prompt", "response_a", "response_b", "split"}) {
        if (!n.path(key).isTextual()) throw new DatasetException(where + ": '" + key + "' must be a string");
      }
      if (!n.path("idx").isIntegralNumber() || !n.path("idx").canConvertToInt()) throw new DatasetException(where + ": 'idx' must be an integer");
      int idx = n.get("idx").asInt();
      if (!seen.add(idx)) throw new DatasetException(where + ": idx " + idx + " appears twice");
      Split split = Split.parse(n.get("split").asText());
      if (split == null) throw new DatasetException(where + ": split '" + n.get("split").asText() + "' is not train, val or test");
      JsonNode c = n.get("choices");
      if (c == null || !c.isObject() || c.size() == 0) throw new DatasetException(where + ": 'choices' must be an object {label: 0 | 1 | null}");
      List<String> rowLabels = new ArrayList<>();
      for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) rowLabels.add(it.next());
      if (labelHolder.isEmpty()) labelHolder.add(rowLabels);
      else if (!labelHolder.get(0).equals(rowLabels)) throw new DatasetException(where + ": labels " + rowLabels + " differ from the first line's " + labelHolder.get(0));
      List<String> labels = labelHolder.get(0);
      byte[] choices = new byte[labels.size()];
      for (int l = 0; l < choices.length; ++l) {
        JsonNode v = c.get(labels.get(l));
        if (v.isNull()) choices[l] = PairsDataset.TIE;
        else if (v.isInt() && (v.asInt() == 0 || v.asInt() == 1)) choices[l] = (byte) v.asInt();
        else throw new DatasetException(where + ": choice of '" + labels.get(l) + "' is " + v + ", expected 0, 1 or null (tie)");
      }
      pairs.add(new Pair(idx, split, n.get("prompt").asText(), n.get("response_a").asText(), n.get("response_b").asText(), choices,
          ratings(n.get("ratings_a")), ratings(n.get("ratings_b"))));
    };
    if (ParquetTable.isParquet(file)) readParquet(file, missing, row);
    else JsonLines.read(file, missing, row);
    if (labelHolder.isEmpty()) throw new DatasetException(file + ": no pairs");
    return new TextPairs(labelHolder.get(0), pairs);
  }

  /** A parquet table's rows as the JSON lines {@link #write} makes, after checking the column types. */
  private static void readParquet(Path file, String missing, JsonLines.Visitor row) {
    try (ParquetTable table = ParquetTable.open(file, missing)) {
      table.require("idx", "an integer type", ParquetTable.INTEGER_TYPES::contains);
      for (String c : List.of("split", "prompt", "response_a", "response_b")) table.require(c, "VARCHAR", "VARCHAR"::equals);
      String struct = "a STRUCT with one integer field per label";
      table.require("choices", struct, t -> t.startsWith("STRUCT("));
      StringBuilder json = new StringBuilder("{'idx': idx, 'split': split, 'prompt': prompt, 'response_a': response_a, 'response_b': response_b, 'choices': choices");
      for (String r : List.of("ratings_a", "ratings_b")) {
        if (!table.columns().containsKey(r)) continue;
        table.require(r, "a STRUCT with one integer field per aspect", t -> t.startsWith("STRUCT("));
        json.append(", '").append(r).append("': ").append(r);
      }
      table.rows(json.append('}').toString(), row);
    }
  }

  private static int[] ratings(JsonNode node) {
    if (node == null || !node.isObject()) return null;
    int[] r = new int[node.size()];
    int i = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) r[i++] = it.next().getValue().asInt();
    return r;
  }
}
