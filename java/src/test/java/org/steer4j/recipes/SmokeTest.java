package org.steer4j.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.config.Configs;
import org.steer4j.run.MetricsLog;
import org.steer4j.run.RunDirectory;

/** The smoke job fills a run directory, and one seed makes a CPU run bitwise repeatable. */
class SmokeTest {
  @TempDir Path dir;

  SmokeConfig config(long seed) {
    return Configs.defaults(SmokeConfig.class, List.of(
        "tasks=4", "rows_per_task=6", "target_width=8", "latent_width=5", "hidden=16",
        "iterations=2", "fit_steps=20", "runtime.threads=2", "runtime.seed=" + seed,
        "run.output_dir=" + dir));
  }

  List<String> trainLosses(RunDirectory run) throws Exception {
    return MetricsLog.read(run.metricsFile()).stream()
        .filter(r -> r.path("split").asText().equals("train"))
        .map(r -> r.path("loss").toString())
        .collect(Collectors.toList());
  }

  @Test
  void runDirectoryHoldsConfigMetricsCheckpointAndLog() throws Exception {
    SmokeConfig c = config(1);
    RunDirectory run = RunDirectory.create(dir, "smoke", c);
    var summary = new Smoke(c, run).run();
    assertTrue(summary.get("max_rel_error") < 1e-5, summary.toString());
    assertTrue(summary.get("fit_last_loss") < summary.get("fit_first_loss"), summary.toString());
    assertEquals(c, Configs.load(SmokeConfig.class, run.file("config.yaml"), List.of()));
    assertEquals(20, trainLosses(run).size());
    assertTrue(Files.size(run.checkpoints().resolve("last").resolve("decoder.safetensors")) > 0);
    assertTrue(Files.readString(run.file("run.log")).contains("fused vs eager"));
    assertTrue(run.path().getParent().getParent().equals(dir), "outputs/<date>/<time>-<name>: " + run);
  }

  @Test
  void sameSeedGivesBitwiseIdenticalTraining() throws Exception {
    RunDirectory a = RunDirectory.create(dir, "a", config(5));
    new Smoke(config(5), a).run();
    RunDirectory b = RunDirectory.create(dir, "b", config(5));
    new Smoke(config(5), b).run();
    RunDirectory c = RunDirectory.create(dir, "c", config(6));
    new Smoke(config(6), c).run();
    assertEquals(trainLosses(a), trainLosses(b));
    assertTrue(!trainLosses(a).equals(trainLosses(c)), "a different seed must change the run");
  }
}
