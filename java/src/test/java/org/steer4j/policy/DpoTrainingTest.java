package org.steer4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.runtime.Provenance;
import org.steer4j.io.SafeTensors;
import org.steer4j.llm.DecoderLm;
import org.steer4j.runtime.Native;
import org.steer4j.train.Checkpoints;
import org.steer4j.train.TrainingListener;

/** DPO / NP-DPO training: resuming from the last checkpoint changes nothing; metrics per optimiser step. */
class DpoTrainingTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(2);
  }

  record Setup(PolicyConfig config, PolicyData data, float[][] reference, PolicyCard card) {}

  Setup setup(String type, int steps, List<String> more) throws Exception {
    List<String> overrides = new ArrayList<>(List.of("train.steps=" + steps));
    overrides.addAll(more);
    PolicyConfig c = PolicyFixtures.policyConfig(type, overrides);
    ChatEncoder chat = PolicyFixtures.chat(dir.resolve("tokenizer"));
    DecoderLm model = PolicyFixtures.model(5, 0.05);
    PolicyData data = PolicyFixtures.data(c.data(), model, chat, dir);
    float[][] reference = ReferenceLogProbCache.table(ReferenceLogProbCache.compute(model, data.sequences(), 64, c.dpo().logprob(), null));
    PolicyCard card = new PolicyCard(c.policy(), c.base(), data.pairs().width(), PolicyCard.BASE_EOS, data.labels(), c.dpo().beta(),
        Provenance.of("test", c.runtime().seed(), data.description()));
    return new Setup(c, data, reference, card);
  }

  static Map<String, Tensor> weights(Path checkpoint) {
    Map<String, Tensor> out = new java.util.LinkedHashMap<>();
    try (SafeTensors st = SafeTensors.open(checkpoint.resolve("policy.safetensors"))) {
      for (String name : st.names()) out.put(name, st.tensor(name));
    }
    return out;
  }

  @Test
  void resumingFromTheLastCheckpointContinuesBitForBit() throws Exception {
    Setup full = setup("np_dpo", 6, List.of());
    Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
    List<Map<String, Double>> straightMetrics = new ArrayList<>(), resumedMetrics = new ArrayList<>();
    PolicyFixtures.train(full.config(), full.data(), full.reference(), full.card(), PolicyFixtures.model(5, 0.05), straight, collect(straightMetrics));
    // the same run interrupted after step 3 (its last checkpoint), then restarted in a new process
    Setup half = setup("np_dpo", 3, List.of());
    PolicyFixtures.train(half.config(), half.data(), half.reference(), half.card(), PolicyFixtures.model(5, 0.05), resumed, collect(resumedMetrics));
    var result = PolicyFixtures.train(full.config(), full.data(), full.reference(), full.card(), PolicyFixtures.model(5, 0.05), resumed, collect(resumedMetrics));
    assertEquals(6, result.steps());
    Map<String, Tensor> a = weights(straight.resolve("last")), b = weights(resumed.resolve("last"));
    assertEquals(a.keySet(), b.keySet());
    for (String k : a.keySet()) assertTrue(a.get(k).equal(b.get(k)), k + " differs after resume");
    assertEquals(straightMetrics, resumedMetrics, "every step's metrics, loss included, as the uninterrupted run");
    // The same best checkpoint (its totalSteps records the run that wrote it: 3 when the
    // interrupted run found the best step, so only the best step and loss are compared).
    Checkpoints.State bestA = Checkpoints.readState(straight.resolve("best")), bestB = Checkpoints.readState(resumed.resolve("best"));
    assertEquals(bestA.bestStep(), bestB.bestStep());
    assertEquals(bestA.bestValLoss(), bestB.bestValLoss());
    String card = Files.readString(result.last().resolve("policy.yaml"));
    assertTrue(card.contains("steps: 6") && card.contains("type: np_dpo"), card);
    assertTrue(Files.exists(result.last().resolve("optimizer.safetensors")) && Files.exists(result.last().resolve("adapter/adapter_config.json")));
  }

  @Test
  void metricsAreAveragedOverTheWholeOptimiserStepWithGradientAccumulation() throws Exception {
    Setup s = setup("dpo", 2, List.of("dpo.gradient_accumulation=3", "train.val_every=100"));
    List<Map<String, Double>> metrics = new ArrayList<>();
    PolicyFixtures.train(s.config(), s.data(), s.reference(), s.card(), PolicyFixtures.model(5, 0.05), dir.resolve("acc"), collect(metrics));
    assertEquals(2, metrics.size(), "one record per optimiser step, not per micro-batch");
    for (Map<String, Double> m : metrics) {
      for (String key : List.of("loss", "rewards_chosen", "rewards_rejected", "margin", "accuracy")) assertTrue(m.containsKey(key), key);
      assertEquals(m.get("rewards_chosen") - m.get("rewards_rejected"), m.get("margin"), 1e-9);
      // 3 batches x 2 tasks x 3 targets = 18 pairs: accuracy is a multiple of 1/18
      double pairs = m.get("accuracy") * 18;
      assertEquals(Math.rint(pairs), pairs, 1e-9, "accuracy over all 18 pairs of the step");
    }
    // at step 1 the policy is its reference: every implicit reward is 0, the loss log 2
    assertEquals(Math.log(2), metrics.get(0).get("loss"), 1e-4);
  }

  static TrainingListener collect(List<Map<String, Double>> into) {
    return new TrainingListener() {
      @Override
      public void onStep(long step, Map<String, Double> metrics) {
        Map<String, Double> m = new java.util.LinkedHashMap<>(metrics);
        m.remove("step_ms");
        into.add(m);
      }
    };
  }
}
