package org.steer4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.run.MetricsLog;

/**
 * {@code steer4j experiment --nproc 2}: two ranks (child JVMs with the torchrun variables) train
 * NP-BTL together; rank 0 alone writes the run (every step once in metrics.jsonl, with its
 * all-reduce time), records how its batches meet BatchNorm (synchronised across the ranks by
 * default), and evaluates.
 */
class DataParallelCommandTest {
  @TempDir Path dir;

  @Test
  void twoRanksTrainOneRunThatRankZeroWrites() throws Exception {
    Steer4jTest.Result r = Steer4jTest.run("experiment", "../configs/synthetic/experiment.yaml", "--nproc", "2", "--dist-timeout", "60",
        "run.output_dir=" + dir, "data.size=400", "eval.batches=1", "eval.contexts=[0, 3]", "curves=false", "runtime.threads=2",
        "models=[nppl.yaml]", "model_overrides=[train.steps=4, train.val_every=2, train.checkpoint_every=2, sampler.batch_size=4, model.hidden=32]");
    assertEquals(0, r.code(), r.err());
    Path run = CrashResumeTest.runDir(dir);
    assertTrue(Files.readString(run.resolve("config.yaml")).contains("micro_batches: 1"), "the run records how its batches meet BatchNorm");
    List<ObjectNode> train = MetricsLog.read(run.resolve("models/np-btl/metrics.jsonl")).stream()
        .filter(m -> m.path("split").asText().equals("train")).toList();
    assertEquals(List.of(1L, 2L, 3L, 4L), train.stream().map(m -> m.get("step").asLong()).toList());
    assertTrue(train.stream().allMatch(m -> m.has("comm_ms")), train.toString());
    assertTrue(Files.readString(run.resolve("run.log")).contains("2 ranks x 1 thread (BatchNorm synchronised across the ranks)"), Files.readString(run.resolve("run.log")));
    assertTrue(Files.readAllLines(run.resolve("results.csv")).size() > 1);
    assertTrue(Files.exists(run.resolve("models/np-btl/checkpoints/last/optimizer.safetensors")));
  }

  /** A rank JVM of {@code steer4j experiment} under torchrun's agent-store variables, attempt {@code attempt}. */
  static Process torchrunRank(Path out, int port, int rank, int attempt, java.util.Map<String, String> extra) throws Exception {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        Steer4j.class.getName(), "experiment", "../configs/synthetic/experiment.yaml", "run.output_dir=" + out.resolve("runs"), "data.size=400",
        "eval.batches=1", "eval.contexts=[0, 3]", "curves=false", "runtime.threads=2", "models=[nppl.yaml]",
        "model_overrides=[train.steps=6, train.val_every=2, train.checkpoint_every=2, sampler.batch_size=4, model.hidden=32]");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(out.resolve("attempt" + attempt + "-rank" + rank + ".log").toFile());
    pb.environment().putAll(org.steer4j.dist.TorchRunEnv.forLocalRank("127.0.0.1", port, 2, rank, java.time.Duration.ofSeconds(10)));
    pb.environment().put("TORCHELASTIC_USE_AGENT_STORE", "True");  // as torchrun sets them: its store outlives the workers
    pb.environment().put("TORCHELASTIC_RESTART_COUNT", Integer.toString(attempt));
    pb.environment().putAll(extra);
    return pb.start();
  }

  @Test
  void aJobTorchrunRestartsResumesTheRunItsFirstAttemptMade() throws Exception {
    Path out = dir.resolve("restarts");
    Files.createDirectories(out);
    org.steer4j.runtime.Native.init(1);
    int port = org.steer4j.reward.DataParallelTest.freePort();
    // torchrun's agent store, which outlives the workers, hosted here
    org.bytedeco.pytorch.TCPStoreOptions options = new org.bytedeco.pytorch.TCPStoreOptions();
    options.port((short) port).isServer(true).waitWorkers(false);
    options.retainReference();
    // Kept for the JVM's life, as Distributed keeps its stores: freeing a c10d store from Java
    // (close) while its server thread runs is not safe through the presets.
    new org.bytedeco.pytorch.TCPStore("127.0.0.1", options).retainReference();
    Process r0 = torchrunRank(out, port, 0, 0, java.util.Map.of());
    Process r1 = torchrunRank(out, port, 1, 0, java.util.Map.of("STEER4J_TEST_KILL_AT", "after-step@3"));  // dies after step 3
    assertTrue(r1.waitFor(3, java.util.concurrent.TimeUnit.MINUTES) && r0.waitFor(1, java.util.concurrent.TimeUnit.MINUTES));
    assertEquals(137, r1.exitValue(), Files.readString(out.resolve("attempt0-rank1.log")));
    assertEquals(75, r0.exitValue(), Files.readString(out.resolve("attempt0-rank0.log")));
    // torchrun restarts both workers with the same command line: the run goes on from its step-2 checkpoint
    Process s0 = torchrunRank(out, port, 0, 1, java.util.Map.of()), s1 = torchrunRank(out, port, 1, 1, java.util.Map.of());
    assertTrue(s0.waitFor(3, java.util.concurrent.TimeUnit.MINUTES) && s1.waitFor(1, java.util.concurrent.TimeUnit.MINUTES));
    String log = Files.readString(out.resolve("attempt1-rank0.log"));
    assertEquals(0, s0.exitValue(), log);
    assertEquals(0, s1.exitValue(), Files.readString(out.resolve("attempt1-rank1.log")));
    Path run = CrashResumeTest.runDir(out.resolve("runs"));
    assertTrue(log.contains("torchrun restarted the job: resuming " + run.toAbsolutePath()), log);
    try (var runs = Files.list(run.getParent())) {
      assertEquals(1, runs.count(), "one run directory: the restart continued it");
    }
    assertTrue(Files.readString(run.resolve("run.log")).contains("np-btl: resuming at step 3 of 6"), Files.readString(run.resolve("run.log")));
    List<ObjectNode> train = MetricsLog.read(run.resolve("models/np-btl/metrics.jsonl")).stream()
        .filter(m -> m.path("split").asText().equals("train")).toList();
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), train.stream().map(m -> m.get("step").asLong()).toList(), "every step once");
    assertTrue(Files.readAllLines(run.resolve("results.csv")).size() > 1);
  }
}
