package org.steer4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.steer4j.reward.DataParallelTest.finish;
import static org.steer4j.reward.DataParallelTest.freePort;
import static org.steer4j.reward.DataParallelTest.weights;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.dist.TorchRunEnv;
import org.steer4j.reward.DataParallelTest;
import org.steer4j.runtime.Native;

/**
 * Data-parallel DPO / NP-DPO on c10d / Gloo over loopback, each rank a fresh JVM ({@link
 * DpoDataParallelRank}, 1 thread): two ranks, one micro-batch each, equal one process running
 * the same two micro-batches of {@code dpo.gradient_accumulation = 2} in sequence, trained tensors
 * and every training and validation metric bit for bit.
 */
class DpoDataParallelTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(2);
  }

  Process rank(int world, int rank, int port, Path out, int steps) throws IOException {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-cp",
        System.getProperty("java.class.path"), DpoDataParallelRank.class.getName(), out.toString(), Integer.toString(steps));
    Files.createDirectories(out);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolve("rank" + rank + ".log").toFile());
    if (world > 1) pb.environment().putAll(TorchRunEnv.forLocalRank("127.0.0.1", port, world, rank, java.time.Duration.ofSeconds(30)));
    return pb.start();
  }



  @Test
  void twoRanksEqualOneProcessAccumulatingTheSameMicroBatches() throws Exception {
    Path two = dir.resolve("two"), one = dir.resolve("one");
    int steps = 4, port = freePort();
    // all three at once (one thread each): the results do not depend on timing
    Process r0 = rank(2, 0, port, two, steps), r1 = rank(2, 1, port, two, steps), single = rank(1, 0, 0, one, steps);
    finish(r0, two.resolve("rank0.log"));
    finish(r1, two.resolve("rank1.log"));
    finish(single, one.resolve("rank0.log"));

    // The reference log-probs, sharded by batch over the ranks: each batch computed alike, so the
    // gathered table is one process's bit for bit, on both ranks.
    Tensor reference = weights(one.resolve("reference0.safetensors")).get("logps");
    assertTrue(reference.size(0) * 2 > 3 * 8, "more than 3 batches of 8 sequences, so both ranks compute some: " + reference.size(0) + " pairs");
    for (int r = 0; r < 2; ++r) {
      assertTrue(weights(two.resolve("reference" + r + ".safetensors")).get("logps").equal(reference), "rank " + r + "'s reference log-probs");
    }

    Map<String, Tensor> rank0 = weights(two.resolve("rank0.safetensors")), rank1 = weights(two.resolve("rank1.safetensors"));
    Map<String, Tensor> alone = weights(one.resolve("rank0.safetensors"));
    assertEquals(rank0.keySet(), alone.keySet());
    assertTrue(rank0.keySet().stream().anyMatch(k -> k.startsWith("lm.")) && rank0.size() > 4, rank0.keySet().toString());
    for (String k : rank0.keySet()) {
      assertTrue(rank0.get(k).equal(rank1.get(k)), k + ": the ranks hold different tensors");
      // Each micro-batch's gradient is computed alike on a rank and in the one process (same
      // batch, dropout seed, thread count) and completed before it is summed; the all-reduce and
      // the accumulation then add the same two gradients (a + b rounds alike in either order).
      assertTrue(rank0.get(k).equal(alone.get(k)), k + ": two ranks differ from one process by "
          + rank0.get(k).sub(alone.get(k)).abs().max().item_double());
    }
    // Metrics: sums of the same per-micro-batch values, added in the same order; validation sharded, its totals added in batch order.
    List<ObjectNode> a = DataParallelTest.metrics(two), b = DataParallelTest.metrics(one);
    assertEquals(b, a);
    assertEquals(steps + 2, a.size(), "a record per step and per validation (steps 2 and 4): " + a);
    assertTrue(Files.exists(two.resolve("checkpoints").resolve("last").resolve("policy.safetensors")));
    System.out.println("DPO data parallel: two ranks vs one process: every trained tensor and metric equal bit for bit; " + a.get(a.size() - 1));
  }

  @Test
  void aWorldSizeThatDoesNotDivideTheAccumulationIsRefused() {
    PolicyConfig c = DpoDataParallelRank.config(2);
    var e = assertThrows(IllegalArgumentException.class, () -> DpoStep.checkWorldSize(c, 3));
    assertTrue(e.getMessage().contains("dpo.gradient_accumulation = 2 can't be shared by 3 ranks"), e.getMessage());
    DpoStep.checkWorldSize(c, 2);
    DpoStep.checkWorldSize(c, 1);
  }

  @Test
  void cudaOnSeveralRanksIsRefusedUntilNcclIsDriven() {
    PolicyConfig c = PolicyFixtures.policyConfig("np_dpo", List.of("dpo.gradient_accumulation=2", "runtime.device=cuda"));
    var e = assertThrows(IllegalArgumentException.class, () -> DpoStep.checkWorldSize(c, 2));
    assertTrue(e.getMessage().contains("runtime.device: cuda on 2 ranks") && e.getMessage().contains("NCCL"), e.getMessage());
    DpoStep.checkWorldSize(c, 1);  // one GPU: fine
    assertEquals("cuda:1", org.steer4j.config.RuntimeConfig.Device.CUDA.name(1), "a GPU per local rank");
    assertEquals("cpu", org.steer4j.config.RuntimeConfig.Device.CPU.name(1));
  }
}
