package org.steer4j.recipes;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.policy.BaseModelConfig.PretrainConfig;
import org.steer4j.config.Configs;
import org.steer4j.policy.DpoConfig;
import org.steer4j.policy.PolicyDataConfig.DialogueConfig;
import org.steer4j.data.DialogueTokenizer;
import org.steer4j.data.DialogueWorld;
import org.steer4j.runtime.Rng;
import org.steer4j.kernels.Tape;
import org.steer4j.llm.ChatFormat;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.Family;
import org.steer4j.llm.ForwardOptions;
import org.steer4j.llm.ModelConfig;
import org.steer4j.llm.ModelDtype;
import org.steer4j.llm.TextTokenizer;
import org.steer4j.llm.WeightLayout;
import org.steer4j.policy.ChatEncoder;
import org.steer4j.policy.SequenceBatch;
import org.steer4j.policy.SequenceLogProbs;
import org.steer4j.train.Listeners;
import org.steer4j.train.Loop;
import org.steer4j.train.Step;
import org.steer4j.train.TrainingListener;
import java.util.Map;
import org.steer4j.run.RunLog;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.runtime.Fingerprint;
import org.steer4j.runtime.Provenance;
import org.steer4j.train.FusedAdam;

/**
 * The demo's base model: a small Llama-family decoder trained from random weights on the
 * dialogue world's grammar (prompt -> response, next-token loss on the response and its EOS,
 * AdamW, linear warm-up), so that it speaks the world's language and samples its whole range of
 * responses before any preference is learnt. The result is an ordinary Hugging Face checkpoint
 * directory with the world's word-level tokenizer beside it.
 *
 * <p>Cached: the directory is named by a fingerprint of the architecture, the recipe, the corpus
 * and the vocabulary, so a second run (or another experiment with the same settings) reuses it.
 */
public final class Pretraining {
  private final PretrainConfig config;
  private final DialogueConfig world;
  private final Device device;

  public Pretraining(PretrainConfig config, DialogueConfig world, Device device) {
    this.config = config;
    this.world = world;
    this.device = device;
  }

  /** The model's architecture: vocabulary of the world's tokenizer, tied embeddings. */
  public ModelConfig modelConfig() {
    return ModelConfig.of(Family.LLAMA, DialogueTokenizer.size(), config.hidden(), config.intermediate(), config.layers(), config.heads(),
        config.kvHeads(), config.hidden() / config.heads()).with("tie_word_embeddings", true);
  }

  /** The checkpoint directory under {@code cacheDir}: made now unless it exists. */
  public Path ensure(Path cacheDir, RunLog log) {
    Fingerprint f = new Fingerprint().add("dialogue-pretraining-v1").add(Configs.toYaml(config)).add(modelConfig().toJson().toString())
        .add(world.seed()).add(world.corpus())
        .add(Double.toString(world.answerableFraction()));
    for (String token : DialogueTokenizer.tokens()) f.add(token);
    String key = f.hex();
    Path dir = cacheDir.resolve("base").resolve("dialogue-" + key.substring(0, 16));
    if (Files.isRegularFile(dir.resolve(Provenance.FILE))) {  // written last: the model is complete
      log.info("base model: reusing %s (pretrained earlier with the same settings)", dir);
      return dir;
    }
    Path tmp = dir.resolveSibling("." + dir.getFileName() + ".tmp");
    try {
      AtomicFiles.deleteTree(tmp);
      Files.createDirectories(tmp);
      DialogueTokenizer.write(tmp);
      long started = System.nanoTime();
      double loss = train(tmp, log);
      log.info(String.format(Locale.ROOT, "base model: pretrained in %.1f s, final loss per response token %.3f", (System.nanoTime() - started) / 1e9, loss));
      Provenance.of("pretrain", config.seed(), world.corpus() + " dialogue examples of the dialogue world (seed " + world.seed() + ")")
          .withSteps(config.steps()).withInput("settings_and_vocabulary", key).writeInto(tmp);
      AtomicFiles.deleteTree(dir);
      Files.move(tmp, dir);
    } catch (IOException e) {
      throw new UncheckedIOException("can't write the pretrained model to " + dir, e);
    }
    return dir;
  }

  /** Trains a fresh model and saves it into {@code dir} (which holds the tokenizer); returns the final loss per token. */
  double train(Path dir, RunLog log) throws IOException {
    ModelConfig mc = modelConfig();
    DecoderLm lm = DecoderLm.random(mc, config.seed(), ModelDtype.FLOAT32, device);
    lm.trainBaseWeights(true);
    List<long[]> sequences = new ArrayList<>();
    List<Long> promptLengths = new ArrayList<>();
    try (TextTokenizer tokenizer = TextTokenizer.load(dir)) {
      ChatEncoder chat = new ChatEncoder(tokenizer, ChatFormat.PLAIN, null, DialogueTokenizer.EOS_ID);
      for (String[] example : DialogueWorld.corpus(world.corpus(), world.seed(), world.answerableFraction())) {
        long[] p = chat.prompt(example[0]), r = chat.response(example[0], example[1]);
        long[] s = java.util.Arrays.copyOf(p, p.length + r.length);
        System.arraycopy(r, 0, s, p.length, r.length);
        sequences.add(s);
        promptLengths.add((long) p.length);
      }
    }
    log.info("base model: pretraining %s (%.2fM parameters) on %d dialogue examples, %d steps of %d", mc,
        WeightLayout.parameterCount(mc) / 1e6, sequences.size(), config.steps(), config.batchSize());
    manual_seed(config.seed());
    NextTokenStep step = new NextTokenStep(lm, FusedAdam.of(lm.stateDict(), config.train()), sequences, promptLengths);
    lm.train(true);
    // No validation and no checkpoints: the run is a few seconds long and its result is cached.
    new Loop(step, new Loop.Settings(config.steps(), config.steps(), config.steps(), config.seed(), "pretrain"), null)
        .listen(Listeners.progress("pretrain"))
        .listen(new TrainingListener() {
          @Override
          public void onStep(long k, Map<String, Double> metrics) {
            if (k % Math.max(1, config.steps() / 5) == 0 || k == config.steps()) {
              log.info(String.format(Locale.ROOT, "base model: step %d/%d, loss per response token %.3f", k, config.steps(), step.average));
            }
          }
        })
        .run();
    lm.train(false);
    lm.trainBaseWeights(false);
    lm.save(dir, 1L << 30);
    return step.average;
  }

  /**
   * Next-token loss on the response tokens (and EOS) of random corpus examples, AdamW with a
   * linear warm-up over the first 5 % of the steps.
   */
  private final class NextTokenStep implements Step {
    private final DecoderLm lm;
    private final FusedAdam optimizer;
    private final List<long[]> sequences;
    private final List<Long> promptLengths;
    private final int warmup = Math.max(1, config.steps() / 20);
    private long step;
    double average = Double.NaN;  // exponential moving average of the loss per token

    NextTokenStep(DecoderLm lm, FusedAdam optimizer, List<long[]> sequences, List<Long> promptLengths) {
      this.lm = lm;
      this.optimizer = optimizer;
      this.sequences = sequences;
      this.promptLengths = promptLengths;
    }

    @Override
    public Map<String, Double> run(Rng rng) {
      ++step;
      optimizer.setLearningRate(config.lr() * Math.min(1.0, (double) step / warmup));
      List<long[]> batch = new ArrayList<>(config.batchSize());
      long[] prompts = new long[config.batchSize()];
      for (int i = 0; i < config.batchSize(); ++i) {
        int k = rng.nextInt(sequences.size());
        batch.add(sequences.get(k));
        prompts[i] = promptLengths.get(k);
      }
      SequenceBatch b = SequenceBatch.of(batch, prompts, device);
      optimizer.zeroGrad();
      Tape tape = new Tape();
      var labels = b.labels();
      Tensor logp = SequenceLogProbs.of(lm.logits(b.ids(), b.mask(), ForwardOptions.BASE), labels, DpoConfig.LogProb.FUSED, tape);
      double tokens = labels.mask().sum().item_double();
      Tensor loss = logp.sum().neg().div(new Scalar(tokens));
      tape.backward(loss);
      optimizer.step();
      double l = loss.item_double();
      average = Double.isNaN(average) ? l : 0.95 * average + 0.05 * l;
      return Map.of("loss", l);
    }

    @Override
    public FusedAdam optimizer() {
      return optimizer;
    }

    @Override
    public void save(Path dir, long step) {
      throw new UnsupportedOperationException("pretraining keeps no checkpoints");
    }

    @Override
    public void load(Path dir) {
      throw new UnsupportedOperationException("pretraining keeps no checkpoints");
    }
  }
}
