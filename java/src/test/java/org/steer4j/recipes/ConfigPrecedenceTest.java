package org.steer4j.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.config.ConfigException;
import org.steer4j.config.Configs;
import org.steer4j.reward.RewardConfig;
import org.steer4j.run.RunDirectory;

/**
 * Precedence (docs/architecture.md): defaults < model file < experiment file and its
 * model_overrides < command line; the experiment's data section applies to every model, and an
 * error names the file a value came from.
 */
class ConfigPrecedenceTest {
  static final Path SYNTHETIC = Path.of("../configs/synthetic/experiment.yaml").toAbsolutePath().normalize();
  @TempDir Path dir;

  List<RewardConfig> models(Path experiment, String... overrides) {
    RewardExperimentConfig c = Configs.load(RewardExperimentConfig.class, experiment, List.of(overrides));
    return new RewardExperiment(c, experiment.getParent(), RunDirectory.create(dir, "t", c)).modelConfigs();
  }

  @Test
  void theSyntheticModelFilesRunOnAUsersDatasetWithItsOwnLabels() {
    for (RewardConfig m : models(SYNTHETIC, "data.source=pairs", "data.path=/data/mine", "data.labels=[helpfulness, honesty]")) {
      assertEquals(List.of("helpfulness", "honesty"), m.data().labels(), m.run().name());
      assertEquals("/data/mine", m.data().path());
    }
  }

  @Test
  void theCommandLineWinsOverTheExperimentWhichWinsOverTheModelFile() throws Exception {
    Path d = Files.createDirectories(dir.resolve("cfg"));
    Files.writeString(d.resolve("m.yaml"), "run: {name: m}\nruntime: {seed: 5}\ntrain: {lr: 0.5, steps: 3}\n");
    Files.writeString(d.resolve("e.yaml"), "runtime: {seed: 9}\ndata: {labels: ['0', '1']}\nmodels: [m.yaml]\nmodel_overrides: [train.lr=0.25]\n");
    RewardConfig m = models(d.resolve("e.yaml")).get(0);
    assertEquals(9, m.runtime().seed(), "experiment over model file");
    assertEquals(0.25, m.train().lr(), "model_overrides over model file");
    assertEquals(3, m.train().steps(), "model file over defaults");
    assertEquals(0.125, models(d.resolve("e.yaml"), "model_overrides=[train.lr=0.125]").get(0).train().lr(), "command line over experiment");
  }

  @Test
  void aModelFileWhoseDataLabelsDifferIsRefusedByName() throws Exception {
    Path d = Files.createDirectories(dir.resolve("cfg"));
    Files.writeString(d.resolve("old.yaml"), "run: {name: old}\ndata: {labels: [helpfulness]}\ntrain: {steps: 3}\n");
    Files.writeString(d.resolve("e.yaml"), "data: {labels: [helpfulness, honesty]}\nmodels: [old.yaml]\n");
    ConfigException e = assertThrows(ConfigException.class, () -> models(d.resolve("e.yaml")));
    assertTrue(e.getMessage().startsWith(d.resolve("old.yaml") + ": data.labels [helpfulness] differ") && e.getMessage().contains("sampler.labels"),
        e.getMessage());
    Files.writeString(d.resolve("old.yaml"), "run: {name: old}\nsampler: {labels: [truthfulness]}\ntrain: {steps: 3}\n");
    e = assertThrows(ConfigException.class, () -> models(d.resolve("e.yaml")));
    assertTrue(e.getMessage().startsWith(d.resolve("old.yaml") + ": sampler.labels [truthfulness] must be among"), e.getMessage());
  }
}
