package org.steer4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.config.Configs;
import org.steer4j.reward.RewardConfig;
import org.steer4j.data.SyntheticWorld;
import org.steer4j.reward.RewardData;
import org.steer4j.runtime.Native;
import org.steer4j.reward.RewardTrainingTest;

/** The embedding API: load a trained NP-BTL, adapt it to users from a few choices, score. */
class RewardModelTest {
  @TempDir static Path dir;
  static RewardModel model;

  @BeforeAll
  static void train() {
    Native.init(2);
    RewardConfig c = Configs.defaults(RewardConfig.class, List.of("data.size=4000", "model.hidden=64",
        "sampler.batch_size=32", "train.steps=600", "train.lr=1e-3", "train.val_every=300", "train.val_batches=2"));
    RewardTrainingTest.train(c, RewardData.load(c.data()), dir.resolve("checkpoints"));
    model = RewardModel.load(dir);
  }

  /** Context pairs of a synthetic user of type {@code type}, options on a fixed grid. */
  static List<PreferencePair> context(int type, int n) {
    List<PreferencePair> pairs = new ArrayList<>();
    for (int i = 0; i < n; ++i) {
      float a = 0.05f + 0.9f * ((i * 7) % 10) / 10f, b = 0.03f + 0.9f * ((i * 3 + 5) % 10) / 10f;
      boolean aWins = SyntheticWorld.reward(a, type) > SyntheticWorld.reward(b, type);
      pairs.add(aWins ? new PreferencePair(new float[] {a}, new float[] {b}) : new PreferencePair(new float[] {b}, new float[] {a}));
    }
    return pairs;
  }

  @Test
  void adaptingToAUsersChoicesSteersTheReward() {
    assertTrue(model.conditional());
    assertEquals(1, model.inputWidth());
    UserReward type0 = model.adapt(context(0, 10)), type1 = model.adapt(context(1, 10));
    // Above 0.5 the two user types disagree: type 0 prefers larger y, type 1 smaller.
    float[] hi = {0.95f}, mid = {0.6f};
    assertTrue(type0.preferenceProbability(hi, mid) > 0.5, "type 0 prefers 0.95 over 0.6: " + type0.preferenceProbability(hi, mid));
    assertTrue(type1.preferenceProbability(hi, mid) < 0.5, "type 1 prefers 0.6 over 0.95: " + type1.preferenceProbability(hi, mid));
    assertTrue(type0.reward(hi) > type0.reward(mid) && type1.reward(hi) < type1.reward(mid));
    double p = type0.preferenceProbability(hi, mid), q = type0.preferenceProbability(mid, hi);
    assertEquals(1.0, p + q, 1e-6);
  }

  /** 16 threads adapting, scoring and comparing at once give exactly the serial results (a fixed intra-op thread count). */
  @Test
  void sixteenThreadsEqualSerialCallsBitForBit() throws Exception {
    float[][] options = new float[24][1];
    for (int i = 0; i < options.length; ++i) options[i][0] = i / 23f;
    java.util.function.IntFunction<float[]> work = user -> {
      UserReward u = model.adapt(context(user % 2, 1 + user % 7));
      float[] r = u.rewards(options);
      float[] out = java.util.Arrays.copyOf(r, r.length + 1);
      out[r.length] = (float) u.preferenceProbability(options[3], options[20]);
      return out;
    };
    List<float[]> serial = new ArrayList<>();
    for (int user = 0; user < 32; ++user) serial.add(work.apply(user));
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<float[]>> parallel = new ArrayList<>();
      for (int round = 0; round < 2; ++round) {
        for (int user = 31; user >= 0; --user) {
          final int u = user;
          parallel.add(pool.submit(() -> work.apply(u)));
        }
      }
      for (int i = 0; i < parallel.size(); ++i) {
        int user = 31 - i % 32;
        org.junit.jupiter.api.Assertions.assertArrayEquals(serial.get(user), parallel.get(i).get(), 0f, "user " + user);
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void refusesOptionsOfTheWrongWidthAndNonModels() {
    UserReward user = model.prior();
    var e = assertThrows(IllegalArgumentException.class, () -> user.reward(new float[] {1f, 2f}));
    assertTrue(e.getMessage().contains("the model expects 1"));
    var missing = assertThrows(IllegalArgumentException.class, () -> RewardModel.load(dir.resolve("nothing")));
    assertTrue(missing.getMessage().contains("not a steer4j reward model"));
  }

  @Test
  void nonFiniteOrMissingInputsAreRefusedNotScored() {
    UserReward user = model.prior();
    var e = assertThrows(IllegalArgumentException.class, () -> user.reward(new float[] {Float.NaN}));
    assertTrue(e.getMessage().contains("an option has NaN at feature 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> user.preferenceProbability(new float[] {0.5f}, new float[] {Float.POSITIVE_INFINITY}));
    assertTrue(e.getMessage().contains("Infinity at feature 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> model.adapt(List.of(new PreferencePair(new float[] {Float.NaN}, new float[] {0.2f}))));
    assertTrue(e.getMessage().contains("the chosen option has NaN"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> user.reward(null));
    assertThrows(IllegalArgumentException.class, () -> model.adapt(null));
    assertThrows(IllegalArgumentException.class, () -> user.rewards(null));
    assertEquals(0, user.rewards(new float[0][]).length, "no options, no rewards");
  }
}
