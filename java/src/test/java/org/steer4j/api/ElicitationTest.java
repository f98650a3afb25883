package org.steer4j.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.config.Configs;
import org.steer4j.reward.ModelCard;
import org.steer4j.reward.QuerySelector;
import org.steer4j.reward.QuerySelector.Strategy;
import org.steer4j.reward.RewardConfig;
import org.steer4j.reward.RewardNetFactory;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Provenance;
import org.steer4j.runtime.Rng;

/** Elicitation: each strategy's choice by hand, user states that restore bit for bit, foreign states refused, 16 threads = serial. */
class ElicitationTest {
  @TempDir static Path dir;
  static RewardModel model, other;

  static RewardModel tiny(Path d, long seed) throws Exception {
    RewardConfig c = Configs.defaults(RewardConfig.class, List.of("model.hidden=16", "model.heads=4", "model.latent=stochastic", "runtime.seed=" + seed));
    var net = RewardNetFactory.create(c, 2);
    RewardNetFactory.save(d, net, new ModelCard(c.model(), 2, List.of("0", "1"), Provenance.of("test", seed, "tiny")));
    return RewardModel.load(d);
  }

  @BeforeAll
  static void init() throws Exception {
    Native.init(1);
    model = tiny(dir.resolve("a"), 3);
    other = tiny(dir.resolve("b"), 4);
  }

  static List<PreferencePair> pool(int n, long seed) {
    Rng r = new Rng(seed);
    List<PreferencePair> out = new ArrayList<>();
    for (int i = 0; i < n; ++i) {
      out.add(new PreferencePair(new float[] {(float) r.nextDouble(), (float) r.nextDouble()}, new float[] {(float) r.nextDouble(), (float) r.nextDouble()}));
    }
    return out;
  }

  @Test
  void uncertaintyAsksThePairWhosePredictionIsClosestToAHalf() {
    List<PreferencePair> pool = pool(12, 1), answers = pool(3, 2);
    UserSession s = model.session(Strategy.UNCERTAINTY, 0);
    for (PreferencePair a : answers) s.answer(a, Answer.A);
    UserReward u = model.adapt(answers);
    int best = 0;
    for (int i = 1; i < pool.size(); ++i) {
      double pi = u.preferenceProbability(pool.get(i).chosen(), pool.get(i).rejected());
      double pb = u.preferenceProbability(pool.get(best).chosen(), pool.get(best).rejected());
      if (Math.abs(pi - 0.5) < Math.abs(pb - 0.5)) best = i;
    }
    assertEquals(pool.get(best), s.next(pool));
  }

  @Test
  void informationAsksThePairWithTheLargestExpectedInformationGain() {
    List<PreferencePair> pool = pool(12, 3), answers = pool(2, 4);
    UserSession s = model.session(Strategy.INFORMATION, 9);
    for (PreferencePair a : answers) s.answer(a, Answer.B);
    List<PreferencePair> moved = new ArrayList<>();
    for (PreferencePair a : answers) moved.add(new PreferencePair(a.rejected(), a.chosen()));
    // by hand: S samples z = mu + sigma * eps (eps from the session's stream), p_s per pair, BALD = H(mean p) - mean H(p)
    float[][] q = posterior(moved);
    Rng rng = Rng.derive(9, "session", 2);
    int samples = 32, h = q[0].length;
    double[][] p = new double[samples][pool.size()];
    for (int k = 0; k < samples; ++k) {
      float[] z = new float[h];
      float[] eps = new float[h];
      for (int j = 0; j < h; ++j) eps[j] = (float) rng.nextGaussian();
      for (int j = 0; j < h; ++j) z[j] = q[0][j] + q[1][j] * eps[j];
      UserReward u = model.fromLatent(z);
      for (int i = 0; i < pool.size(); ++i) p[k][i] = u.preferenceProbability(pool.get(i).chosen(), pool.get(i).rejected());
    }
    int best = -1;
    double bestGain = -1;
    for (int i = 0; i < pool.size(); ++i) {
      double mean = 0, meanH = 0;
      for (int k = 0; k < samples; ++k) {
        mean += p[k][i] / samples;
        meanH += entropy(p[k][i]) / samples;
      }
      double gain = entropy(mean) - meanH;
      if (gain > bestGain) {
        bestGain = gain;
        best = i;
      }
    }
    float[] gains = s.expectedGains(pool);
    assertEquals(bestGain, gains[best], 1e-4, "the session's gain of the hand-picked pair");
    assertEquals(pool.get(best), s.next(pool));
  }

  @Test
  void randomAsksWhatTheSeedDraws() {
    List<PreferencePair> pool = pool(12, 5);
    assertEquals(pool.get(Rng.derive(11, "session", 0).nextInt(12)), model.session(Strategy.RANDOM, 11).next(pool));
  }

  static double entropy(double p) {
    return p <= 0 || p >= 1 ? 0 : -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  }

  /** mu and sigma of q(z|C) for answers ordered chosen first. */
  static float[][] posterior(List<PreferencePair> answers) {
    int c = answers.size();
    float[] flat = new float[c * 4];
    for (int i = 0; i < c; ++i) {
      System.arraycopy(answers.get(i).chosen(), 0, flat, 4 * i, 2);
      System.arraycopy(answers.get(i).rejected(), 0, flat, 4 * i + 2, 2);
    }
    Tensor ctx = org.bytedeco.pytorch.global.torch.from_blob(new org.bytedeco.javacpp.FloatPointer(flat), new long[] {1, c, 2, 2},
        new org.bytedeco.pytorch.TensorOptions(org.bytedeco.pytorch.global.torch.ScalarType.Float)).clone();
    Tensor zeros = org.bytedeco.pytorch.global.torch.zeros(new long[] {1, c}, new org.bytedeco.pytorch.TensorOptions(org.bytedeco.pytorch.global.torch.ScalarType.Long));
    Tensor[] q = model.net().posterior(ctx, zeros);
    float[][] out = new float[2][(int) q[0].numel()];
    q[0].contiguous().data_ptr_float().get(out[0]);
    q[1].contiguous().data_ptr_float().get(out[1]);
    return out;
  }

  @Test
  void anExportedUserRestoresBitForBitAsBytesAndJson() {
    List<PreferencePair> pool = pool(20, 6);
    UserSession s = model.session(Strategy.INFORMATION, 1);
    for (int i = 0; i < 4; ++i) s.answer(s.next(pool), i == 2 ? Answer.NO_PREFERENCE : i % 2 == 0 ? Answer.A : Answer.B);
    UserState full = s.export(true), compact = s.export(false);
    for (UserState st : List.of(full, UserState.fromBytes(full.toBytes()), UserState.fromJson(full.toJson()))) {
      UserSession back = model.restore(st);
      assertArrayEquals(s.reward().latent(), back.reward().latent(), 0f);
      assertEquals(s.questionsAsked(), back.questionsAsked());
      assertEquals(s.next(pool), back.next(pool), "a restored full session keeps asking as the original would");
    }
    for (UserState st : List.of(compact, UserState.fromBytes(compact.toBytes()), UserState.fromJson(compact.toJson()))) {
      UserReward u = model.restore(st).reward();
      assertArrayEquals(s.reward().latent(), u.latent(), 0f);
      assertEquals(s.reward().reward(pool.get(0).chosen()), u.reward(pool.get(0).chosen()), 0f);
      assertThrows(IllegalStateException.class, () -> model.restore(st).next(pool), "a compact state is read-only");
    }
    assertEquals(60 + 4 * 16 + 4 * 16, compact.toBytes().length, "header, then the H = 16 mean and spread");
    assertArrayEquals(model.posterior(s.answers())[1], compact.spread(), 0f);
  }

  @Test
  void aStateFromAnotherModelIsRefused() {
    UserState st = model.session(Strategy.RANDOM, 0).export(true);
    var e = assertThrows(IllegalArgumentException.class, () -> other.restore(st));
    assertTrue(e.getMessage().contains("made with another model"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> UserState.fromBytes(java.util.Arrays.copyOf(st.toBytes(), 10)));
  }

  @Test
  void sessionsFromSixteenThreadsEqualSerialOnes() throws Exception {
    List<PreferencePair> pool = pool(30, 8);
    java.util.function.IntFunction<String> onboard = user -> {
      UserSession s = model.session(Strategy.values()[user % 3], user);
      StringBuilder sb = new StringBuilder();
      for (int q = 0; q < 5; ++q) {
        PreferencePair p = s.next(pool);
        sb.append(pool.indexOf(p)).append(',');
        s.answer(p, (user + q) % 3 == 0 ? Answer.B : Answer.A);
      }
      return sb + java.util.Arrays.toString(s.reward().latent());
    };
    List<String> serial = new ArrayList<>();
    for (int u = 0; u < 16; ++u) serial.add(onboard.apply(u));
    ExecutorService pool16 = Executors.newFixedThreadPool(16);
    try {
      List<Future<String>> parallel = new ArrayList<>();
      for (int u = 0; u < 16; ++u) {
        final int user = u;
        parallel.add(pool16.submit(() -> onboard.apply(user)));
      }
      for (int u = 0; u < 16; ++u) assertEquals(serial.get(u), parallel.get(u).get(), "user " + u);
    } finally {
      pool16.shutdown();
    }
  }
}
