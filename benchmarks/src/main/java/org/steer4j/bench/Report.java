package org.steer4j.bench;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs benchmarks through JMH and prints the table the issues ask for: each fused kernel's time,
 * the eager baseline's time measured in the same run, their ratio, and the matmul rate of the
 * same run as the machine's ceiling.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar org.steer4j.bench.Report
 * [regex ...]} (default: the reward decoder and matmul benchmarks).
 */
public final class Report {
  private Report() {}

  public static void main(String[] args) throws Exception {
    ChainedOptionsBuilder options = new OptionsBuilder();
    if (args.length == 0) args = new String[] {"RewardDecoderBenchmark", "RewardStepBenchmark", "MatmulBenchmark"};
    for (String regex : args) options = options.include(regex);
    Collection<RunResult> results = new Runner(options.build()).run();

    Map<String, double[]> times = new LinkedHashMap<>();  // key without impl -> [fused, eager] ms
    Map<String, Double> steps = new LinkedHashMap<>();     // step benchmark -> ms
    double matmulRate = Double.NaN;                        // float32 GFLOP/s at 4096^3, this run
    System.out.println();
    System.out.println("| benchmark | params | ms/op | +- |");
    System.out.println("|---|---|---|---|");
    for (RunResult r : results) {
      var p = r.getParams();
      String name = p.getBenchmark().replaceAll(".*\\.([A-Za-z]+\\.[A-Za-z]+)$", "$1");
      double score = r.getPrimaryResult().getScore(), error = r.getPrimaryResult().getScoreError();
      StringBuilder params = new StringBuilder();
      for (String key : p.getParamsKeys()) params.append(key).append('=').append(p.getParam(key)).append(' ');
      System.out.printf(Locale.ROOT, "| %s | %s| %.3f | %.3f |%n", name, params, score, error);
      if (p.getParamsKeys().contains("impl")) {
        String key = name + " " + params.toString().replaceAll("impl=\\S+ ", "");
        double[] pair = times.computeIfAbsent(key, k -> new double[2]);
        pair[p.getParam("impl").equals("eager") ? 1 : 0] = score;
      }
      if (p.getParamsKeys().contains("mnk")) {
        double rate = MatmulBenchmark.flops(p.getParam("mnk")) / (score * 1e-3) / 1e9;
        System.out.printf(Locale.ROOT, "|   -> %s %s | | %.1f GFLOP/s | |%n", p.getParam("mnk"), p.getParam("dtype"), rate);
        if (p.getParam("mnk").equals("4096x4096x4096") && p.getParam("dtype").equals("float32")) matmulRate = rate;
      }
      if (name.startsWith("RewardStepBenchmark")) {
        steps.put(p.getParam("shape") + " " + p.getParam("dtype") + " " + p.getParam("decoder"), score);
      }
    }
    if (!steps.isEmpty()) {
      System.out.println();
      System.out.printf(Locale.ROOT, "Training step vs its matmul floor (model GFLOP / %.1f GFLOP/s, the float32 4096^3 rate of this run)%n%n", matmulRate);
      System.out.println("| step | GFLOP | floor ms | measured ms | measured / floor |");
      System.out.println("|---|---|---|---|---|");
      for (var e : steps.entrySet()) {
        String[] k = e.getKey().split(" ");
        double flops = StepFlops.rewardStep(RewardStepBenchmark.config(k[0], k[1], k[2]).model(), 64, 20, 10, RewardStepBenchmark.width(k[0]));
        double floor = flops / (matmulRate * 1e9) * 1e3;
        System.out.printf(Locale.ROOT, "| %s | %.2f | %.1f | %.1f | %.2fx |%n", e.getKey(), flops / 1e9, floor, e.getValue(), e.getValue() / floor);
      }
    }
    if (!times.isEmpty()) {
      System.out.println();
      System.out.println("| benchmark | fused ms | eager ms | eager / fused |");
      System.out.println("|---|---|---|---|");
      times.forEach((k, v) -> System.out.printf(Locale.ROOT, "| %s | %.3f | %.3f | %.2fx |%n", k, v[0], v[1], v[1] / v[0]));
    }
  }
}
