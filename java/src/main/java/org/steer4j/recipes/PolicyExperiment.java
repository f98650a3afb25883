package org.steer4j.recipes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.steer4j.policy.BaseModelConfig;
import org.steer4j.config.Configs;
import org.steer4j.policy.PolicyConfig;
import org.steer4j.policy.PolicyDataConfig;
import org.steer4j.config.RunConfig;
import org.steer4j.dist.Distributed;
import org.steer4j.eval.AccuracyRow;
import org.steer4j.policy.GenerationEvaluator;
import org.steer4j.policy.PolicyEvaluator;
import org.steer4j.io.TensorCache;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.ModelConfig;
import org.steer4j.llm.ForwardOptions;
import org.steer4j.llm.TextTokenizer;
import org.steer4j.policy.ChatEncoder;
import org.steer4j.policy.Policy;
import org.steer4j.policy.PolicyCard;
import org.steer4j.policy.PolicyData;
import org.steer4j.policy.ReferenceLogProbCache;
import org.steer4j.run.RunDirectory;
import org.steer4j.run.RunLog;
import org.steer4j.runtime.Fingerprint;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Provenance;
import org.steer4j.policy.DpoStep;
import org.steer4j.policy.PolicyFactory;
import org.steer4j.train.Loop;
import org.steer4j.train.Listeners;

/**
 * The policy experiment ({@code kind: policy}): the base model (a checkpoint, or for the demo a
 * small model pretrained here on the dialogue world, cached), the data with each text's context
 * features, the reference log-probs (cached), then every policy of the experiment trained in
 * {@code models/<name>/} and evaluated from its best validation checkpoint: implicit-reward
 * accuracy per objective at every C, and for the dialogue world the rule scores of generations
 * conditioned on users of each objective. Writes {@code results.csv} ({@code
 * model,objective,context,accuracy,sem}), {@code generation.csv} ({@code
 * conditioned_on,context,objective,score}, the conditioned policy), {@code
 * generation_models.csv} (every model, with SEM), {@code report.md} and {@code plots/}.
 * Rerunning on the same directory ({@code --resume}) continues unfinished training.
 *
 * <p>Data parallel ({@link #distributed}): rank 0 does everything above; every other rank waits
 * for rank 0's base model (pretrained or named), then computes its share of the base model's
 * context features and of the reference log-probs with the others (a missing table is sharded by
 * batch and stored by rank 0; a cached one is read), trains its share of each policy's micro-batches when rank 0 starts that
 * policy and scores its share of the test batches (rank 0 gathers them), writing nothing; it
 * waits, however long, while rank 0 alone generates with the previous policy.
 */
public final class PolicyExperiment {
  private final PolicyExperimentConfig config;
  private final Path configDir;
  private final RunDirectory run;
  private RunLog log;
  private Distributed dist = Distributed.single();
  private static final String DATA_READY = "policy_base_ready";

  public PolicyExperiment(PolicyExperimentConfig config, Path configDir, RunDirectory run) {
    this.config = config;
    this.configDir = configDir;
    this.run = run;
    this.log = run == null ? null : run.log();
  }

  /** Runs as one rank of {@code d}: rank 0 the whole experiment, the others their share of the training. */
  public PolicyExperiment distributed(Distributed d) {
    this.dist = d;
    if (!d.isMain()) this.log = RunLog.consoleOnly();
    return this;
  }

  /** The run directory this experiment writes into (null while only checking). */
  public RunDirectory runDirectory() {
    return run;
  }

  /**
   * The effective config of each policy (precedence as for reward models, docs/architecture.md):
   * the experiment's run, runtime, data, base and eval sections apply to every policy; its
   * {@code sampler.labels} choose its training users (a per-objective baseline); every policy is
   * evaluated on the experiment's labels.
   */
  public List<PolicyConfig> modelConfigs() {
    List<PolicyConfig> out = new ArrayList<>();
    PolicyDataConfig d = config.data();
    for (String file : config.models()) {
      Path modelFile = configDir.resolve(file);
      PolicyConfig m = Configs.load(PolicyConfig.class, modelFile, config.modelOverrides());
      ModelFiles.checkLabels(modelFile, m.data().labels(), d.labels(), m.sampler().labels());
      out.add(ModelFiles.named(modelFile, () -> new PolicyConfig(new RunConfig(m.run().name(), run == null ? config.run().outputDir() : run.path().toString()), config.runtime(), d,
          config.base(), m.sampler(), m.policy(), m.dpo(), m.train(), config.eval())));
    }
    if (out.stream().map(c -> c.run().name()).distinct().count() != out.size()) {
      throw new IllegalArgumentException("models: every policy config needs its own run.name");
    }
    return out;
  }

  /** Everything the report shows. */
  public record Outcome(List<AccuracyRow> accuracy, List<GenerationEvaluator.Row> generation, List<GenerationEvaluator.Example> examples,
      Map<String, String> training, String data, String base, double seconds) {}

  /**
   * Everything that can be checked before a run directory exists: every policy file loads, and
   * a checkpoint named as the base model has its config.json.
   *
   * @throws org.steer4j.runtime.InputException naming the file at fault
   */
  public void check() {
    for (PolicyConfig m : modelConfigs()) DpoStep.checkWorldSize(m, dist.worldSize());
    if (config.base().source() == BaseModelConfig.Source.CHECKPOINT) ModelConfig.read(Path.of(config.base().path()));
  }

  public Outcome run() throws IOException {
    String loadBefore = PolicyReport.loadAverage();
    Native.init(dist.env().threadsPerRank(config.runtime().threads()));
    List<PolicyConfig> models = modelConfigs();
    for (PolicyConfig m : models) DpoStep.checkWorldSize(m, dist.worldSize());
    if (!dist.isMain()) {
      trainAsRank(models);
      return null;
    }
    RunClock clock = new RunClock(run.path());  // this session counts from now, even if it is killed
    Device device = config.runtime().device().torch();
    Path cacheDir = Path.of(config.data().cacheDir());
    BaseModelConfig base = resolveBase(device);
    dist.publish(DATA_READY, "");  // the base model is on disk now: the other ranks load it and take their share of the passes below
    String compute = (dist.worldSize() == 1 ? "" : dist.worldSize() + " ranks x ") + Native.threads() + (Native.threads() == 1 ? " thread" : " threads");
    log.info("base model %s (%s, %s); %s; run directory %s", base.path(), base.dtype().torchName(), config.runtime().device().name().toLowerCase(Locale.ROOT),
        compute, run);

    try (TextTokenizer tokenizer = TextTokenizer.load(Path.of(base.tokenizerPath()))) {
      DecoderLm lm = DecoderLm.load(Path.of(base.path()), base.dtype(), device);
      ChatEncoder chat = new ChatEncoder(tokenizer, base.format().renderer(lm.config(), tokenizer.file()), base.systemPrompt(), tokenizer.eosId(lm.config()));
      String fingerprint = ReferenceLogProbCache.modelFingerprint(lm);
      Map<String, String> inputs = new LinkedHashMap<>();
      inputs.put(Path.of(base.path()).toAbsolutePath().normalize() + " (base weights, config, dtype)", fingerprint);
      if (!config.data().textPairs().isBlank()) {
        Path pairs = Path.of(config.data().textPairs()).toAbsolutePath().normalize();
        if (Files.isRegularFile(pairs)) inputs.put(pairs.toString(), Fingerprint.sha256(pairs));
      }
      RunInputs.recordOrCheck(run.path(), inputs);
      TensorCache features = new TensorCache(cacheDir.resolve("embeddings"));
      PolicyData data = PolicyData.load(config.data(), lm, fingerprint, chat, base.maxLength(), features, log, dist);  // features sharded
      log.info("data: %s", data.description());
      float[][] reference = reference(models, lm, fingerprint, data, tokenizer.file(), cacheDir);  // sharded over the ranks

      List<AccuracyRow> accuracy = new ArrayList<>();
      List<GenerationEvaluator.Row> generation = new ArrayList<>();
      List<GenerationEvaluator.Example> examples = new ArrayList<>();
      Map<String, String> training = new LinkedHashMap<>();
      boolean generate = config.eval().generation().prompts() > 0 && data.world() != null;
      if (generate) {
        var g = GenerationEvaluator.unconditioned("base (reference)", lm, ForwardOptions.BASE, data, chat, config.eval().generation());
        generation.addAll(g.rows());
        examples.addAll(g.examples());
      }
      for (int k = 0; k < models.size(); ++k) {
        PolicyConfig m = models.get(k);
        String name = m.run().name();
        Path dir = run.path().resolve("models").resolve(name);
        Files.createDirectories(dir.resolve("checkpoints"));
        Configs.save(m, dir.resolve("config.yaml"));
        PolicyCard card = new PolicyCard(m.policy(), base, data.pairs().width(),
            config.data().embeddings().isBlank() ? PolicyCard.BASE_EOS : config.data().embeddings(), data.labels(), m.dpo().beta(),
            Provenance.of("policy_experiment", m.runtime().seed(), data.description()).withInput(PolicyCard.BASE_INPUT, fingerprint));
        // A policy attaches its LoRA to its base model, so the first one takes the model already
        // loaded (its reference forward is the same weights with adapters off) and each later one
        // loads its own; an earlier one's memory goes back when the JVM collects it.
        DecoderLm fresh = k == 0 ? lm : DecoderLm.load(Path.of(base.path()), base.dtype(), device);
        DpoStep step = new DpoStep(PolicyFactory.create(m, fresh, data.pairs().width()), m, data, reference, card, dist);
        dist.publish(trainingKey(name), "");
        Loop.Result result = new Loop(step, Loop.Settings.of(m.train(), DpoStep.totalSteps(m, data), m.runtime().seed()), dir.resolve("checkpoints"))
            .distributed(dist)
            .listen(Listeners.metrics(dir.resolve("metrics.jsonl")))
            .listen(Listeners.progress(name))
            .listen(Listeners.log(log, name))
            .listen(clock.listener(name))
            .run();
        double seconds = clock.trainingSeconds(name);  // over every session of the run
        dist.barrier();  // the best checkpoint is written: the other ranks load it for the evaluation
        Policy policy = step.policy();
        policy.load(result.best());
        long e0 = System.nanoTime();
        List<AccuracyRow> rows = PolicyEvaluator.evaluate(name, policy, data, reference, config.eval(), m.dpo(), dist);
        if (k == models.size() - 1) dist.close();  // the other ranks are done: nothing waits for them now
        accuracy.addAll(rows);
        for (AccuracyRow r : rows) log.info(String.format(Locale.ROOT, "%s: %s C=%d implicit-reward accuracy %.1f +- %.1f %%", name, r.label(), r.context(), r.accuracy(), r.sem()));
        if (generate) {
          var g = policy.conditional()
              ? GenerationEvaluator.conditioned(name, policy, data, chat, config.eval().generation())
              : GenerationEvaluator.unconditioned(name, policy.model(), ForwardOptions.DEFAULT, data, chat, config.eval().generation());
          generation.addAll(g.rows());
          examples.addAll(g.examples());
        }
        training.put(name, String.format(Locale.ROOT, "%s, %,d trainable parameters; %d steps in %.1f s (%.0f ms/step median), best validation loss"
            + " %.4f at step %d; evaluation %.1f s", m.policy().type().name().toLowerCase(Locale.ROOT).replace('_', '-'), policy.trainableCount(),
            result.steps(), seconds, RewardExperiment.medianStepMs(dir.resolve("metrics.jsonl")), result.bestValLoss(), result.bestStep(),
            (System.nanoTime() - e0) / 1e9));
      }
      double seconds = clock.finishSession();
      Outcome outcome = new Outcome(accuracy, generation, examples, training, data.description(), lm.config() + ", " + base.path(), seconds);
      java.util.Set<String> conditional = new java.util.LinkedHashSet<>();
      for (PolicyConfig m : models) if (m.policy().conditional()) conditional.add(m.run().name());
      PolicyReport.write(run, config, outcome.accuracy(), outcome.generation(), outcome.examples(), training, conditional, data.description(),
          outcome.base(), seconds, compute, loadBefore);
      log.info("experiment done in %.1f s: %s", seconds, run.file("report.md"));
      return outcome;
    }
  }

  /**
   * Rank r > 0: once rank 0 has the base model, loads it, computes its share of the context
   * features and the reference log-probs with the others, and trains its share of each policy's steps
   * when rank 0 starts it (no checkpoints, metrics or files: rank 0 writes those), then evaluates
   * its share of the test batches from the best checkpoint rank 0 wrote; then leaves.
   */
  private void trainAsRank(List<PolicyConfig> models) throws IOException {
    dist.await(DATA_READY);
    Device device = config.runtime().device().torch();
    Path cacheDir = Path.of(config.data().cacheDir());
    BaseModelConfig base = resolveBase(device);
    try (TextTokenizer tokenizer = TextTokenizer.load(Path.of(base.tokenizerPath()))) {
      DecoderLm lm = DecoderLm.load(Path.of(base.path()), base.dtype(), device);
      ChatEncoder chat = new ChatEncoder(tokenizer, base.format().renderer(lm.config(), tokenizer.file()), base.systemPrompt(), tokenizer.eosId(lm.config()));
      String fingerprint = ReferenceLogProbCache.modelFingerprint(lm);
      PolicyData data = PolicyData.load(config.data(), lm, fingerprint, chat, base.maxLength(), new TensorCache(cacheDir.resolve("embeddings")), log,
          dist);
      float[][] reference = reference(models, lm, fingerprint, data, tokenizer.file(), cacheDir);
      for (int k = 0; k < models.size(); ++k) {
        PolicyConfig m = models.get(k);
        DecoderLm fresh = k == 0 ? lm : DecoderLm.load(Path.of(base.path()), base.dtype(), device);
        PolicyCard card = new PolicyCard(m.policy(), base, data.pairs().width(),
            config.data().embeddings().isBlank() ? PolicyCard.BASE_EOS : config.data().embeddings(), data.labels(), m.dpo().beta(),
            Provenance.of("policy_experiment", m.runtime().seed(), data.description()));  // never written by this rank
        DpoStep step = new DpoStep(PolicyFactory.create(m, fresh, data.pairs().width()), m, data, reference, card, dist);
        dist.await(trainingKey(m.run().name()));
        new Loop(step, Loop.Settings.of(m.train(), DpoStep.totalSteps(m, data), m.runtime().seed()), null).distributed(dist).run();
        dist.barrier();  // rank 0 has written the best checkpoint
        step.policy().load(run.path().resolve("models").resolve(m.run().name()).resolve("checkpoints").resolve("best"));
        PolicyEvaluator.evaluate(m.run().name(), step.policy(), data, reference, config.eval(), m.dpo(), dist);
      }
    }
    dist.close();
  }

  private static String trainingKey(String policy) {
    return "policy_training/" + policy;
  }

  /** The base model as a checkpoint: the configured one, or the demo model pretrained (once) on the dialogue world. */
  private BaseModelConfig resolveBase(Device device) {
    BaseModelConfig b = config.base();
    if (b.source() == BaseModelConfig.Source.CHECKPOINT) {
      Path path = Path.of(b.path()).toAbsolutePath().normalize();
      String tokenizer = b.tokenizer().isBlank() ? "" : Path.of(b.tokenizer()).toAbsolutePath().normalize().toString();
      return new BaseModelConfig(b.source(), path.toString(), tokenizer, b.dtype(), b.format(), b.systemPrompt(), b.maxLength(), b.pretrain());
    }
    if (config.data().source() != PolicyDataConfig.Source.DIALOGUE) {
      throw new IllegalArgumentException("base.source: pretrain makes the dialogue world's model; with data.source text_pairs name a checkpoint");
    }
    Path dir = new Pretraining(b.pretrain(), config.data().dialogue(), device).ensure(Path.of(config.data().cacheDir()), log).toAbsolutePath().normalize();
    return new BaseModelConfig(BaseModelConfig.Source.CHECKPOINT, dir.toString(), "", b.dtype(), b.format(), b.systemPrompt(), b.maxLength(),
        b.pretrain());
  }

  private float[][] reference(List<PolicyConfig> models, DecoderLm lm, String fingerprint, PolicyData data, Path tokenizer, Path cacheDir) {
    var dpo = models.get(0).dpo();
    int batch = config.eval().forwardBatch();
    long t0 = System.nanoTime();
    if (!dpo.referenceCache()) {
      log.info("reference log-probs: computing %d (dpo.reference_cache is off)", 2 * data.sequences().rows());
      return ReferenceLogProbCache.table(ReferenceLogProbCache.compute(lm, data.sequences(), batch, dpo.logprob(), null, dist));
    }
    ReferenceLogProbCache cache = new ReferenceLogProbCache(cacheDir.resolve("reference_logps"));
    String key = ReferenceLogProbCache.key(fingerprint, data.sequences(), tokenizer);
    float[][] table = cache.get(key, lm, data.sequences(), batch, dpo.logprob(), null, dist);
    log.info(String.format(Locale.ROOT, "reference log-probs of %d sequences: %s %s (%.1f s)", 2 * data.sequences().rows(),
        cache.hits() > 0 ? "reused" : "computed and stored in", cache.file(key), (System.nanoTime() - t0) / 1e9));
    return table;
  }

}
