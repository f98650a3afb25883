package org.steer4j.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.policy.BaseModelConfig;
import org.steer4j.policy.PolicyConfig;
import org.steer4j.llm.TextConfig;
import org.steer4j.data.DialogueTokenizer;
import org.steer4j.data.DialogueWorld;
import org.steer4j.data.Split;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.ModelDtype;
import org.steer4j.policy.ChatEncoder;
import org.steer4j.policy.PolicyCard;
import org.steer4j.policy.PolicyData;
import org.steer4j.policy.PolicyFixtures;
import org.steer4j.policy.ReferenceLogProbCache;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Provenance;

/** The embedding API: load a trained policy, adapt it to a user from a few choices, generate. */
class PolicyModelTest {
  @TempDir static Path dir;
  static Path checkpoint;
  static PolicyData data;

  @BeforeAll
  static void train() throws Exception {
    trainInto(dir);
  }

  /** Trains a tiny NP-DPO policy under {@code dir} ({@code dir/model} is its run directory). */
  static void trainInto(Path dir) throws Exception {
    Native.init(2);
    Path base = dir.resolve("base");
    PolicyFixtures.model(5, 0.3).save(base, 1L << 30);
    DialogueTokenizer.write(base);
    ChatEncoder chat = PolicyFixtures.chat(base);
    PolicyConfig c = PolicyFixtures.policyConfig("np_dpo", List.of("train.steps=4"));
    DecoderLm model = DecoderLm.load(base, ModelDtype.FLOAT32, PolicyFixtures.cpu());
    data = PolicyFixtures.data(c.data(), model, chat, dir);
    float[][] reference = ReferenceLogProbCache.table(ReferenceLogProbCache.compute(model, data.sequences(), 64, c.dpo().logprob(), null));
    BaseModelConfig checkpointBase = new BaseModelConfig(BaseModelConfig.Source.CHECKPOINT, base.toAbsolutePath().toString(), "", ModelDtype.FLOAT32,
        TextConfig.Format.PLAIN, null, 96, BaseModelConfig.PretrainConfig.defaults());
    PolicyCard card = new PolicyCard(c.policy(), checkpointBase, data.pairs().width(), PolicyCard.BASE_EOS, data.labels(), c.dpo().beta(),
        Provenance.of("test", 3, data.description()).withInput(PolicyCard.BASE_INPUT, ReferenceLogProbCache.modelFingerprint(model)));
    checkpoint = PolicyFixtures.train(c, data, reference, card, DecoderLm.load(base, ModelDtype.FLOAT32, PolicyFixtures.cpu()), dir.resolve("model").resolve("checkpoints")).best();
  }

  /** Three choices of a user of {@code objective} from the test split, as texts. */
  static List<TextPreference> choices(String objective, int count) {
    int label = DialogueWorld.OBJECTIVES.indexOf(objective);
    List<TextPreference> out = new ArrayList<>();
    for (int row : data.world().rows(Split.TEST)) {
      DialogueWorld.Pair p = data.world().pairs().get(row);
      boolean aWins = p.choices()[label] == 0;
      out.add(new TextPreference(p.prompt().text(), aWins ? p.responseA() : p.responseB(), aWins ? p.responseB() : p.responseA()));
      if (out.size() == count) break;
    }
    return out;
  }

  @Test
  void adaptingFromTextsEqualsAdaptingFromTheTrainingFeatures() {
    PolicyModel policy = PolicyModel.load(checkpoint);
    assertTrue(policy.conditional());
    UserPolicy fromTexts = policy.adapt(choices(DialogueWorld.HONESTY, 3));
    // the same pairs' features as the trainer read them (the base model's EOS embeddings)
    List<PreferencePair> features = new ArrayList<>();
    int label = DialogueWorld.OBJECTIVES.indexOf(DialogueWorld.HONESTY);
    for (int row : data.world().rows(Split.TEST)) {
      float[] a = row(data.pairs().featuresA(), row), b = row(data.pairs().featuresB(), row);
      features.add(data.world().pairs().get(row).choices()[label] == 0 ? new PreferencePair(a, b) : new PreferencePair(b, a));
      if (features.size() == 3) break;
    }
    float[] z = fromTexts.latent(), expected = policy.adaptFeatures(features).latent();
    assertEquals(16, z.length);
    assertArrayEquals(expected, z, 1e-5f);
    assertFalse(java.util.Arrays.equals(z, policy.prior().latent()), "three choices move the latent from the prior");
  }

  static float[] row(org.bytedeco.pytorch.Tensor t, int row) {
    float[] out = new float[(int) t.size(1)];
    t.select(0, row).contiguous().data_ptr_float().get(out);
    return out;
  }

  @Test
  void generationIsSeededAndConditionedAndAdaptingTrainsNothing() {
    PolicyModel policy = PolicyModel.load(dir.resolve("model"), null, "cpu");  // a model directory: its checkpoints/best
    UserPolicy prior = policy.prior();
    UserPolicy honest = policy.adapt(choices(DialogueWorld.HONESTY, 4));
    String prompt = "what number am i thinking of ?";
    GenerationSettings sampled = new GenerationSettings(1.0, 0.95, 12, 42);
    String once = honest.generate(prompt, sampled);
    assertEquals(once, honest.generate(prompt, sampled), "same seed, same text");
    assertEquals(once, honest.generate(List.of(prompt, "what color is snow ?"), sampled).get(0), "prompt 0 of a batch draws as alone");
    // adapting is a forward pass: the prior is the same before and after
    assertArrayEquals(prior.latent(), policy.prior().latent(), 0f);
    assertArrayEquals(honest.latent(), policy.adapt(choices(DialogueWorld.HONESTY, 4)).latent(), 0f);
    // implicit rewards: beta (log pi - log pi_ref), defined for any response
    double r = honest.implicitReward(prompt, "nobody can know that .");
    assertTrue(Double.isFinite(r));
    assertNotEquals(r, prior.implicitReward(prompt, "nobody can know that ."), "the user's latent changes the policy");
  }

  @Test
  void anUnknownDirectoryIsAClearError() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> PolicyModel.load(dir.resolve("nope")));
    assertTrue(e.getMessage().contains("not a steer4j policy"), e.getMessage());
  }

  /** 16 threads adapting, scoring and generating at once give exactly the serial results (a fixed intra-op thread count). */
  @Test
  void sixteenThreadsEqualSerialCallsBitForBit() throws Exception {
    PolicyModel policy = PolicyModel.load(dir.resolve("model"), null, "cpu");
    String prompt = "what number am i thinking of ?";
    GenerationSettings sampled = new GenerationSettings(1.0, 0.95, 8, 7);
    java.util.function.IntFunction<String> work = user -> {
      UserPolicy u = policy.adapt(choices(user % 2 == 0 ? DialogueWorld.HONESTY : DialogueWorld.HELPFULNESS, 1 + user % 3));
      return u.generate(prompt, sampled) + "|" + Double.doubleToLongBits(u.implicitReward(prompt, "nobody can know that .")) + "|"
          + java.util.Arrays.toString(u.latent());
    };
    List<String> serial = new java.util.ArrayList<>();
    for (int user = 0; user < 6; ++user) serial.add(work.apply(user));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      List<java.util.concurrent.Future<String>> parallel = new java.util.ArrayList<>();
      for (int i = 0; i < 16; ++i) {
        final int user = i % 6;
        parallel.add(pool.submit(() -> work.apply(user)));
      }
      for (int i = 0; i < 16; ++i) assertEquals(serial.get(i % 6), parallel.get(i).get(), "user " + i % 6);
    } finally {
      pool.shutdown();
    }
  }
}
