package org.steer4j.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.config.Configs;
import org.steer4j.nn.Weights;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Provenance;

/** Saved reward models load through the one factory, those saved by steer4j 0.1 too. */
class RewardNetFactoryTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(1);
  }

  static RewardConfig config() {
    return Configs.defaults(RewardConfig.class, List.of("model.hidden=16", "model.heads=4", "runtime.seed=3"));
  }

  @Test
  void aSavedModelLoadsWithItsCardAndWeights() throws Exception {
    RewardNet net = RewardNetFactory.create(config(), 2);
    ModelCard card = new ModelCard(config().model(), 2, List.of("a", "b"), Provenance.of("test", 3, "two labels").withInput("x", "00").withSteps(7));
    RewardNetFactory.save(dir, net, card);
    assertEquals(card, RewardNetFactory.card(dir));
    assertWeightsEqual(net, RewardNetFactory.load(dir, false));
    assertEquals(dir, RewardNetFactory.checkpoint(dir));
  }

  @Test
  void aModelSavedBySteer4j01LoadsWithItsProvenanceUpgraded() throws Exception {
    RewardNet net = RewardNetFactory.create(config(), 1);
    Weights.save(net, dir.resolve(RewardNetFactory.WEIGHTS), Map.of("format", "pt", "producer", "steer4j"));
    // model.yaml exactly as steer4j 0.1 wrote it (from a run of the synthetic experiment)
    Files.writeString(dir.resolve(RewardNetFactory.CARD), String.join("\n",
        "model:", "  type: np_btl", "  hidden: 16", "  target_encoder: mlp", "  context_encoder: mlp", "  aggregator: self_attention",
        "  heads: 4", "  attention_dropout: 0.1", "  latent: deterministic", "  latent_samples: 1", "  beta_kl: 1.0",
        "  dpl_variant: mean_variance", "  dpl_k: 2.5066282746310002", "  dpl_buckets: 10", "  fused_decoder: true",
        "input_width: 1", "labels:", "- 0", "- 1", "data: \"synthetic world, 20000 pairs, seed 0; trained on users [0, 1]\"",
        "seed: 0", "steps: 60", "version: dev", ""));
    ModelCard card = RewardNetFactory.card(dir);
    assertEquals(new Provenance("steer4j dev", "reward_experiment", 0, 60, "synthetic world, 20000 pairs, seed 0; trained on users [0, 1]", Map.of()),
        card.provenance());
    assertEquals(List.of("0", "1"), card.labels());
    assertWeightsEqual(net, RewardNetFactory.load(dir, false));
  }

  @Test
  void aDirectoryWithoutAModelIsRefusedByName() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> RewardNetFactory.checkpoint(dir));
    assertTrue(e.getMessage().startsWith(dir.toString()) && e.getMessage().contains("model.yaml"), e.getMessage());
  }

  static void assertWeightsEqual(RewardNet a, RewardNet b) {
    Map<String, Tensor> x = Weights.state(a), y = Weights.state(b);
    assertEquals(x.keySet(), y.keySet());
    for (String k : x.keySet()) assertTrue(x.get(k).equal(y.get(k)), k);
  }
}
