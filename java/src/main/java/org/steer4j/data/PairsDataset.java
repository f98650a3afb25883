package org.steer4j.data;

import static org.bytedeco.pytorch.global.torch.isfinite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.io.SafeTensors;
import org.steer4j.io.TextFiles;
import org.steer4j.runtime.AtomicFiles;

/**
 * A preference-pairs dataset, the format users bring their own data in (e.g. embeddings made
 * in Python): a directory holding
 *
 * <ul>
 *   <li>{@code pairs.safetensors}: {@code features_a} and {@code features_b}, float32 [N, D], the
 *       two options of every pair;
 *   <li>{@code pairs.csv}: header {@code idx,split,choice_<label>...}; one row per pair, {@code
 *       idx} its row in the tensors (0..N-1, each once), {@code split} one of train / val / test,
 *       and per label (objective, user type) the choice: 0 = a preferred, 1 = b preferred, empty
 *       = tie.
 * </ul>
 *
 * Reading checks dtypes, shapes, row counts, indices, values and NaNs, and names the file and
 * row of any problem.
 */
public final class PairsDataset {
  /** Beside an embedded dataset: which text pair each row came from ({@code steer4j embed} writes it). */
  public static final String SOURCE_INDEX = "source_index.csv";
  public static final String FEATURES = "pairs.safetensors", TABLE = "pairs.csv";
  /** Stored choice of a tie. */
  public static final byte TIE = -1;

  private final Path dir;
  private final Tensor featuresA, featuresB;
  private final List<String> labels;
  private final Split[] splits;
  private final byte[][] choices;  // [label][row]
  private Tensor stacked;  // [N, 2, D], made on first use

  private PairsDataset(Path dir, Tensor a, Tensor b, List<String> labels, Split[] splits, byte[][] choices) {
    this.dir = dir;
    this.featuresA = a;
    this.featuresB = b;
    this.labels = List.copyOf(labels);
    this.splits = splits;
    this.choices = choices;
  }

  /** An in-memory dataset (e.g. a generated synthetic world); validated like a read one. */
  public static PairsDataset of(Tensor a, Tensor b, List<String> labels, Split[] splits, byte[][] choices) {
    String where = "dataset";
    checkFeatures(where, a, b);
    int n = (int) a.size(0);
    if (splits.length != n) throw new DatasetException(where + ": " + splits.length + " splits for " + n + " rows");
    if (choices.length != labels.size()) throw new DatasetException(where + ": " + choices.length + " choice columns for " + labels.size() + " labels");
    for (int l = 0; l < choices.length; ++l) {
      if (choices[l].length != n) throw new DatasetException(where + ": label '" + labels.get(l) + "' has " + choices[l].length + " choices for " + n + " rows");
      for (int i = 0; i < n; ++i) {
        byte c = choices[l][i];
        if (c != 0 && c != 1 && c != TIE) throw new DatasetException(where + ": row " + i + ", label '" + labels.get(l) + "': choice " + c);
      }
    }
    return new PairsDataset(null, a, b, labels, splits, choices);
  }

  /** Reads and validates the dataset in {@code dir}. */
  public static PairsDataset read(Path dir) {
    Path features = dir.resolve(FEATURES), table = dir.resolve(TABLE);
    if (!Files.isDirectory(dir)) throw new DatasetException(dir + ": no such dataset directory");
    Tensor a, b;
    try (SafeTensors st = SafeTensors.open(features)) {
      for (String name : List.of("features_a", "features_b")) {
        if (!st.contains(name)) throw new DatasetException(features + ": missing tensor '" + name + "' (has " + st.names() + ")");
        SafeTensors.Entry e = st.entry(name);
        if (e.dtype() != SafeTensors.DType.F32) throw new DatasetException(features + ": '" + name + "' is " + e.dtype() + ", expected F32");
        if (e.shape().length != 2) throw new DatasetException(features + ": '" + name + "' has shape " + Arrays.toString(e.shape()) + ", expected [N, D]");
      }
      a = st.tensor("features_a");
      b = st.tensor("features_b");
    }
    checkFeatures(features.toString(), a, b);
    int n = (int) a.size(0);
    Table t = readTable(table, n);
    return new PairsDataset(dir, a, b, t.labels, t.splits, t.choices);
  }

  private static void checkFeatures(String where, Tensor a, Tensor b) {
    if (a.dim() != 2 || b.dim() != 2) throw new DatasetException(where + ": features must be [N, D]");
    if (a.scalar_type().value != ScalarType.Float.value || b.scalar_type().value != ScalarType.Float.value) {
      throw new DatasetException(where + ": features must be float32");
    }
    if (a.size(0) != b.size(0) || a.size(1) != b.size(1)) {
      throw new DatasetException(where + ": features_a " + Arrays.toString(a.sizes().vec().get()) + " and features_b "
          + Arrays.toString(b.sizes().vec().get()) + " differ in shape");
    }
    if (a.size(0) == 0) throw new DatasetException(where + ": no pairs");
    for (String name : List.of("features_a", "features_b")) {
      Tensor x = name.equals("features_a") ? a : b;
      Tensor bad = isfinite(x).logical_not();
      if (bad.any().item_long() != 0) {
        Tensor at = bad.nonzero().select(0, 0);  // [row, column] of the first one
        long row = at.select(0, 0).item_long(), column = at.select(0, 1).item_long();
        double value = x.select(0, row).select(0, column).item_double();
        throw new DatasetException(where + ": '" + name + "' has " + (Double.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf")
            + " in row " + row + ", column " + column + " (every feature must be finite)");
      }
    }
  }

  /** pairs.csv parsed: the labels, each row's split, and the choices [label][row]. */
  record Table(List<String> labels, Split[] splits, byte[][] choices) {}

  /**
   * Reads {@code pairs.csv} as pandas writes it too ({@code to_csv(index=False)}, optionally
   * {@code utf-8-sig} with a byte-order mark, CRLF line ends, fields in double quotes, and a
   * choice column with ties holding floats: {@code 0.0}, {@code 1.0}, empty), for {@code n} pairs.
   * Pure Java (no tensor is touched), so that it can be fuzzed.
   */
  static Table readTable(Path table, int n) {
    if (!Files.exists(table)) throw new DatasetException(table + ": no such file");
    List<String> labels = new ArrayList<>();
    Split[] splits = new Split[n];
    byte[][][] choices = new byte[1][][];
    int[] rows = {0}, width = {0};
    TextFiles.lines(table, (line, lineNo) -> {
      if (lineNo == 1) {
        String[] columns = fields(line.trim());
        if (columns.length < 3 || !columns[0].equals("idx") || !columns[1].equals("split")) {
          throw new DatasetException(table + ": line 1: header '" + line + "' must be idx,split,choice_<label>...");
        }
        for (int c = 2; c < columns.length; ++c) {
          if (!columns[c].startsWith("choice_") || columns[c].length() == "choice_".length()) {
            throw new DatasetException(table + ": line 1: column '" + columns[c] + "' must be named choice_<label>");
          }
          labels.add(columns[c].substring("choice_".length()));
        }
        width[0] = columns.length;
        choices[0] = new byte[labels.size()][n];
        return;
      }
      if (line.isBlank()) return;
      String[] f = fields(line);
      String where = table + ": line " + lineNo;
      if (f.length != width[0]) throw new DatasetException(where + ": " + f.length + " fields, expected " + width[0]);
      int idx;
      try {
        idx = Integer.parseInt(f[0].trim());
      } catch (NumberFormatException e) {
        throw new DatasetException(where + ": idx '" + f[0] + "' is not an integer");
      }
      if (idx < 0 || idx >= n) throw new DatasetException(where + ": idx " + idx + " outside the " + n + " rows of " + FEATURES);
      if (splits[idx] != null) throw new DatasetException(where + ": idx " + idx + " appears twice");
      Split split = Split.parse(f[1].trim());
      if (split == null) throw new DatasetException(where + ": split '" + f[1] + "' is not train, val or test");
      splits[idx] = split;
      for (int l = 0; l < labels.size(); ++l) choices[0][l][idx] = choice(f[2 + l].trim(), where, labels.get(l));
      ++rows[0];
    });
    if (width[0] == 0) throw new DatasetException(table + ": empty file, expected header idx,split,choice_<label>...");
    if (rows[0] != n) throw new DatasetException(table + ": " + rows[0] + " rows but " + FEATURES + " has " + n + " pairs");
    return new Table(labels, splits, choices[0]);
  }

  /** A choice: 0 (a preferred), 1 (b preferred) or empty (tie); pandas' float forms 0.0 / 1.0 too. */
  private static byte choice(String v, String where, String label) {
    switch (v) {
      case "0", "0.0" -> {
        return 0;
      }
      case "1", "1.0" -> {
        return 1;
      }
      case "" -> {
        return TIE;
      }
      default -> throw new DatasetException(where + ": choice_" + label + " '" + v + "' must be 0, 1 or empty (tie)");
    }
  }

  /** The comma-separated fields of a line, each without surrounding double quotes. */
  private static String[] fields(String line) {
    String[] f = line.split(",", -1);
    for (int i = 0; i < f.length; ++i) {
      String s = f[i].trim();
      if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) f[i] = s.substring(1, s.length() - 1);
    }
    return f;
  }

  /** Writes {@code pairs.safetensors} and {@code pairs.csv} into {@code dir} (each atomically). */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("features_a", featuresA);
    tensors.put("features_b", featuresB);
    SafeTensors.write(dir.resolve(FEATURES), tensors, Map.of("format", "steer4j-pairs"));
    StringBuilder csv = new StringBuilder("idx,split");
    for (String l : labels) csv.append(",choice_").append(l);
    csv.append('\n');
    for (int i = 0; i < size(); ++i) {
      csv.append(i).append(',').append(splits[i].key());
      for (byte[] column : choices) csv.append(',').append(column[i] == TIE ? "" : Byte.toString(column[i]));
      csv.append('\n');
    }
    AtomicFiles.writeString(dir.resolve(TABLE), csv.toString());
  }

  /** Where the dataset was read from (null when built in memory). */
  public Path dir() {
    return dir;
  }

  public int size() {
    return splits.length;
  }

  /** D, the feature width of an option. */
  public int width() {
    return (int) featuresA.size(1);
  }

  public List<String> labels() {
    return labels;
  }

  public Tensor featuresA() {
    return featuresA;
  }

  public Tensor featuresB() {
    return featuresB;
  }

  /**
   * Both options of every pair as one [N, 2, D] tensor, the layout task sampling gathers from;
   * made once and shared by every sampler of this dataset (training, validation, evaluation).
   */
  public synchronized Tensor stacked() {
    if (stacked == null) stacked = org.bytedeco.pytorch.global.torch.stack(new org.bytedeco.pytorch.TensorVector(featuresA, featuresB), 1);
    return stacked;
  }

  public Split split(int row) {
    return splits[row];
  }

  /** The choice of {@code label} on {@code row}: 0 (a), 1 (b) or {@link #TIE}. */
  public byte choice(int label, int row) {
    return choices[label][row];
  }

  /** Rows of {@code split} where {@code label} has a strict preference (no tie). */
  public int[] rows(Split split, int label) {
    int count = 0;
    for (int i = 0; i < size(); ++i) if (splits[i] == split && choices[label][i] != TIE) ++count;
    int[] rows = new int[count];
    for (int i = 0, k = 0; i < size(); ++i) if (splits[i] == split && choices[label][i] != TIE) rows[k++] = i;
    return rows;
  }

  /** Rows of {@code split} where every label has a strict preference. */
  public int[] rows(Split split) {
    List<Integer> rows = new ArrayList<>();
    outer:
    for (int i = 0; i < size(); ++i) {
      if (splits[i] != split) continue;
      for (byte[] c : choices) if (c[i] == TIE) continue outer;
      rows.add(i);
    }
    return rows.stream().mapToInt(Integer::intValue).toArray();
  }

  public int labelIndex(String label) {
    int i = labels.indexOf(label);
    if (i < 0) throw new DatasetException((dir == null ? "dataset" : dir.toString()) + ": no label '" + label + "' (has " + labels + ")");
    return i;
  }
}
