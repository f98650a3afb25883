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
import org.steer4j.dist.Distributed;
import org.steer4j.recipes.RewardExperimentConfig;
import org.steer4j.recipes.ExperimentKind;
import org.steer4j.recipes.ExperimentRuns;
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
    header = "Run a reward or policy experiment: train, evaluate at every C, report.",
    description = "An experiment in one run directory. kind: reward (the default): data -> train every reward model -> accuracy at every C -> report. kind: policy: base model -> data -> DPO / NP-DPO policies -> implicit-reward accuracy at every C and scored generations -> report (results.csv, generation.csv, report.md, plots/).")
final class ExperimentCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "CONFIG", description = "experiment YAML, e.g. configs/synthetic/experiment.yaml, configs/steer_demo/experiment.yaml")
  Path config;

  @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "overrides, e.g. runtime.threads=2 'model_overrides=[train.steps=100]'")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--resume", paramLabel = "RUN_DIR", description = "continue the experiment in an existing run directory, with the run's own configs (CONFIG is not read; an override that would change the run is refused)")
  Path resume;

  @Option(names = "--nproc", paramLabel = "N", description = "data parallel: train on N processes (ranks) on this machine, started as torchrun starts them, each with runtime.threads / N threads; the result is that of one process (reward models: BatchNorm synchronised across the ranks with runtime.micro_batches 1, the default; local to each of M micro-batches at any N dividing M; policies: at any N dividing dpo.gradient_accumulation)")
  int nproc = 1;

  @Option(names = "--dist-timeout", paramLabel = "SECONDS", description = DataParallelArgs.TIMEOUT_HELP)
  Double distTimeout;

  @Override
  public Integer call() throws Exception {
    List<String> args = new ArrayList<>(List.of("experiment", config.toString()));
    if (resume != null) args.addAll(List.of("--resume", resume.toString()));
    args.addAll(overrides);
    return DataParallelArgs.run(nproc, distTimeout, args, this::call, this::trainAsRank);
  }

  /** Rank r > 0: the run directory rank 0 made or resumed, its saved configs, training only. */
  private int trainAsRank(Distributed dist) throws IOException {
    Path runDir = Path.of(dist.await("run_dir"));
    Path saved = runDir.resolve("config.yaml");
    Path modelFiles = ExperimentRuns.modelFiles(runDir, config.toAbsolutePath().getParent());
    if (kind(saved, List.of()) == ExperimentKind.POLICY) {
      PolicyExperimentConfig run = Configs.load(PolicyExperimentConfig.class, saved, List.of());
      new PolicyExperiment(run, modelFiles, RunDirectory.open(runDir)).distributed(dist).run();
      return 0;
    }
    RewardExperimentConfig run = Configs.load(RewardExperimentConfig.class, saved, List.of());
    new RewardExperiment(run, modelFiles, RunDirectory.open(runDir)).distributed(dist).run();
    return 0;
  }

  private Integer call(Distributed dist) throws Exception {
    Path configDir = config.toAbsolutePath().getParent();
    String previous = resume == null ? dist.publishedByPreviousAttempt("run_dir") : null;
    if (previous != null) {
      // torchrun restarted the workers (--max-restarts) with the same command line: continue the
      // run the attempt before made or resumed, from its last checkpoint, rather than start over.
      System.err.println("steer4j: torchrun restarted the job: resuming " + previous);
      resume = Path.of(previous);
    }
    if (resume != null) {
      // A run continues with its own effective config and its own copies of the model files; the
      // CONFIG argument is not read, and an override that would change the run is refused.
      if (!Files.isRegularFile(resume.resolve("config.yaml"))) throw new ConfigException(resume + ": not a run directory (no config.yaml)");
      Path saved = resume.resolve("config.yaml");
      Path modelFiles = ExperimentRuns.modelFiles(resume, configDir);
      if (kind(saved, List.of()) == ExperimentKind.POLICY) {
        PolicyExperimentConfig run = Configs.load(PolicyExperimentConfig.class, saved, List.of());
        PolicyExperimentConfig given = Configs.load(PolicyExperimentConfig.class, saved, overrides);
        ExperimentRuns.refuseChanges(resume, run, given, new PolicyExperiment(run, modelFiles, null).modelConfigs(),
            new PolicyExperiment(given, modelFiles, null).modelConfigs());
        PolicyExperiment experiment = new PolicyExperiment(run, modelFiles, RunDirectory.open(resume)).distributed(dist);
        experiment.check();  // a world size that divides every policy's dpo.gradient_accumulation
        dist.publish("run_dir", resume.toAbsolutePath().toString());
        return policy(experiment);
      }
      RewardExperimentConfig run = Configs.load(RewardExperimentConfig.class, saved, List.of());
      RewardExperimentConfig given = Configs.load(RewardExperimentConfig.class, saved, overrides);
      ExperimentRuns.refuseChanges(resume, run, given, new RewardExperiment(run, modelFiles, null).modelConfigs(),
          new RewardExperiment(given, modelFiles, null).modelConfigs());
      new RewardExperiment(given, modelFiles, null).checkWorldSize(dist.worldSize());  // e.g. micro_batches 2 resumed on 3 ranks
      RunDirectory dir = RunDirectory.open(resume);
      if (!Configs.differences(run, given).isEmpty()) dir.saveConfig(given);  // only elicitation.* can differ here: recorded
      dist.publish("run_dir", resume.toAbsolutePath().toString());  // after: the other ranks read that config.yaml
      return reward(new RewardExperiment(given, modelFiles, dir).distributed(dist));
    }
    // Everything is loaded and checked before the run directory exists: a bad key or a missing
    // file leaves nothing behind.
    if (kind(config, overrides) == ExperimentKind.POLICY) {
      PolicyExperimentConfig probe = Configs.load(PolicyExperimentConfig.class, config, overrides);
      PolicyExperimentConfig cfg = Configs.load(PolicyExperimentConfig.class, config, ExperimentRuns.resolveThreads(probe.runtime().threads(), overrides));
      new PolicyExperiment(cfg, configDir, null).distributed(dist).check();
      var run = ExperimentRuns.start(Path.of(cfg.run().outputDir()), cfg.run().name(), cfg, configDir, cfg.models());
      dist.publish("run_dir", run.path().toAbsolutePath().toString());
      return policy(new PolicyExperiment(cfg, run.path().resolve(ExperimentRuns.MODEL_FILES), run).distributed(dist));
    }
    RewardExperimentConfig probe = Configs.load(RewardExperimentConfig.class, config, overrides);
    List<String> resolved = ExperimentRuns.resolveMicroBatches(probe.runtime().microBatches(), dist.worldSize(),
        ExperimentRuns.resolveThreads(probe.runtime().threads(), overrides));
    RewardExperimentConfig cfg = Configs.load(RewardExperimentConfig.class, config, resolved);
    new RewardExperiment(cfg, configDir, null).distributed(dist).check();
    List<String> files = new ArrayList<>(cfg.models());  // the pipeline's configs travel with the run too
    if (cfg.pipeline().prepare() != null) files.add(cfg.pipeline().prepare());
    if (cfg.pipeline().embed() != null) files.add(cfg.pipeline().embed());
    var run = ExperimentRuns.start(Path.of(cfg.run().outputDir()), cfg.run().name(), cfg, configDir, files);
    dist.publish("run_dir", run.path().toAbsolutePath().toString());
    return reward(new RewardExperiment(cfg, run.path().resolve(ExperimentRuns.MODEL_FILES), run).distributed(dist));
  }

  private static int policy(PolicyExperiment experiment) throws IOException {
    var outcome = experiment.run();
    System.out.println(Results.markdown(outcome.accuracy()));
    System.out.println("run directory: " + experiment.runDirectory() + " (report.md, results.csv, generation.csv, plots/)");
    return Files.exists(experiment.runDirectory().file("results.csv")) ? 0 : 1;
  }

  private static int reward(RewardExperiment experiment) throws IOException {
    var rows = experiment.run();
    System.out.println(Results.markdown(rows));
    System.out.println("run directory: " + experiment.runDirectory() + " (report.md, results.csv, plots/)");
    return Files.exists(experiment.runDirectory().file("results.csv")) ? 0 : 1;
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
