package org.steer4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.run.MetricsLog;

/**
 * Kill -9 and resume, again and again: a training process is SIGKILLed at the phases where a
 * crash hurts most (before the first checkpoint, after a step's update, after a checkpoint is
 * written but before it is swapped in, between the two renames of the swap) and at random
 * moments, then resumed; the final results, every checkpoint byte and metrics.jsonl (every step
 * exactly once; step_ms excluded) equal those of an uninterrupted run.
 *
 * <p>About a minute on 2 cores (each session is a fresh JVM). The longer version, with more
 * random kills: {@code STEER4J_CRASH_KILLS=40 mvn -B -pl java test -Dtest=CrashResumeTest}.
 */
class CrashResumeTest {
  @TempDir Path dir;

  static final List<String> ARGS = List.of("data.size=400", "eval.batches=1", "eval.contexts=[0, 3]", "curves=false", "runtime.threads=1",
      "model_overrides=[train.steps=8, train.val_every=2, train.checkpoint_every=2, sampler.batch_size=4]");

  /** Runs the CLI in a fresh JVM; {@code killAt} (or null) arms the kill switch; {@code killAfterMs} > 0 kills it from outside. */
  int session(Path out, Path resume, String killAt, long killAfterMs) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), "org.steer4j.cli.Steer4j", "experiment",
        Path.of("../configs/synthetic/experiment.yaml").toString()));
    if (resume != null) cmd.addAll(List.of("--resume", resume.toString()));
    else {
      cmd.add("run.output_dir=" + out);
      cmd.addAll(ARGS);
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("session.log").toFile());
    if (killAt != null) pb.environment().put("STEER4J_TEST_KILL_AT", killAt);
    Process p = pb.start();
    if (killAfterMs > 0 && !p.waitFor(killAfterMs, TimeUnit.MILLISECONDS)) p.destroyForcibly();  // SIGKILL
    p.waitFor(5, TimeUnit.MINUTES);
    return p.exitValue();
  }

  static Path runDir(Path out) throws Exception {
    try (Stream<Path> s = Files.walk(out, 2)) {
      return s.filter(p -> p.getFileName().toString().endsWith("-synthetic")).findFirst().orElseThrow();
    }
  }

  /** Trains to the end through kills at {@code phases}, then {@code randomKills} kills at random moments. */
  Path trainThroughKills(String name, List<String> phases, int randomKills, long seed) throws Exception {
    Path out = dir.resolve(name);
    Random random = new Random(seed);
    Path run = null;
    int kills = 0;
    for (String phase : phases) {
      int code = session(out, run, phase, 0);
      assertEquals(137, code, phase + ": the session was killed there: " + Files.readString(dir.resolve("session.log")));
      if (run == null) run = runDir(out);
      ++kills;
    }
    for (int i = 0; i < randomKills; ++i) {
      if (run == null) {
        session(out, null, null, 1500 + random.nextInt(2500));
        run = runDir(out);
      } else {
        session(out, run, null, 1000 + random.nextInt(3000));
      }
      ++kills;
    }
    assertEquals(0, session(out, run, null, 0), Files.readString(dir.resolve("session.log")));
    System.out.printf("crash test %s: %d kills survived%n", name, kills);
    return run;
  }

  static List<String> metrics(Path file) throws Exception {
    List<String> out = new ArrayList<>();
    for (ObjectNode r : MetricsLog.read(file)) {
      r.remove("step_ms");
      out.add(r.toString());
    }
    return out;
  }

  @Test
  void killedAndResumedTrainingEqualsAnUninterruptedRun() throws Exception {
    Path straight = dir.resolve("straight");
    assertEquals(0, session(straight, null, null, 0), Files.readString(dir.resolve("session.log")));
    Path reference = runDir(straight);
    int randomKills = Integer.parseInt(System.getenv().getOrDefault("STEER4J_CRASH_KILLS", "2"));
    // phases in the order the run reaches them: the first model (btl) before its first checkpoint, after a
    // step, mid-checkpoint (written, not swapped in; swapped out, not in)
    Path killed = trainThroughKills("killed", List.of("after-step@1", "after-step@3", "checkpoint-written@4", "checkpoint-swapped@6"), randomKills,
        42);
    assertEquals(Files.readString(reference.resolve("results.csv")), Files.readString(killed.resolve("results.csv")));
    List<Path> files;
    try (Stream<Path> s = Files.walk(reference.resolve("models"))) {
      files = s.filter(Files::isRegularFile).toList();
    }
    int compared = 0;
    for (Path f : files) {
      Path other = killed.resolve(reference.relativize(f));
      String name = f.getFileName().toString();
      if (name.equals("metrics.jsonl")) {
        assertEquals(metrics(f), metrics(other), reference.relativize(f).toString());
      } else if (name.equals("config.yaml")) {  // names its run directory
        assertEquals(Files.readString(f).replace(reference.toString(), "RUN"), Files.readString(other).replace(killed.toString(), "RUN"));
      } else {
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(other), reference.relativize(f).toString());
      }
      ++compared;
    }
    assertTrue(compared >= 3 * (1 + 2 * 5), "every model's config, metrics and checkpoint files: " + compared);
    try (Stream<Path> s = Files.walk(killed)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp") || p.getFileName().toString().endsWith(".old")),
          "nothing half-written is left as if complete");
    }
  }
}
