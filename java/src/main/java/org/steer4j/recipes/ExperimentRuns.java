package org.steer4j.recipes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.steer4j.config.ConfigException;
import org.steer4j.config.Configs;
import org.steer4j.run.RunDirectory;
import org.steer4j.runtime.Warnings;

/**
 * Experiment run directories are self-contained: a new one keeps the effective experiment config
 * ({@code config.yaml}, with {@code runtime.threads} resolved to a number) and a copy of every
 * model file it names ({@code configs/}); {@code --resume} reads those copies, never the files
 * beside the command line's config, and refuses overrides that would change the run.
 */
public final class ExperimentRuns {
  /** The run directory's folder of model-file copies. */
  public static final String MODEL_FILES = "configs";

  private ExperimentRuns() {}

  /**
   * {@code overrides} plus {@code runtime.threads=N} when the config asks for all cores (0): the
   * count is part of the result (the kernels' reductions split by thread), so the run records it.
   */
  public static List<String> resolveThreads(int configuredThreads, List<String> overrides) {
    if (configuredThreads > 0) return overrides;
    List<String> out = new ArrayList<>(overrides);
    out.add("runtime.threads=" + Runtime.getRuntime().availableProcessors());
    return out;
  }

  /**
   * {@code overrides} plus {@code runtime.micro_batches=W} when the config leaves it to the world
   * size (0): the split of each batch decides the result (BatchNorm normalises each micro-batch
   * by itself), so the run records it and gives the same result when resumed at any world size
   * that divides it.
   */
  public static List<String> resolveMicroBatches(int configured, int worldSize, List<String> overrides) {
    if (configured > 0) return overrides;
    List<String> out = new ArrayList<>(overrides);
    out.add("runtime.micro_batches=" + worldSize);
    return out;
  }

  /** A fresh run directory with the effective config and copies of the config files it names (models, pipeline). */
  public static RunDirectory start(Path outputDir, String name, Object config, Path configDir, List<String> modelFiles) {
    Path copies = Path.of(MODEL_FILES);
    for (String f : modelFiles) {
      if (!Path.of(f).isAbsolute() && !copies.resolve(f).normalize().startsWith(copies)) {
        throw new ConfigException("models: '" + f + "' is outside the experiment file's folder; a run directory keeps copies of its model files,"
            + " so name them relative to the experiment file without '..'");
      }
    }
    RunDirectory run = RunDirectory.create(outputDir, name, config);
    try {
      for (String f : modelFiles) {
        if (Path.of(f).isAbsolute()) continue;  // named by its absolute path: read from there on a resume too
        Path to = run.path().resolve(MODEL_FILES).resolve(f);
        Files.createDirectories(to.getParent());
        Files.copy(configDir.resolve(f), to);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("can't copy the model files into " + run.path().resolve(MODEL_FILES), e);
    }
    return run;
  }

  /**
   * Where a run's model files are: its own copies, or, for a run directory of steer4j 0.1 that kept
   * none, {@code fallback} (with a warning).
   */
  public static Path modelFiles(Path runDir, Path fallback) {
    Path copies = runDir.resolve(MODEL_FILES);
    if (Files.isDirectory(copies)) return copies;
    Warnings.once(runDir + ": no copies of the model files (a run of steer4j 0.1); reading them beside the given config, " + fallback);
    return fallback;
  }

  /**
   * Refuses to resume with a config that differs from the run's own.
   *
   * @param savedModels, givenModels the effective configs of the run's models and of the command line's
   * @throws ConfigException listing every differing key
   */
  public static void refuseChanges(Path runDir, Object saved, Object given, List<?> savedModels, List<?> givenModels) {
    List<String> diff = new ArrayList<>(Configs.differences(saved, given));
    if (savedModels.size() != givenModels.size()) diff.add("models: " + savedModels.size() + " -> " + givenModels.size());
    for (int i = 0; i < Math.min(savedModels.size(), givenModels.size()); ++i) {
      for (String d : Configs.differences(savedModels.get(i), givenModels.get(i))) diff.add("model " + (i + 1) + " " + d);
    }
    // The elicitation evaluation reads the trained models and changes none of them: a finished run
    // can be evaluated again with other settings (the resume records them in its config.yaml).
    diff.removeIf(d -> d.startsWith("run.output_dir:") || d.matches("model \\d+ run\\.output_dir:.*") || d.startsWith("elicitation."));
    if (!diff.isEmpty()) {
      throw new ConfigException(runDir.resolve("config.yaml") + ": --resume with overrides that change the run ("
          + String.join("; ", diff) + "); a run continues with the configs it started with: resume without them, or start a new run");
    }
  }
}
