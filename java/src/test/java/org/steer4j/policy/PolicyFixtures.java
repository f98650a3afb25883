package org.steer4j.policy;

import java.io.IOException;
import org.steer4j.train.Loop;
import org.steer4j.train.TrainingListener;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.steer4j.config.Configs;
import org.steer4j.data.DialogueTokenizer;
import org.steer4j.io.TensorCache;
import org.steer4j.llm.ChatFormat;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.Family;
import org.steer4j.llm.ModelConfig;
import org.steer4j.llm.ModelDtype;
import org.steer4j.llm.RandomWeights;
import org.steer4j.llm.TextTokenizer;

/** Tiny models and a tiny dialogue world for the policy tests (random weights: no pretraining). */
public final class PolicyFixtures {
  /**
   * A CPU device. A new one per call: a Device made inside a test's PointerScope is freed with
   * it, so a shared static one would dangle after the first test.
   */
  public static Device cpu() {
    return new Device("cpu");
  }

  private PolicyFixtures() {}

  /** A 2-layer Llama-family config over the dialogue vocabulary (GQA: 4 query heads on 2 KV heads). */
  public static ModelConfig config() {
    return ModelConfig.of(Family.LLAMA, DialogueTokenizer.size(), 32, 64, 2, 4, 2, 8);
  }

  /** A random model; {@code std} > 0.02 makes its next-token distributions peaked (no near-ties in greedy tests). */
  public static DecoderLm model(long seed, double std) {
    return DecoderLm.of(config(), new RandomWeights(config(), seed, std), ModelDtype.FLOAT32, cpu());
  }

  /** The dialogue tokenizer written into {@code dir}, in the plain chat format. */
  public static ChatEncoder chat(Path dir) throws IOException {
    DialogueTokenizer.write(dir);
    return new ChatEncoder(TextTokenizer.load(dir), ChatFormat.PLAIN, null, DialogueTokenizer.EOS_ID);
  }

  /** A policy config of tiny sizes; {@code overrides} as on the command line. */
  public static PolicyConfig policyConfig(String type, List<String> overrides) {
    List<String> all = new java.util.ArrayList<>(List.of("policy.type=" + type, "policy.latent=16", "policy.heads=2", "policy.lora.rank=2",
        "policy.lora.alpha=4", "policy.lora.dropout=0.1", "sampler.batch_size=2", "sampler.targets=3", "sampler.min_context=0",
        "sampler.max_context=3", "sampler.context=disjoint", "train.lr=1e-2", "train.steps=6", "train.val_every=3", "train.val_batches=2",
        "train.checkpoint_every=3", "data.dialogue.size=200", "runtime.seed=3", "dpo.beta=0.5"));
    all.addAll(overrides);
    return Configs.defaults(PolicyConfig.class, all);
  }

  /** The tiny dialogue world's data on {@code model} (context features: its EOS embeddings, cached in {@code dir}). */
  public static PolicyData data(PolicyDataConfig config, DecoderLm model, ChatEncoder chat, Path dir) {
    return PolicyData.load(config, model, ReferenceLogProbCache.modelFingerprint(model), chat, 96, new TensorCache(dir.resolve("embeddings")), null);
  }

  /** Trains a fresh policy of {@code config} on {@code base} in the one loop, with checkpoints in {@code dir}. */
  public static Loop.Result train(PolicyConfig config, PolicyData data, float[][] reference, PolicyCard card, DecoderLm base, Path dir,
      TrainingListener... listeners) {
    DpoStep step = new DpoStep(PolicyFactory.create(config, base, data.pairs().width()), config, data, reference, card);
    Loop loop = new Loop(step, Loop.Settings.of(config.train(), DpoStep.totalSteps(config, data), config.runtime().seed()), dir);
    for (TrainingListener l : listeners) loop.listen(l);
    return loop.run();
  }
}
