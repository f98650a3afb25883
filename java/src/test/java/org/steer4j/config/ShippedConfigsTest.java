package org.steer4j.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.steer4j.reward.RewardConfig;
import org.steer4j.recipes.RewardExperimentConfig;

/** Every shipped reward experiment and the model configs it names load and validate. */
class ShippedConfigsTest {
  static Stream<Path> rewardExperiments() throws IOException {
    try (Stream<Path> files = Files.walk(Path.of("../configs"))) {
      return files.filter(p -> p.getFileName().toString().equals("experiment.yaml"))
          .filter(p -> {
            try {
              return !Files.readString(p).contains("kind: policy");
            } catch (IOException e) {
              throw new RuntimeException(e);
            }
          })
          .toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("rewardExperiments")
  void experimentAndItsModelsLoad(Path experiment) {
    RewardExperimentConfig c = Configs.load(RewardExperimentConfig.class, experiment, List.of());
    assertFalse(c.models().isEmpty());
    for (String model : c.models()) {
      RewardConfig m = Configs.load(RewardConfig.class, experiment.getParent().resolve(model), List.of());
      assertTrue(m.run().name().length() > 0, model);
      assertTrue(m.data().labels().isEmpty() || m.data().labels().equals(c.data().labels()), model + ": training users belong in sampler.labels");
      for (String label : m.sampler().labels()) assertTrue(c.data().labels().contains(label), model + " trains on " + label + ", not an experiment label");
    }
  }
}
