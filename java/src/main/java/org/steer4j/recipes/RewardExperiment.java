package org.steer4j.recipes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.steer4j.config.Configs;
import org.steer4j.io.SafeTensors;
import org.steer4j.data.PairsDataset;
import org.steer4j.data.DatasetException;
import org.steer4j.config.ConfigException;
import org.steer4j.data.DataConfig;
import org.steer4j.data.PrepareConfig;
import org.steer4j.dist.Distributed;
import org.steer4j.reward.RewardConfig;
import org.steer4j.config.RunConfig;
import org.steer4j.eval.AccuracyRow;
import org.steer4j.eval.Plots;
import org.steer4j.eval.Results;
import org.steer4j.reward.RewardCurves;
import org.steer4j.reward.ElicitationEvaluator;
import org.steer4j.reward.RewardEvaluator;
import org.steer4j.reward.RewardData;
import org.steer4j.reward.RewardNet;
import org.steer4j.run.MetricsLog;
import org.steer4j.run.RunDirectory;
import org.steer4j.run.RunLog;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.runtime.Native;
import org.steer4j.train.Listeners;
import org.steer4j.reward.RewardStep;
import org.steer4j.reward.RewardNetFactory;
import org.steer4j.train.Loop;
import org.steer4j.config.RuntimeConfig;

/**
 * The reward experiment (the README's main job): make or load the data once, train every model
 * of the experiment (on the users of its own {@code data.labels} when it sets them, e.g. a
 * single-objective baseline), evaluate each (its best validation checkpoint) at every C on the
 * same test tasks of all the experiment's users, and write into the run directory {@code results.csv}, {@code report.md} with markdown
 * tables, and PNG plots. Each model trains in {@code models/<name>/} with its own effective
 * config, metrics and checkpoints; rerunning on the same directory ({@code --resume}) continues
 * unfinished training from its last checkpoint.
 */
public final class RewardExperiment {
  private final RewardExperimentConfig config;
  private final Path configDir;
  private final RunDirectory run;
  private RunLog log;
  private Distributed dist = Distributed.single();

  /** What rank 0 publishes when the data (and the pipeline's steps) are ready for the other ranks. */
  static final String DATA_READY = "data_ready";

  public RewardExperiment(RewardExperimentConfig config, Path configDir, RunDirectory run) {
    this.config = config;
    this.configDir = configDir;
    this.run = run;
    this.log = run == null ? null : run.log();
  }

  /**
   * Runs as one rank of a data-parallel job: rank 0 runs the pipeline, writes everything and
   * evaluates; the other ranks wait for its data, train their share of every step and write
   * nothing.
   */
  public RewardExperiment distributed(Distributed d) {
    this.dist = d;
    if (!d.isMain() && run != null) this.log = RunLog.consoleOnly();  // the run's log is rank 0's
    return this;
  }

  /** The run directory this experiment writes into (null while only checking). */
  public RunDirectory runDirectory() {
    return run;
  }

  /**
   * The effective config of each model (precedence, docs/architecture.md: defaults < model file <
   * experiment file and its {@code model_overrides} < command line): the experiment's run,
   * runtime, data and eval sections apply to every model; a model's own sections (sampler, model,
   * train) come from its file and the overrides.
   */
  public List<RewardConfig> modelConfigs() {
    return modelConfigs(config.data());
  }

  private List<RewardConfig> modelConfigs(DataConfig experimentData) {
    List<RewardConfig> out = new ArrayList<>();
    for (String file : config.models()) {
      Path modelFile = configDir.resolve(file);
      RewardConfig m = Configs.load(RewardConfig.class, modelFile, config.modelOverrides());
      ModelFiles.checkLabels(modelFile, m.data().labels(), experimentData.labels(), m.sampler().labels());
      out.add(ModelFiles.named(modelFile, () -> new RewardConfig(new RunConfig(m.run().name(), run == null ? config.run().outputDir() : run.path().toString()), config.runtime(),
          experimentData, m.sampler(), m.model(), m.train(), config.eval())));
    }
    long distinct = out.stream().map(c -> c.run().name()).distinct().count();
    if (distinct != out.size()) throw new IllegalArgumentException("models: every model config needs its own run.name");
    return out;
  }

  /**
   * Every model config loads and can run on this job's world size ({@link RewardStep#checkWorldSize}:
   * runtime.micro_batches, sampler.batch_size, model.fused_decoder), so a world it can't run on is
   * refused before a run directory is made or resumed, not after the data is loaded.
   *
   * @throws ConfigException naming the model and the key
   */
  public void checkWorldSize(int worldSize) {
    for (RewardConfig m : modelConfigs()) {
      try {
        RewardStep.checkWorldSize(m, worldSize);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(m.run().name() + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Everything that can be checked before a run directory exists: every model file and the
   * pipeline's configs load, and a pairs dataset named by data.path is there with a valid
   * safetensors header (its full validation runs when it is read).
   *
   * @throws org.steer4j.runtime.InputException naming the file at fault
   */
  public void check() {
    checkWorldSize(dist.worldSize());
    var p = config.pipeline();
    if (p.prepare() != null) Configs.load(PrepareConfig.class, configDir.resolve(p.prepare()), p.prepareOverrides());
    if (p.embed() != null) Configs.load(EmbedConfig.class, configDir.resolve(p.embed()), p.embedOverrides());
    DataConfig d = config.data();
    if (d.source() == DataConfig.Source.PAIRS && p.embed() == null) {
      if (d.path() == null || d.path().isBlank()) throw new ConfigException("data.path is required when data.source is pairs (or set pipeline.embed)");
      Path dir = Path.of(d.path());
      if (!Files.isDirectory(dir)) throw new DatasetException(dir + ": no such pairs dataset directory (data.path)");
      for (String f : List.of(PairsDataset.FEATURES, PairsDataset.TABLE)) {
        if (!Files.isRegularFile(dir.resolve(f))) throw new DatasetException(dir.resolve(f) + ": no such file (a pairs dataset needs " + f + ")");
      }
      SafeTensors.open(dir.resolve(PairsDataset.FEATURES)).close();
    }
  }

  public List<AccuracyRow> run() throws IOException {
    long started = System.nanoTime();
    Native.init(dist.env().threadsPerRank(config.runtime().threads()));
    if (!dist.isMain()) {
      trainAsRank();
      return List.of();
    }
    RunClock clock = new RunClock(run.path());  // this session counts from now, even if it is killed
    modelConfigs();  // every model config loads before any long step
    DataConfig dataConfig = pipeline(true);
    Native.init(dist.env().threadsPerRank(config.runtime().threads()));  // the embed step sets its own: back to this rank's share
    dist.publish(DATA_READY, "");
    List<RewardConfig> models = modelConfigs(dataConfig);
    RewardData data = RewardData.load(dataConfig);
    Map<String, String> inputs = new LinkedHashMap<>();
    data.inputs().forEach((name, sha) -> inputs.put(Path.of(dataConfig.path()).resolve(name).toAbsolutePath().normalize().toString(), sha));
    RunInputs.recordOrCheck(run.path(), inputs);
    log.info("data: %s; %s; run directory %s", data.description(), computeDescription(), run);

    // Every model trains first, then each is evaluated: the test batches are sharded over the
    // data-parallel ranks (every rank loads the model's best checkpoint once rank 0 has written it).
    Map<String, Loop.Result> results = new LinkedHashMap<>();
    Map<String, Double> trainSeconds = new LinkedHashMap<>();
    for (RewardConfig m : models) {
      String name = m.run().name();
      Path dir = run.path().resolve("models").resolve(name);
      Files.createDirectories(dir.resolve("checkpoints"));
      Configs.save(m, dir.resolve("config.yaml"));
      RewardData modelData = data.withLabels(m.sampler().labels());
      RewardStep step = RewardStep.create(m, modelData, dist);
      Loop.Result result = new Loop(step, Loop.Settings.of(m.train(), RewardStep.totalSteps(m, modelData), m.runtime().seed()), dir.resolve("checkpoints"))
          .distributed(dist)
          .listen(Listeners.metrics(dir.resolve("metrics.jsonl")))
          .listen(Listeners.progress(name))
          .listen(Listeners.log(log, name))
          .listen(clock.listener(name))
          .run();
      results.put(name, result);
      trainSeconds.put(name, clock.trainingSeconds(name));  // over every session of the run
    }
    dist.barrier();  // every best checkpoint is written: the other ranks load them for the evaluation

    List<AccuracyRow> rows = new ArrayList<>();
    Map<String, RewardNet> trained = new LinkedHashMap<>();
    Map<String, String> summaries = new LinkedHashMap<>();
    for (RewardConfig m : models) {
      String name = m.run().name();
      Loop.Result result = results.get(name);
      RewardNet net = RewardNetFactory.load(result.best(), m.runtime().dtype() == RuntimeConfig.Precision.BFLOAT16);
      List<AccuracyRow> r = RewardEvaluator.evaluate(name, net, data, config.eval(), dist);
      rows.addAll(r);
      trained.put(name, net);
      Path dir = run.path().resolve("models").resolve(name);
      summaries.put(name, String.format(Locale.ROOT, "%d steps in %.1f s (%.1f ms/step median), best validation loss %.4f at step %d",
          result.steps(), trainSeconds.get(name), medianStepMs(dir.resolve("metrics.jsonl")), result.bestValLoss(), result.bestStep()));
      for (AccuracyRow a : r) {
        if (a.label().equals("all")) log.info(String.format(Locale.ROOT, "%s: C=%d accuracy %.1f +- %.1f %%", name, a.context(), a.accuracy(), a.sem()));
      }
    }

    List<AccuracyRow> elicitation = elicit(trained, data);
    dist.close();  // the other ranks are done: nothing waits for them now
    Results.writeCsv(run.file("results.csv"), rows);
    if (!elicitation.isEmpty()) Results.writeCsv(run.file("elicitation.csv"), elicitation, "strategy", "questions");
    Path plots = run.path().resolve("plots");
    List<String> images = new ArrayList<>();
    for (String label : Results.labels(rows)) {
      Path png = plots.resolve("accuracy_" + label.replaceAll("[^A-Za-z0-9_-]", "_") + ".png");
      Plots.accuracyVsContext(rows, label, png);
      images.add(run.path().relativize(png).toString());
    }
    if (config.curves() && dataConfig.source() == DataConfig.Source.SYNTHETIC) {
      for (Path png : RewardCurves.plot(trained, data, config.curveContexts(), config.eval().seed(), plots)) {
        images.add(run.path().relativize(png).toString());
      }
    } else if (config.curves()) {
      // Only the synthetic world has a true r(y) to draw against; a user's 1-d data has none.
      log.info("curves: skipped (the data is not the synthetic world, so there is no true reward curve to draw)");
    }
    double session = (System.nanoTime() - started) / 1e9;
    double seconds = clock.finishSession();
    if (!elicitation.isEmpty()) {
      Path png = plots.resolve("elicitation.png");
      Plots.versusQuestions(elicitation, png);
      images.add(run.path().relativize(png).toString());
    }
    AtomicFiles.writeString(run.file("report.md"), report(data, rows, summaries, images, seconds, clock.sessions())
        + (elicitation.isEmpty() ? "" : "\n## Active elicitation\n\nAccuracy (%) on each test user's " + config.elicitation().targets()
            + " held-out pairs after Q answers to the questions each strategy chose from a pool of " + config.elicitation().pool()
            + " of the user's pairs (" + config.elicitation().batches() * config.elicitation().batchSize() + " users; elicitation.csv).\n"
            + Results.markdown(elicitation).replace("**label ", "**strategy ").replace("C=", "Q=")));
    log.info("experiment done in %.1f s (%.1f s over the run's %d session%s): %s, %s", session, seconds, clock.sessions(), clock.sessions() == 1 ? "" : "s",
        run.file("results.csv"), run.file("report.md"));
    return rows;
  }

  /**
   * Runs the pipeline's prepare and embed steps (embedding resumes its finished shards) and
   * returns the data config to train on: with an embed step, a pairs source without a path
   * reads the embedding's output.
   */
  private DataConfig pipeline(boolean runSteps) throws IOException {
    RewardExperimentConfig.Pipeline p = config.pipeline();
    DataConfig data = config.data();
    if (p.prepare() != null && runSteps) {
      PrepareConfig prepare = Configs.load(PrepareConfig.class, configDir.resolve(p.prepare()), p.prepareOverrides());
      var s = Prepare.run(prepare).stats();
      log.info("prepare: %d pairs kept of %d (%d train, %d val, %d test) -> %s", s.kept(), s.pairs(), s.train(), s.val(), s.test(), prepare.output());
    }
    if (p.embed() != null) {
      EmbedConfig embed = Configs.load(EmbedConfig.class, configDir.resolve(p.embed()), p.embedOverrides());
      var s = runSteps ? new Embed(embed, run).run() : null;
      if (s != null) log.info("embed: %d pairs, %d texts, %d tokens in %.1f s -> %s", s.pairs(), s.texts(), s.tokens(), s.seconds(), embed.output());
      if (data.source() == DataConfig.Source.PAIRS && (data.path() == null || data.path().isBlank())) {
        data = new DataConfig(data.source(), embed.output(), data.size(), data.seed(), data.labels(), data.users(), data.mixture());
      }
    }
    if (data.source() == DataConfig.Source.PAIRS && (data.path() == null || data.path().isBlank())) {
      throw new IllegalArgumentException("data.path is required when data.source is pairs (or set pipeline.embed)");
    }
    return data;
  }

  /**
   * Rank r > 0 of a data-parallel job: once rank 0 has the data ready, trains its share of every
   * model's steps (no checkpoints, metrics or logs: rank 0 writes those), then, once rank 0 has
   * written every best checkpoint, evaluates its share of each model's test batches from that
   * checkpoint and of its elicitation users (rank 0 gathers them and writes the results), then
   * leaves the job.
   */
  private void trainAsRank() throws IOException {
    dist.await(DATA_READY);
    DataConfig dataConfig = pipeline(false);
    RewardData data = RewardData.load(dataConfig);
    for (RewardConfig m : modelConfigs(dataConfig)) {
      RewardData modelData = data.withLabels(m.sampler().labels());
      RewardStep step = RewardStep.create(m, modelData, dist);
      new Loop(step, Loop.Settings.of(m.train(), RewardStep.totalSteps(m, modelData), m.runtime().seed()), null).distributed(dist).run();
    }
    dist.barrier();  // rank 0 has written every model's best checkpoint
    Map<String, RewardNet> trained = new LinkedHashMap<>();
    for (RewardConfig m : modelConfigs(dataConfig)) {
      Path best = run.path().resolve("models").resolve(m.run().name()).resolve("checkpoints").resolve("best");
      RewardNet net = RewardNetFactory.load(best, m.runtime().dtype() == RuntimeConfig.Precision.BFLOAT16);
      RewardEvaluator.evaluate(m.run().name(), net, data, config.eval(), dist);
      trained.put(m.run().name(), net);
    }
    elicit(trained, data);  // this rank's share; rank 0 writes the rows
    dist.close();
  }

  /** "2 threads", or "2 ranks x 1 thread" when data parallel. */
  private String computeDescription() {
    int t = Native.threads();
    String threads = t + (t == 1 ? " thread" : " threads");
    if (dist.worldSize() == 1) return threads;
    int micro = config.runtime().microBatchesOrOne();
    return dist.worldSize() + " ranks x " + threads + (micro == 1 ? " (BatchNorm synchronised across the ranks)"
        : " (runtime.micro_batches = " + micro + ", BatchNorm per micro-batch)");
  }

  static double medianStepMs(Path metrics) throws IOException {
    double[] ms = MetricsLog.read(metrics).stream().filter(r -> r.path("split").asText().equals("train") && r.has("step_ms"))
        .mapToDouble(r -> r.path("step_ms").asDouble()).sorted().toArray();
    return ms.length == 0 ? Double.NaN : ms[ms.length / 2];
  }

  private String report(RewardData data, List<AccuracyRow> rows, Map<String, String> summaries, List<String> images, double seconds, int sessions) {
    StringBuilder sb = new StringBuilder("# Reward experiment: ").append(config.run().name()).append("\n\n");
    sb.append(String.format(Locale.ROOT, "- data: %s%n- wall time: %.1f s on %s%s%n- evaluation: test split, %d batches x %d tasks,"
        + " T = %d, accuracy on the targets not in the context%n", data.description(), seconds, computeDescription(),
        sessions > 1 ? " (over the run's " + sessions + " sessions: it was resumed)" : "",
        config.eval().batches(), config.eval().batchSize(), config.eval().targets()));
    sb.append("\n## Labels\n\n");
    for (String label : data.pairs().labels()) sb.append("- ").append(label).append(": ").append(labelMeaning(label)).append('\n');
    sb.append("- all: every test user, whatever the label\n");
    sb.append("\n## Training\n\n");
    summaries.forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
    sb.append("\n## Accuracy\n").append(Results.markdown(rows));
    sb.append("\n## Plots\n\n");
    for (String image : images) sb.append("![").append(image).append("](").append(image).append(")\n\n");
    return sb.toString();
  }

  /** What a label of this experiment's data means, for the report. */
  private String labelMeaning(String label) {
    DataConfig d = config.data();
    return switch (d.source()) {
      case SYNTHETIC -> switch (label) {
        case "0" -> "user type 0 of the synthetic world, r(y) = y below 0.5 and 2y above (prefers larger options)";
        case "1" -> "user type 1 of the synthetic world, r(y) = y below 0.5 and 1 - y above (prefers options near 0.5)";
        default -> "a label of the synthetic world";
      };
      case MIXTURE -> "objective " + label + " of the mixture world (users " + (d.users() == DataConfig.UserKind.MIXTURE
          ? "mix the objectives with Dirichlet weights; their rows report as 'mixture'" : "follow one objective each") + ")";
      case PAIRS -> "the users whose choices are column choice_" + label + " of " + (d.path() == null || d.path().isBlank() ? "the embedded dataset's " + PairsDataset.TABLE : Path.of(d.path()).resolve(PairsDataset.TABLE));
    };
  }

  /**
   * The active-elicitation evaluation of every model that adapts (elicitation.questions > 0),
   * sharded over the ranks (the others run the same calls in {@link #trainAsRank}): rows (model,
   * strategy, Q, accuracy, SEM), for {@code elicitation.csv}.
   */
  private List<AccuracyRow> elicit(Map<String, RewardNet> trained, RewardData data) {
    var c = config.elicitation();
    List<AccuracyRow> rows = new ArrayList<>();
    if (c.questions() == 0) return rows;
    for (var e : trained.entrySet()) {
      if (!e.getValue().config().conditional()) continue;
      long t0 = System.nanoTime();
      List<AccuracyRow> r = ElicitationEvaluator.evaluate(e.getKey(), e.getValue(), data, c, dist);
      rows.addAll(r);
      for (AccuracyRow a : r) {
        if (a.context() == 0 || a.context() == 3 || a.context() == c.questions()) {
          log.info(String.format(Locale.ROOT, "%s: elicitation %s Q=%d accuracy %.1f +- %.1f %%", e.getKey(), a.label(), a.context(), a.accuracy(), a.sem()));
        }
      }
      log.info(String.format(Locale.ROOT, "%s: elicitation evaluated in %.1f s", e.getKey(), (System.nanoTime() - t0) / 1e9));
    }
    return rows;
  }
}
