package org.steer4j.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.steer4j.runtime.InputException;
import org.steer4j.runtime.Native;

/** The torchrun environment contract (and a launch that breaks it between ranks), the buckets of the all-reduce, and a world of one. */
class DistributedTest {
  @Test
  void withoutWorldSizeTheProcessIsAWorldOfOne() {
    TorchRunEnv env = TorchRunEnv.of(Map.of());
    assertEquals(1, env.worldSize());
    assertEquals(0, env.rank());
    assertEquals(TorchRunEnv.DEFAULT_TIMEOUT, env.timeout());
  }

  @Test
  void theTorchrunVariablesAreRead() {
    TorchRunEnv env = TorchRunEnv.of(Map.of("MASTER_ADDR", "10.0.0.1", "MASTER_PORT", "29500", "WORLD_SIZE", "8", "RANK", "5", "LOCAL_RANK", "1",
        "LOCAL_WORLD_SIZE", "4", TorchRunEnv.TIMEOUT, "2.5"));
    assertEquals(new TorchRunEnv("10.0.0.1", 29500, 8, 5, 1, 4, Duration.ofMillis(2500)), env);
    assertEquals(2, env.threadsPerRank(8), "the machine's threads are shared by its 4 ranks");
    assertEquals(1, env.threadsPerRank(2), "at least one");
    assertTrue(org.steer4j.runtime.Warnings.printed().contains(
        "runtime.threads = 2 can't be shared evenly by the 4 ranks on this machine: each gets 1 thread(s), 4 in all"), "said, not silent");
    assertEquals(TorchRunEnv.of(TorchRunEnv.forLocalRank("127.0.0.1", 40000, 2, 1, Duration.ofSeconds(9))),
        new TorchRunEnv("127.0.0.1", 40000, 2, 1, 1, 2, Duration.ofSeconds(9)));
  }

  @Test
  void torchrunsAgentStoreScopesTheKeysByAttempt() {
    assertEquals("", TorchRunEnv.storePrefix(Map.of("TORCHELASTIC_RESTART_COUNT", "1")), "our own store: nothing outlives the job");
    assertEquals("/worker/attempt_1", TorchRunEnv.storePrefix(Map.of("TORCHELASTIC_USE_AGENT_STORE", "True", "TORCHELASTIC_RESTART_COUNT", "1")));
    assertEquals(1, TorchRunEnv.restartCount(Map.of("TORCHELASTIC_USE_AGENT_STORE", "True", "TORCHELASTIC_RESTART_COUNT", "1")));
    assertEquals(-1, TorchRunEnv.restartCount(Map.of("TORCHELASTIC_RESTART_COUNT", "1")), "not torchrun's store: no attempts to continue");
    assertEquals(null, Distributed.single().publishedByPreviousAttempt("run_dir"), "a world of one has no previous attempt");
  }

  @Test
  void aBrokenContractIsNamed() {
    assertTrue(assertThrows(InputException.class, () -> TorchRunEnv.of(Map.of("WORLD_SIZE", "2", "MASTER_PORT", "1"))).getMessage()
        .contains("RANK is not set"));
    assertTrue(assertThrows(InputException.class, () -> TorchRunEnv.of(Map.of("WORLD_SIZE", "2", "RANK", "2", "MASTER_PORT", "1"))).getMessage()
        .contains("RANK=2: must be in [0, WORLD_SIZE=2)"));
    assertTrue(assertThrows(InputException.class, () -> TorchRunEnv.of(Map.of("WORLD_SIZE", "two"))).getMessage().contains("WORLD_SIZE=two: not a number"));
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** What joining a job as {@code env} throws (null when it joined). */
  static Callable<RuntimeException> join(TorchRunEnv env) {
    return () -> {
      try {
        Distributed.start(env, Distributed.BUCKET_BYTES);
        return null;
      } catch (RuntimeException e) {
        return e;
      }
    };
  }

  @Test
  void emptySharesGatherOnEveryRank() throws Exception {
    int port = freePort();
    Duration timeout = Duration.ofSeconds(60);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<double[][]>> ranks = new java.util.ArrayList<>();
      for (int r = 0; r < 2; ++r) {
        TorchRunEnv env = new TorchRunEnv("127.0.0.1", port, 2, r, r, 2, timeout);
        ranks.add(pool.submit(() -> {
          Distributed dist = Distributed.start(env, Distributed.BUCKET_BYTES);
          try {
            assertEquals(2, dist.allGather(new double[0]).length, "nothing to gather (a 0-element tensor has no data pointer)");
            assertEquals(0, dist.shard(0, 3, i -> new double[3]).length);
            // tensors stack by rank: [W, 2, 3], rank r's filled with r + 1
            Tensor stacked = dist.allGather(org.bytedeco.pytorch.global.torch.ones(2, 3).mul(new org.bytedeco.pytorch.Scalar(env.rank() + 1.0)));
            assertEquals(List.of(2L, 2L, 3L), java.util.Arrays.stream(stacked.sizes().vec().get()).boxed().toList());
            assertEquals(6.0, stacked.select(0, 0).sum().item_double());
            assertEquals(12.0, stacked.select(0, 1).sum().item_double());
            assertEquals(0, dist.allGather(org.bytedeco.pytorch.global.torch.zeros(0, 3)).numel());
            return dist.shard(1, 2, i -> new double[] {i + 1, 7});  // one item: rank 1's share is empty
          } finally {
            dist.close();
          }
        }));
      }
      for (Future<double[][]> f : ranks) assertArrayEquals(new double[] {1, 7}, f.get(60, TimeUnit.SECONDS)[0]);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void ranksStartedWithDifferentWorldSizesFailAtOnceNamingIt() throws Exception {
    int port = freePort();
    Duration timeout = Duration.ofSeconds(60);  // Gloo alone waited minutes, then named neither rank nor variable
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      long t0 = System.nanoTime();
      Future<RuntimeException> zero = pool.submit(join(new TorchRunEnv("127.0.0.1", port, 2, 0, 0, 2, timeout)));
      Future<RuntimeException> one = pool.submit(join(new TorchRunEnv("127.0.0.1", port, 3, 1, 1, 3, timeout)));
      RuntimeException e0 = zero.get(30, TimeUnit.SECONDS), e1 = one.get(30, TimeUnit.SECONDS);
      assertTrue(e0 instanceof InputException && e0.getMessage().equals("rank 0: rank 1 was started with WORLD_SIZE=3, rank 0 with WORLD_SIZE=2"
          + " (every rank needs the same WORLD_SIZE)"), String.valueOf(e0));
      assertTrue(e1 instanceof InputException && e1.getMessage().startsWith("rank 1: WORLD_SIZE=3, but rank 0 started a world of WORLD_SIZE=2"),
          String.valueOf(e1));
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "well within the timeout");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aSecondProcessWithTheSameRankIsRefused() throws Exception {
    int port = freePort();
    Duration timeout = Duration.ofSeconds(3);  // rank 2 never comes: rank 0 and the first rank 1 time out
    Native.loadLibraries();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Future<RuntimeException> zero = pool.submit(join(new TorchRunEnv("127.0.0.1", port, 3, 0, 0, 3, timeout)));
      Future<RuntimeException> first = pool.submit(join(new TorchRunEnv("127.0.0.1", port, 3, 1, 1, 3, timeout)));
      Thread.sleep(1500);  // the first rank 1 has claimed its RANK (the libraries are loaded: see above)
      RuntimeException twin = pool.submit(join(new TorchRunEnv("127.0.0.1", port, 3, 1, 1, 3, timeout))).get(30, TimeUnit.SECONDS);
      assertTrue(twin instanceof InputException && twin.getMessage().startsWith("rank 1: RANK=1 is already taken by another process"),
          String.valueOf(twin));
      RuntimeException e0 = zero.get(60, TimeUnit.SECONDS);
      assertTrue(e0 instanceof DistributedException && e0.getMessage().startsWith("rank 0: rank 2 of 3 did not join"), String.valueOf(e0));
      assertTrue(first.get(60, TimeUnit.SECONDS) instanceof DistributedException);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void bucketsKeepOneDtypeAndCloseAtTheLimit() {
    Native.init(2);
    Tensor a = torch.zeros(10), b = torch.zeros(10), c = torch.zeros(30), d = torch.zeros(4).to(torch.ScalarType.Double), e = torch.zeros(1);
    List<List<Tensor>> buckets = Distributed.buckets(List.of(a, b, c, d, e), 100);  // 40 + 40 bytes fit; 120 alone; a dtype change closes
    assertEquals(List.of(2, 1, 1, 1), buckets.stream().map(List::size).toList());
  }

  @Test
  void aWorldOfOneReducesNothing() {
    Native.init(2);
    Distributed one = Distributed.single();
    Tensor t = torch.ones(3);
    one.allReduce(List.of(t), Distributed.Reduction.AVERAGE);
    one.broadcast(List.of(t), 0);
    one.barrier();
    assertEquals(3.0, t.sum().item_double());
    assertEquals(List.of(1.5, 2.5), java.util.Arrays.stream(one.allGather(new double[] {1.5, 2.5})[0]).boxed().toList());
    assertEquals(List.of("done"), List.of(one.gather("shards", "done")), "rank 0 of a world of one gathers its own value");
  }
}
