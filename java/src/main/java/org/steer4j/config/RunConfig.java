package org.steer4j.config;

/**
 * Naming of a run.
 *
 * @param name the run's name, the suffix of its directory
 * @param outputDir where run directories go: {@code <output_dir>/<date>/<time>-<name>/}
 */
public record RunConfig(String name, String outputDir) {
  public RunConfig {
    if (name == null || name.isBlank()) throw new IllegalArgumentException("run.name must not be empty");
    if (outputDir == null || outputDir.isBlank()) throw new IllegalArgumentException("run.output_dir must not be empty");
  }

  public static RunConfig defaults() {
    return new RunConfig("run", "outputs");
  }
}
