package org.steer4j.recipes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.steer4j.run.RunDirectory;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.eval.AccuracyRow;
import org.steer4j.eval.Plots;
import org.steer4j.eval.Results;
import org.steer4j.policy.GenerationEvaluator;

/**
 * The files a policy experiment leaves in its run directory: {@code results.csv}, {@code
 * generation.csv}, {@code generation_models.csv}, PNG plots and {@code report.md} with the
 * tables, the plots, example generations and the checks the demo is meant to pass.
 */
public final class PolicyReport {
  private PolicyReport() {}

  /** The 1-minute load average (what else ran on the machine), or "?" where unknown. */
  public static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  public static void write(RunDirectory run, PolicyExperimentConfig config, List<AccuracyRow> accuracy, List<GenerationEvaluator.Row> generation,
      List<GenerationEvaluator.Example> examples, Map<String, String> training, Set<String> conditionalModels, String data, String base,
      double seconds, String compute, String loadBefore) throws IOException {
    Results.writeCsv(run.file("results.csv"), accuracy, "objective");
    writeGeneration(run, generation);
    Path plots = run.path().resolve("plots");
    List<String> images = new ArrayList<>();
    for (String objective : Results.labels(accuracy)) {
      Path png = plots.resolve("accuracy_" + safe(objective) + ".png");
      Plots.accuracyVsContext(accuracy, objective, png);
      images.add(run.path().relativize(png).toString());
    }
    images.addAll(generationPlots(run, generation, plots));

    StringBuilder sb = new StringBuilder("# Policy experiment: ").append(config.run().name()).append("\n\n");
    sb.append("- data: ").append(data).append('\n');
    sb.append("- base model: ").append(base).append('\n');
    sb.append(String.format(Locale.ROOT, "- wall time: %.1f s (%.1f min) on %s; load average %s at the start, %s at the end%n", seconds,
        seconds / 60, compute, loadBefore, loadAverage()));
    sb.append(String.format(Locale.ROOT, "- evaluation: test split, %d batches x %d tasks per C, T = %d, implicit-reward accuracy on the targets"
        + " not in the context%n", config.eval().batches(), config.eval().batchSize(), config.eval().targets()));
    var g = config.eval().generation();
    if (!generation.isEmpty()) {
      sb.append(String.format(Locale.ROOT, "- generation: %d test prompts, temperature %.2f, top-p %.2f, at most %d new tokens, %s%n", g.prompts(),
          g.temperature(), g.topP(), g.maxNewTokens(), g.kvCache() ? "KV-cached" : "uncached"));
    }
    sb.append("\n## Training\n\n");
    training.forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
    sb.append("\n## Implicit-reward accuracy\n").append(Results.markdown(accuracy));
    if (!generation.isEmpty()) sb.append("\n## Generation scores\n\n").append(generationTable(generation));
    sb.append("\n## Checks\n\n").append(checks(accuracy, generation, conditionalModels));
    sb.append("\n## Plots\n\n");
    for (String image : images) sb.append("![").append(image).append("](").append(image).append(")\n\n");
    if (!examples.isEmpty()) {
      sb.append("## Example generations\n\n| model | conditioned on | C | prompt | response | help | honest |\n|---|---|---|---|---|---|---|\n");
      for (var e : examples) {
        sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %.0f | %.0f |%n", e.model(), e.conditionedOn(), e.context(), e.prompt(),
            e.response().isEmpty() ? "(empty)" : e.response(), e.scores().helpfulness(), e.scores().honesty()));
      }
    }
    AtomicFiles.writeString(run.file("report.md"), sb.toString());
  }

  /** {@code generation.csv} (the conditioned policy, the columns of the spec) and {@code generation_models.csv} (everything). */
  private static void writeGeneration(RunDirectory run, List<GenerationEvaluator.Row> rows) throws IOException {
    if (rows.isEmpty()) return;
    StringBuilder conditioned = new StringBuilder("conditioned_on,context,objective,score\n");
    StringBuilder all = new StringBuilder("model,conditioned_on,context,objective,score,sem,samples\n");
    String first = rows.stream().filter(r -> !r.conditionedOn().equals(GenerationEvaluator.NONE)).map(GenerationEvaluator.Row::model).findFirst().orElse(null);
    for (var r : rows) {
      if (r.model().equals(first)) conditioned.append(String.format(Locale.ROOT, "%s,%d,%s,%.4f%n", r.conditionedOn(), r.context(), r.objective(), r.score()));
      all.append(String.format(Locale.ROOT, "%s,%s,%d,%s,%.4f,%.4f,%d%n", r.model(), r.conditionedOn(), r.context(), r.objective(), r.score(), r.sem(), r.samples()));
    }
    if (first != null) AtomicFiles.writeString(run.file("generation.csv"), conditioned.toString());
    AtomicFiles.writeString(run.file("generation_models.csv"), all.toString());
  }

  /** One table: a row per (model, conditioned on, C), a column per objective, "mean +- SEM" cells. */
  static String generationTable(List<GenerationEvaluator.Row> rows) {
    Set<String> objectives = new LinkedHashSet<>();
    Set<String> conditions = new LinkedHashSet<>();
    for (var r : rows) {
      objectives.add(r.objective());
      conditions.add(r.model() + "\u0000" + r.conditionedOn() + "\u0000" + r.context());
    }
    StringBuilder sb = new StringBuilder("(mean rule score of the sampled responses +- SEM over prompts)\n\n| model | conditioned on | C |");
    for (String o : objectives) sb.append(' ').append(o).append(" |");
    sb.append("\n|---|---|---|").append("---|".repeat(objectives.size())).append('\n');
    for (String c : conditions) {
      String[] k = c.split("\u0000");
      sb.append("| ").append(k[0]).append(" | ").append(k[1]).append(" | ").append(k[1].equals(GenerationEvaluator.NONE) ? "-" : k[2]).append(" |");
      for (String o : objectives) {
        for (var r : rows) {
          if (r.model().equals(k[0]) && r.conditionedOn().equals(k[1]) && Integer.toString(r.context()).equals(k[2]) && r.objective().equals(o)) {
            sb.append(String.format(Locale.ROOT, " %.2f +- %.2f |", r.score(), r.sem()));
          }
        }
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /**
   * What the demo must show: for each conditioned policy, implicit-reward accuracy of at least 70 %
   * on each objective at the largest C; and per objective, generations conditioned on its users
   * at the largest C score higher on it than at C = 0 and than those conditioned on the other
   * objectives' users.
   */
  static String checks(List<AccuracyRow> accuracy, List<GenerationEvaluator.Row> generation, Set<String> conditionalModels) {
    StringBuilder sb = new StringBuilder();
    for (String model : conditionalModels) {
      int maxC = accuracy.stream().filter(a -> a.model().equals(model)).mapToInt(AccuracyRow::context).max().orElse(0);
      for (AccuracyRow a : accuracy) {
        if (!a.model().equals(model) || a.context() != maxC) continue;
        sb.append(String.format(Locale.ROOT, "- %s, %s, C=%d: implicit-reward accuracy %.1f %% %s 70 %%: %s%n", model, a.label(), maxC, a.accuracy(),
            a.accuracy() >= 70 ? ">=" : "<", a.accuracy() >= 70 ? "PASS" : "FAIL"));
      }
    }
    Set<String> conditioned = new LinkedHashSet<>();
    for (var r : generation) if (!r.conditionedOn().equals(GenerationEvaluator.NONE)) conditioned.add(r.model());
    for (String model : conditioned) {
      Set<String> objectives = new LinkedHashSet<>();
      TreeSet<Integer> contexts = new TreeSet<>();
      for (var r : generation) {
        if (r.model().equals(model)) {
          objectives.add(r.objective());
          contexts.add(r.context());
        }
      }
      int maxC = contexts.last(), minC = contexts.first();
      for (String o : objectives) {
        double own = score(generation, model, o, maxC, o), prior = score(generation, model, o, minC, o);
        double others = Double.NEGATIVE_INFINITY;
        for (String other : objectives) if (!other.equals(o)) others = Math.max(others, score(generation, model, other, maxC, o));
        boolean pass = own > prior && own > others;
        sb.append(String.format(Locale.ROOT, "- %s generations, %s score: conditioned on %s users at C=%d %.2f vs C=%d %.2f vs other users %.2f: %s%n",
            model, o, o, maxC, own, minC, prior, others, pass ? "PASS" : "FAIL"));
      }
    }
    return sb.length() == 0 ? "(nothing to check)\n" : sb.toString();
  }

  private static double score(List<GenerationEvaluator.Row> rows, String model, String conditionedOn, int context, String objective) {
    for (var r : rows) {
      if (r.model().equals(model) && r.conditionedOn().equals(conditionedOn) && r.context() == context && r.objective().equals(objective)) return r.score();
    }
    return Double.NaN;
  }

  /** Per objective: score vs C for each conditioning objective, unconditioned models as dashed flat lines. */
  private static List<String> generationPlots(RunDirectory run, List<GenerationEvaluator.Row> rows, Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    if (rows.isEmpty()) return out;
    TreeSet<Integer> contexts = new TreeSet<>();
    for (var r : rows) if (!r.conditionedOn().equals(GenerationEvaluator.NONE)) contexts.add(r.context());
    if (contexts.isEmpty()) contexts.add(0);
    double[] x = contexts.stream().mapToDouble(Integer::doubleValue).toArray();
    for (String objective : new LinkedHashSet<>(rows.stream().map(GenerationEvaluator.Row::objective).toList())) {
      List<Plots.Series> series = new ArrayList<>();
      Set<String> keys = new LinkedHashSet<>();
      for (var r : rows) if (r.objective().equals(objective)) keys.add(r.model() + "\u0000" + r.conditionedOn());
      for (String key : keys) {
        String[] k = key.split("\u0000");
        List<GenerationEvaluator.Row> mine = rows.stream().filter(r -> r.objective().equals(objective) && r.model().equals(k[0])
            && r.conditionedOn().equals(k[1])).toList();
        boolean flat = k[1].equals(GenerationEvaluator.NONE);
        double[] y = new double[x.length], e = new double[x.length];
        for (int i = 0; i < x.length; ++i) {
          int c = (int) x[i];
          GenerationEvaluator.Row r = flat ? mine.get(0) : mine.stream().filter(m -> m.context() == c).findFirst().orElse(null);
          y[i] = r == null ? Double.NaN : r.score();
          e[i] = r == null ? 0 : r.sem();
        }
        series.add(new Plots.Series(flat ? k[0] : k[0] + ", users: " + k[1], x, y, flat ? null : e, flat));
      }
      Path png = dir.resolve("generation_" + safe(objective) + ".png");
      Plots.lines("Generations scored by " + objective + " vs context size C", "context pairs C of the conditioning user",
          "mean " + objective + " score of sampled responses", series, png);
      out.add(run.path().relativize(png).toString());
    }
    return out;
  }

  private static String safe(String s) {
    return s.replaceAll("[^A-Za-z0-9_-]", "_");
  }
}
