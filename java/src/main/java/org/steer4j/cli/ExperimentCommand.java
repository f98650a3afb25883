package org.steer4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.steer4j.config.ConfigException;
import org.steer4j.config.Configs;
import org.steer4j.recipes.RewardExperimentConfig;
import org.steer4j.recipes.ExperimentKind;
import org.steer4j.recipes.PolicyExperimentConfig;
import org.steer4j.eval.Results;
import org.steer4j.run.RunDirectory;
import org.steer4j.recipes.PolicyExperiment;
import org.steer4j.recipes.RewardExperiment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "experiment",
    mixinStandardHelpOptions = true,
    description = {
      "An experiment in one run directory. kind: reward (the default): data -> train every reward model ->",
      "accuracy at every C -> report. kind: policy: base model -> data -> DPO / NP-DPO policies -> implicit-reward",
      "accuracy at every C and scored generations -> report (results.csv, generation.csv, report.md, plots/)."
    })
final class ExperimentCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "CONFIG", description = "experiment YAML, e.g. configs/synthetic/experiment.yaml, configs/steer_demo/experiment.yaml")
  Path config;

  @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "overrides, e.g. runtime.threads=2 'model_overrides=[train.steps=100]'")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--resume", paramLabel = "RUN_DIR", description = "continue the experiment in an existing run directory")
  Path resume;

  @Override
  public Integer call() throws Exception {
    Path file = resume != null ? resume.resolve("config.yaml") : config;
    // Model configs are named relative to the experiment file; a resumed run reads its copies.
    Path configDir = config.toAbsolutePath().getParent();
    if (kind(file, overrides) == ExperimentKind.POLICY) {
      PolicyExperimentConfig cfg = Configs.load(PolicyExperimentConfig.class, file, overrides);
      RunDirectory run = resume != null ? RunDirectory.open(resume) : RunDirectory.create(Path.of(cfg.run().outputDir()), cfg.run().name(), cfg);
      var outcome = new PolicyExperiment(cfg, configDir, run).run();
      System.out.println(Results.markdown(outcome.accuracy()));
      System.out.println("run directory: " + run + " (report.md, results.csv, generation.csv, plots/)");
      return Files.exists(run.file("results.csv")) ? 0 : 1;
    }
    RewardExperimentConfig cfg = Configs.load(RewardExperimentConfig.class, file, overrides);
    RunDirectory run = resume != null ? RunDirectory.open(resume) : RunDirectory.create(Path.of(cfg.run().outputDir()), cfg.run().name(), cfg);
    var rows = new RewardExperiment(cfg, configDir, run).run();
    System.out.println(Results.markdown(rows));
    System.out.println("run directory: " + run + " (report.md, results.csv, plots/)");
    return Files.exists(run.file("results.csv")) ? 0 : 1;
  }

  /** The config's top-level {@code kind} (a {@code kind=...} override wins); reward when absent. */
  static ExperimentKind kind(Path file, List<String> overrides) {
    String value = null;
    for (String o : overrides) if (o.startsWith("kind=")) value = o.substring("kind=".length()).trim();
    if (value == null) {
      try {
        JsonNode tree = Configs.yaml().readTree(Files.readString(file));
        if (tree != null && tree.hasNonNull("kind")) value = tree.get("kind").asText();
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        value = null;  // malformed: the config loader below reports where
      } catch (NoSuchFileException e) {
        throw new ConfigException(file + ": no such file");
      } catch (IOException e) {
        throw new ConfigException(file + ": can't read: " + e.getMessage(), e);
      }
    }
    if (value == null) return ExperimentKind.REWARD;
    try {
      return ExperimentKind.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(file + ": kind: unknown value '" + value + "'; valid values: reward, policy");
    }
  }
}
