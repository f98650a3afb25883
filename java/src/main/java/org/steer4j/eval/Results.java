package org.steer4j.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.steer4j.runtime.AtomicFiles;

/** Writes accuracy results as {@code results.csv} and as markdown tables. */
public final class Results {
  private Results() {}

  /** {@code model,label,context,accuracy,sem} (accuracy and sem in %), atomically. */
  public static void writeCsv(Path file, List<AccuracyRow> rows) throws IOException {
    writeCsv(file, rows, "label");
  }

  /** As {@link #writeCsv(Path, List)}, naming the label column (e.g. objective). */
  public static void writeCsv(Path file, List<AccuracyRow> rows, String labelColumn) throws IOException {
    writeCsv(file, rows, labelColumn, "context");
  }

  /** As {@link #writeCsv(Path, List)}, naming the label and context columns (e.g. strategy, questions). */
  public static void writeCsv(Path file, List<AccuracyRow> rows, String labelColumn, String contextColumn) throws IOException {
    StringBuilder sb = new StringBuilder("model," + labelColumn + "," + contextColumn + ",accuracy,sem\n");
    for (AccuracyRow r : rows) {
      sb.append(String.format(Locale.ROOT, "%s,%s,%d,%.2f,%.2f%n", r.model(), r.label(), r.context(), r.accuracy(), r.sem()));
    }
    AtomicFiles.writeString(file, sb.toString());
  }

  /** One table per label: models as rows, C as columns, "accuracy +- sem" cells. */
  public static String markdown(List<AccuracyRow> rows) {
    List<String> labels = labels(rows);
    Set<String> models = new LinkedHashSet<>();
    Set<Integer> contexts = new TreeSet<>();
    for (AccuracyRow r : rows) {
      models.add(r.model());
      contexts.add(r.context());
    }
    StringBuilder sb = new StringBuilder();
    for (String label : labels) {
      sb.append("\n**").append(label.equals("all") ? "all tasks" : "label " + label).append("** (accuracy %, mean +- SEM over tasks)\n\n| model |");
      for (int c : contexts) sb.append(" C=").append(c).append(" |");
      sb.append("\n|---|").append("---|".repeat(contexts.size())).append('\n');
      for (String model : models) {
        sb.append("| ").append(model).append(" |");
        for (int c : contexts) {
          AccuracyRow r = find(rows, model, label, c);
          sb.append(r == null ? " - |" : String.format(Locale.ROOT, " %.1f +- %.1f |", r.accuracy(), r.sem()));
        }
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  public static AccuracyRow find(List<AccuracyRow> rows, String model, String label, int context) {
    for (AccuracyRow r : rows) if (r.model().equals(model) && r.label().equals(label) && r.context() == context) return r;
    return null;
  }

  /**
   * The labels to show, in order; "all" is left out when there is a single other label (it would
   * repeat that label's table and plot).
   */
  public static List<String> labels(List<AccuracyRow> rows) {
    List<String> labels = new ArrayList<>(new LinkedHashSet<>(rows.stream().map(AccuracyRow::label).toList()));
    if (labels.contains("all") && labels.size() == 2) labels.remove("all");
    return labels;
  }
}
