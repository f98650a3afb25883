package org.steer4j.recipes;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.function.Supplier;
import org.steer4j.config.ConfigException;

/** Rules an experiment applies to the model files it names, with errors that name the file. */
final class ModelFiles {
  private ModelFiles() {}

  /**
   * A model file's {@code data.labels} used to choose its training users; now the experiment's
   * data section applies to every model and {@code sampler.labels} chooses them. A model file
   * whose data.labels differ from the experiment's would silently train on other users, so it is
   * refused, naming the file.
   *
   * @throws ConfigException naming the model file
   */
  static void checkLabels(Path modelFile, List<String> modelDataLabels, List<String> experimentLabels, List<String> samplerLabels) {
    if (!modelDataLabels.isEmpty() && !modelDataLabels.equals(experimentLabels)) {
      throw new ConfigException(modelFile + ": data.labels " + modelDataLabels + " differ from the experiment's " + experimentLabels
          + "; the experiment's data section applies to every model: to train this model on some users only, set sampler.labels"
          + " (and drop data.labels from the model file)");
    }
    if (!experimentLabels.isEmpty() && !new HashSet<>(experimentLabels).containsAll(samplerLabels)) {
      throw new ConfigException(modelFile + ": sampler.labels " + samplerLabels + " must be among the experiment's data.labels " + experimentLabels);
    }
  }

  /** Builds a model's effective config; a value it refuses is reported with the model file's name. */
  static <T> T named(Path modelFile, Supplier<T> build) {
    try {
      return build.get();
    } catch (ConfigException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new ConfigException(modelFile + ": " + e.getMessage(), e);
    }
  }
}
