package org.steer4j.recipes;
import org.steer4j.config.Checks;
import org.steer4j.config.RunConfig;
import org.steer4j.config.RuntimeConfig;

/**
 * The smoke job: the fused reward decoder checked against the eager composition, timed, and
 * fitted for a few optimiser steps through the autograd tape.
 *
 * @param tasks B, users per batch
 * @param rowsPerTask N = targets x 2 options
 * @param targetWidth Dt, width of a target encoding
 * @param latentWidth Dz, width of the latent z (0 = unconditioned)
 * @param hidden H, the decoder's hidden width
 * @param iterations timed forward+backward iterations per implementation
 * @param fitSteps Adam steps of the fit
 */
public record SmokeConfig(
    RunConfig run,
    RuntimeConfig runtime,
    int tasks,
    int rowsPerTask,
    int targetWidth,
    int latentWidth,
    int hidden,
    int iterations,
    int fitSteps,
    double lr) {
  public SmokeConfig {
    Checks.positive("tasks", tasks);
    Checks.positive("rows_per_task", rowsPerTask);
    Checks.positive("target_width", targetWidth);
    Checks.nonNegative("latent_width", latentWidth);
    Checks.positive("hidden", hidden);
    Checks.positive("iterations", iterations);
    Checks.nonNegative("fit_steps", fitSteps);
    Checks.positive("lr", lr);
  }

  public static SmokeConfig defaults() {
    return new SmokeConfig(new RunConfig("smoke", "outputs"), RuntimeConfig.defaults(), 64, 40, 256, 256, 256, 30, 200, 1e-3);
  }
}
