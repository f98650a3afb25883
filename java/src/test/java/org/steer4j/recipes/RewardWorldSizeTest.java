package org.steer4j.recipes;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.steer4j.config.ConfigException;
import org.steer4j.config.Configs;

/**
 * A world size a reward experiment can't run on (runtime.micro_batches, sampler.batch_size,
 * model.fused_decoder) is refused by {@link RewardExperiment#check()}, i.e. before a run directory
 * exists and before the data loads, naming the model and the key.
 */
class RewardWorldSizeTest {
  static final Path SYNTHETIC = Path.of("../configs/synthetic/experiment.yaml").toAbsolutePath().normalize();

  static RewardExperiment experiment(String... overrides) {
    List<String> all = new java.util.ArrayList<>(List.of("models=[nppl.yaml]"));
    all.addAll(List.of(overrides));
    RewardExperimentConfig c = Configs.load(RewardExperimentConfig.class, SYNTHETIC, all);
    return new RewardExperiment(c, SYNTHETIC.getParent(), null);
  }

  static String refusal(int world, String... overrides) {
    return assertThrows(ConfigException.class, () -> experiment(overrides).checkWorldSize(world)).getMessage();
  }

  @Test
  void synchronisedBatchNormWithoutTheFusedDecoderIsRefusedByName() {
    String m = refusal(2, "model_overrides=[model.fused_decoder=false]");
    assertTrue(m.startsWith("np-btl: ") && m.contains("model.fused_decoder: true"), m);
    assertDoesNotThrow(() -> experiment("model_overrides=[model.fused_decoder=false]").checkWorldSize(1), "one process needs no synchronisation");
    assertDoesNotThrow(() -> experiment("model_overrides=[model.fused_decoder=false]", "runtime.micro_batches=2").checkWorldSize(2),
        "local BatchNorm runs in the unfused decoder");
  }

  @Test
  void microBatchesTheWorldDoesNotDivideAndTooFewTasksAreRefused() {
    String m = refusal(2, "runtime.micro_batches=3");
    assertTrue(m.contains("runtime.micro_batches = 3 can't be shared by 2 ranks"), m);
    m = refusal(3, "model_overrides=[sampler.batch_size=2]");
    assertTrue(m.contains("3 ranks exceed sampler.batch_size = 2"), m);
    assertDoesNotThrow(() -> experiment("runtime.micro_batches=4", "model_overrides=[sampler.batch_size=5]").checkWorldSize(2));
  }

  @Test
  void rewardModelsOnCudaAreRefusedBeforeTheRunDirectory() {
    String m = refusal(1, "runtime.device=cuda");
    assertTrue(m.contains("runtime.device: reward models train on the CPU"), m);
  }
}
