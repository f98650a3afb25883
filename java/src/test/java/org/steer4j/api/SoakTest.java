package org.steer4j.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.config.Configs;
import org.steer4j.data.DialogueWorld;
import org.steer4j.reward.RewardConfig;
import org.steer4j.reward.RewardData;
import org.steer4j.reward.RewardStep;
import org.steer4j.runtime.Native;
import org.steer4j.train.Loop;
import org.steer4j.train.TrainingListener;

/**
 * Soak: thousands of training steps and API calls (adapt, score, generate) must not leak native
 * memory. JavaCPP's tracked native bytes ({@code Pointer.totalBytes}) and the process's resident
 * set less the committed Java heap ({@code Pointer.physicalBytes}) are sampled; the least-squares
 * slope over the second half (the first is warm-up) must be flat: strictly for tracked memory
 * (1 MB over the window), loosely for resident memory, which moves in steps.
 * Longer: {@code STEER4J_SOAK_SCALE=20 mvn -B -pl java test -Dtest=SoakTest}.
 */
class SoakTest {
  static final int SCALE = Integer.parseInt(System.getenv().getOrDefault("STEER4J_SOAK_SCALE", "1"));
  @TempDir Path dir;

  /** Samples (calls done, tracked bytes, resident bytes). */
  static final class Meter {
    final List<double[]> samples = new ArrayList<>();

    void sample(long calls) {
      System.gc();
      // resident bytes less the Java heap the JVM has committed (heap growth is not a native leak)
      samples.add(new double[] {calls, Pointer.totalBytes(), Pointer.physicalBytes() - Runtime.getRuntime().totalMemory()});
    }

    /** Least-squares slope of column {@code k} per call, over the second half of the samples (the first is warm-up). */
    double slope(int k) {
      List<double[]> s = samples.subList(samples.size() / 2, samples.size());
      double mx = 0, my = 0;
      for (double[] p : s) {
        mx += p[0];
        my += p[k];
      }
      mx /= s.size();
      my /= s.size();
      double sxy = 0, sxx = 0;
      for (double[] p : s) {
        sxy += (p[0] - mx) * (p[k] - my);
        sxx += (p[0] - mx) * (p[0] - mx);
      }
      return sxy / sxx;
    }

    void report(String what) {
      double[] first = samples.get(0), last = samples.get(samples.size() - 1);
      System.out.printf(Locale.ROOT, "soak %s: %.0f calls, RSS less Java heap %.1f -> %.1f MB, tracked %.1f -> %.1f MB, slope %.1f B/call tracked, %.1f B/call RSS%n",
          what, last[0], first[2] / 1e6, last[2] / 1e6, first[1] / 1e6, last[1] / 1e6, slope(1), slope(2));
    }

    void assertFlat(String what, double callsAfterWarmup) {
      report(what);
      // tracked native memory: exactly what JavaCPP allocates and frees; any steady growth is a leak
      assertTrue(slope(1) * callsAfterWarmup < 1 << 20, what + ": tracked native memory grows " + slope(1) + " B per call");
      // resident memory less the Java heap moves in steps (glibc keeps freed blocks up to 32 MiB
      // mapped, runtime.Native; the JIT's code cache): more than 64 MB over the window is a leak
      assertTrue(slope(2) * callsAfterWarmup < 64 << 20, what + ": resident memory grows " + slope(2) + " B per call");
    }
  }

  @Test
  void trainingAndTheApisDoNotLeakNativeMemory() throws Exception {
    Native.init(2);
    // 1. training steps, through the one loop
    RewardConfig c = Configs.defaults(RewardConfig.class, List.of("data.size=2000", "model.hidden=32", "model.heads=4", "sampler.batch_size=16",
        "train.steps=" + 2000 * SCALE, "train.val_every=100000", "train.lr=1e-3"));
    RewardData data = RewardData.load(c.data());
    Meter training = new Meter();
    RewardStep step = RewardStep.create(c, data);
    new Loop(step, Loop.Settings.of(c.train(), c.train().steps(), 0), dir.resolve("ckpt")).listen(new TrainingListener() {
      @Override
      public void onStep(long k, java.util.Map<String, Double> metrics) {
        if (k % 100 == 0) training.sample(k);
      }
    }).run();
    training.assertFlat("train steps", 0.5 * 2000 * SCALE);

    // 2. the reward API: adapt and score
    RewardModel model = RewardModel.load(dir.resolve("ckpt").resolve("best"));
    Meter api = new Meter();
    float[][] options = {{0.1f}, {0.5f}, {0.9f}};
    for (int i = 1; i <= 3000 * SCALE; ++i) {
      UserReward u = model.adapt(RewardModelTest.context(i % 2, 1 + i % 9));
      u.rewards(options);
      u.preferenceProbability(options[0], options[2]);
      if (i % 150 == 0) api.sample(i);
    }
    api.assertFlat("reward api", 0.5 * 3000 * SCALE);

    // 3. the policy API: adapt and generate with the KV cache
    Path policyDir = Files.createDirectories(dir.resolve("policy"));
    PolicyModelTest.trainInto(policyDir);
    PolicyModel policy = PolicyModel.load(policyDir.resolve("model"), null, "cpu");
    Meter generation = new Meter();
    GenerationSettings sampled = new GenerationSettings(1.0, 0.95, 8, 1);
    for (int i = 1; i <= 300 * SCALE; ++i) {
      UserPolicy u = policy.adapt(PolicyModelTest.choices(i % 2 == 0 ? DialogueWorld.HONESTY : DialogueWorld.HELPFULNESS, 2));
      u.generate("what number am i thinking of ?", sampled);
      if (i % 15 == 0) generation.sample(i);
    }
    generation.assertFlat("policy adapt + generate", 0.5 * 300 * SCALE);
  }
}
