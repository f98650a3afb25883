package org.steer4j.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.dist.TorchRunEnv;
import org.steer4j.io.SafeTensors;
import org.steer4j.run.MetricsLog;
import org.steer4j.runtime.Native;

/**
 * Data-parallel reward training on c10d / Gloo over loopback, each rank a fresh JVM ({@link
 * DataParallelRank}, 1 thread): two ranks equal one process that runs the same two micro-batches
 * in sequence (parameters, training and validation metrics), a run started on two ranks resumes
 * on one and continues as if uninterrupted, two ranks' sharded evaluation of a checkpoint writes
 * the results.csv of one process byte for byte, and a killed rank makes the other fail within the
 * timeout with an error naming it.
 */
public class DataParallelTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(2);
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A JVM running {@link DataParallelRank} as rank {@code rank} of {@code world} (a plain process when world is 1). */
  Process rank(int world, int rank, int port, Path out, int steps, Map<String, String> env) throws IOException {
    return rank(world, rank, port, out, steps, 2, env);
  }

  /** The same with {@code runtime.micro_batches} = {@code micro} (1: BatchNorm synchronised across the ranks). */
  Process rank(int world, int rank, int port, Path out, int steps, int micro, Map<String, String> env) throws IOException {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-cp",
        System.getProperty("java.class.path"), DataParallelRank.class.getName(), out.toString(), Integer.toString(steps), Integer.toString(micro));
    Files.createDirectories(out);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolve("rank" + rank + ".log").toFile());
    if (world > 1) pb.environment().putAll(TorchRunEnv.forLocalRank("127.0.0.1", port, world, rank, java.time.Duration.ofSeconds(20)));
    pb.environment().putAll(env);
    return pb.start();
  }

  public static void finish(Process p, Path log) throws Exception {
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "rank did not finish");
    assertEquals(0, p.exitValue(), Files.readString(log));
  }

  /** Trains on two ranks to step {@code steps} in {@code out} (rank 0 keeps the checkpoints). */
  void twoRanks(Path out, int steps) throws Exception {
    int port = freePort();
    Process r0 = rank(2, 0, port, out, steps, Map.of()), r1 = rank(2, 1, port, out, steps, Map.of());
    finish(r0, out.resolve("rank0.log"));
    finish(r1, out.resolve("rank1.log"));
  }

  public static Map<String, Tensor> weights(Path file) {
    try (SafeTensors st = SafeTensors.open(file)) {
      Map<String, Tensor> out = new java.util.LinkedHashMap<>();
      for (String n : st.names()) out.put(n, st.tensor(n).clone());
      return out;
    }
  }

  /** max |a - b| over every tensor. */
  static double maxDifference(Map<String, Tensor> a, Map<String, Tensor> b) {
    assertEquals(a.keySet(), b.keySet());
    double max = 0;
    for (String k : a.keySet()) max = Math.max(max, a.get(k).sub(b.get(k)).abs().max().item_double());
    return max;
  }

  /** The records of {@code out}/metrics.jsonl without the wall-time fields (step_ms, comm_ms), for comparing runs. */
  public static List<ObjectNode> metrics(Path out) throws IOException {
    List<ObjectNode> rows = MetricsLog.read(out.resolve("metrics.jsonl"));
    rows.forEach(r -> {
      r.remove("step_ms");
      r.remove("comm_ms");
    });
    return rows;
  }

  /** Every metric of every record within {@code tolerance} (absolute; steps and keys equal). */
  static double assertMetricsClose(List<ObjectNode> a, List<ObjectNode> b, double tolerance) {
    assertEquals(a.size(), b.size(), a + " vs " + b);
    double max = 0;
    for (int i = 0; i < a.size(); ++i) {
      assertEquals(a.get(i).get("step"), b.get(i).get("step"));
      List<String> keys = new ArrayList<>(), other = new ArrayList<>();
      a.get(i).fieldNames().forEachRemaining(keys::add);
      b.get(i).fieldNames().forEachRemaining(other::add);
      assertEquals(keys, other);
      for (Iterator<String> it = a.get(i).fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!a.get(i).get(k).isNumber()) continue;
        double x = a.get(i).get(k).asDouble(), y = b.get(i).get(k).asDouble();
        assertTrue(Math.abs(x - y) <= tolerance, "step " + a.get(i).get("step") + " " + k + ": " + x + " vs " + y);
        max = Math.max(max, Math.abs(x - y));
      }
    }
    return max;
  }

  @Test
  void twoRanksEqualOneProcessOverTheSameMicroBatchesAndResumeOnOne() throws Exception {
    Path two = dir.resolve("two"), one = dir.resolve("one"), resumed = dir.resolve("resumed");
    twoRanks(two, 4);
    // One process, two micro-batches in sequence: a fresh run, then the two-rank run resumed from its step 2.
    Process p = rank(1, 0, 0, one, 4, Map.of());
    finish(p, one.resolve("rank0.log"));
    DataParallelRank.copy(two.resolve("step2"), resumed.resolve("checkpoints").resolve("last"));
    finish(rank(1, 0, 0, resumed, 4, Map.of()), resumed.resolve("rank0.log"));

    Map<String, Tensor> rank0 = weights(two.resolve("rank0.safetensors")), rank1 = weights(two.resolve("rank1.safetensors"));
    assertEquals(0, maxDifference(rank0, rank1), "the ranks hold the same model");
    // Gradients: each micro-batch's are computed alike (same slice, seed, thread count), and the
    // all-reduce sums two of them, as accumulation does (a + b rounds alike in either order), so
    // the parameters are equal bit for bit. The BatchNorm running statistics are combined from
    // the ranks' updates in float64 instead of updated in sequence: float32 rounding (|x| < 10).
    Map<String, Tensor> single = weights(one.resolve("rank0.safetensors"));
    double running = 0;
    for (String k : rank0.keySet()) {
      double d = rank0.get(k).sub(single.get(k)).abs().max().item_double();
      if (k.contains("running")) assertTrue(d <= 1e-5, k + ": " + d);
      else assertEquals(0, d, k);
      if (k.contains("running")) running = Math.max(running, d);
    }
    // Training metrics are sums of the same per-micro-batch values; validation runs on rank 0
    // with those running statistics: float32 rounding of the loss (~1e-7), kept at 1e-5.
    double metricDifference = assertMetricsClose(metrics(two), metrics(one), 1e-5);
    System.out.printf("two ranks vs one process: parameters equal bit for bit, running statistics within %.2g, metrics within %.2g%n", running,
        metricDifference);

    Map<String, Tensor> continued = weights(resumed.resolve("rank0.safetensors"));
    for (String k : rank0.keySet()) {
      double d = rank0.get(k).sub(continued.get(k)).abs().max().item_double();
      if (k.contains("running")) assertTrue(d <= 1e-5, k + ": " + d);
      else assertEquals(0, d, k + " after resuming on one rank");
    }
    List<ObjectNode> tail = metrics(two).stream().filter(r -> r.get("step").asLong() > 2).toList();
    assertMetricsClose(tail, metrics(resumed), 1e-5);
  }

  @Test
  void twoRanksWithSynchronisedBatchNormEqualOneProcessOnTheWholeBatch() throws Exception {
    Path two = dir.resolve("sync-two"), one = dir.resolve("sync-one");
    int port = freePort();
    Process r0 = rank(2, 0, port, two, 4, 1, Map.of()), r1 = rank(2, 1, port, two, 4, 1, Map.of());
    Process single = rank(1, 0, 0, one, 4, 1, Map.of());
    finish(r0, two.resolve("rank0.log"));
    finish(r1, two.resolve("rank1.log"));
    finish(single, one.resolve("rank0.log"));
    Map<String, Tensor> rank0 = weights(two.resolve("rank0.safetensors")), rank1 = weights(two.resolve("rank1.safetensors"));
    assertEquals(0, maxDifference(rank0, rank1), "the ranks hold the same model (running statistics included)");
    Map<String, Tensor> whole = weights(one.resolve("rank0.safetensors"));
    StringBuilder report = new StringBuilder();
    for (String k : rank0.keySet()) {
      double d = rank0.get(k).sub(whole.get(k)).abs().max().item_double();
      report.append(String.format("%s %.2g; ", k, d));
    }
    System.out.println("synchronised BatchNorm, two ranks vs one process: " + report);
    double metricDifference = assertMetricsClose(metrics(two), metrics(one), 1e-5);
    System.out.printf("metrics within %.2g%n", metricDifference);
    assertTrue(maxDifference(rank0, whole) < 1e-5, report.toString());
  }

  /** A JVM of {@link DataParallelEvalRank} evaluating {@code checkpoint} as rank {@code rank} of {@code world}. */
  Process evalRank(int world, int rank, int port, Path checkpoint, Path out) throws IOException {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-cp",
        System.getProperty("java.class.path"), DataParallelEvalRank.class.getName(), checkpoint.toString(), out.toString());
    Files.createDirectories(out);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolve("rank" + rank + ".log").toFile());
    if (world > 1) pb.environment().putAll(TorchRunEnv.forLocalRank("127.0.0.1", port, world, rank, java.time.Duration.ofSeconds(20)));
    return pb.start();
  }

  @Test
  void twoRanksShardTheEvaluationAndElicitationAndWriteWhatOneProcessWrites() throws Exception {
    // A checkpoint to evaluate: two single-process steps (validation at 2 writes checkpoints/best).
    RewardConfig c = DataParallelRank.config(2, 1);
    RewardStep step = RewardStep.create(c, RewardData.load(c.data()), org.steer4j.dist.Distributed.single());
    Path best = new org.steer4j.train.Loop(step, org.steer4j.train.Loop.Settings.of(c.train(), 2, c.runtime().seed()), dir.resolve("checkpoints"))
        .run().best();
    Path two = dir.resolve("eval-two"), one = dir.resolve("eval-one");
    int port = freePort();
    Process r0 = evalRank(2, 0, port, best, two), r1 = evalRank(2, 1, port, best, two), single = evalRank(1, 0, 0, best, one);
    finish(r0, two.resolve("rank0.log"));
    finish(r1, two.resolve("rank1.log"));
    finish(single, one.resolve("rank0.log"));
    String csv = Files.readString(one.resolve("results.csv"));
    // 3 contexts x (labels 0, 1 and "all"), over 9 batches sharded 5 + 4
    assertEquals(1 + 3 * 3, csv.lines().count(), csv);
    assertEquals(csv, Files.readString(two.resolve("results.csv")), "two ranks' results.csv vs one process's");
    // and every double of every row (mean and SEM summed in batch order, as one process sums them),
    // the active-elicitation rows too (each user's session its own random stream)
    String rows = Files.readString(one.resolve("rows.txt"));
    assertEquals(3 * 4, rows.lines().filter(l -> l.startsWith("elicitation ")).count(), "3 strategies x Q = 0..3: " + rows);
    assertEquals(rows, Files.readString(two.resolve("rows.txt")), "rows, bit for bit");
  }

  @Test
  void aKilledRankMakesTheOtherFailNamingItWithinTheTimeout() throws Exception {
    Path out = dir.resolve("killed");
    int port = freePort();
    Map<String, String> timeout = Map.of(TorchRunEnv.TIMEOUT, "10");
    Process r0 = rank(2, 0, port, out, 6, timeout);
    Process r1 = rank(2, 1, port, out, 6, Map.of(TorchRunEnv.TIMEOUT, "10", "STEER4J_TEST_KILL_AT", "after-step@2"));
    assertTrue(r1.waitFor(2, TimeUnit.MINUTES));
    long killed = System.nanoTime();
    assertEquals(137, r1.exitValue(), Files.readString(out.resolve("rank1.log")));
    assertTrue(r0.waitFor(10, TimeUnit.SECONDS), "rank 0 still running 10 s (the timeout) after rank 1 was killed");
    double seconds = (System.nanoTime() - killed) / 1e9;
    String log = Files.readString(out.resolve("rank0.log"));
    assertEquals(75, r0.exitValue(), log);
    // the collective it was in (the step's all-reduce, validation's all-gather) failed, naming rank 1
    assertTrue(java.util.regex.Pattern.compile("rank 0: [a-z-]+ failed: rank 1 is gone").matcher(log).find(), log);
    System.out.printf("killed rank: rank 0 failed %.1f s after rank 1 died: %s%n", seconds,
        log.lines().filter(l -> l.startsWith("steer4j: error")).findFirst().orElse(""));
  }
}
