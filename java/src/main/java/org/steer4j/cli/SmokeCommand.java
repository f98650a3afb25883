package org.steer4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.steer4j.recipes.SmokeConfig;
import org.steer4j.run.RunDirectory;
import org.steer4j.recipes.Smoke;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "smoke",
    mixinStandardHelpOptions = true,
    header = "Check the native op against the eager composition, time it, fit briefly.",
    description = "Smoke run of the native op: fused reward decoder vs the eager composition (values and gradients), their timings, and a short fit through the autograd tape.")
final class SmokeCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG", description = "YAML config (default: built-in defaults)")
  Path config;

  @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "overrides, e.g. tasks=8 runtime.threads=1")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    ConfigArgs.requireOneProcess("smoke");
    SmokeConfig cfg = ConfigArgs.load(SmokeConfig.class, config, overrides);
    RunDirectory run = RunDirectory.create(Path.of(cfg.run().outputDir()), cfg.run().name(), cfg);
    var summary = new Smoke(cfg, run).run();
    StringBuilder table = new StringBuilder("\n| measure | value |\n|---|---|\n");
    summary.forEach((k, v) -> table.append(String.format(Locale.ROOT, "| %s | %.4g |%n", k, v)));
    System.out.println(table);
    System.out.println("run directory: " + run);
    return summary.get("max_rel_error") < 1e-4 ? 0 : 1;
  }
}
