package org.steer4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.steer4j.config.Configs;
import org.steer4j.config.ExperimentConfig;
import org.steer4j.eval.Results;
import org.steer4j.run.RunDirectory;
import org.steer4j.train.RewardExperiment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "experiment",
    mixinStandardHelpOptions = true,
    description = {
      "Reward experiment: data -> train every model -> evaluate at every C -> report",
      "(results.csv, report.md, plots/) in one run directory."
    })
final class ExperimentCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "CONFIG", description = "experiment YAML, e.g. configs/synthetic/experiment.yaml")
  Path config;

  @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "overrides, e.g. runtime.threads=2 'model_overrides=[train.steps=100]'")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--resume", paramLabel = "RUN_DIR", description = "continue the experiment in an existing run directory")
  Path resume;

  @Override
  public Integer call() throws Exception {
    ExperimentConfig cfg;
    RunDirectory run;
    if (resume != null) {
      cfg = Configs.load(ExperimentConfig.class, resume.resolve("config.yaml"), overrides);
      run = RunDirectory.open(resume);
    } else {
      cfg = Configs.load(ExperimentConfig.class, config, overrides);
      run = RunDirectory.create(Path.of(cfg.run().outputDir()), cfg.run().name(), cfg);
    }
    // Model configs are named relative to the experiment file; a resumed run reads its copies.
    Path configDir = config.toAbsolutePath().getParent();
    var experiment = new RewardExperiment(cfg, configDir, run);
    var rows = experiment.run();
    System.out.println(Results.markdown(rows));
    System.out.println("run directory: " + run + " (report.md, results.csv, plots/)");
    return Files.exists(run.file("results.csv")) ? 0 : 1;
  }
}
