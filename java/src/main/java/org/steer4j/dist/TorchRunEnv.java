package org.steer4j.dist;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.steer4j.runtime.InputException;

/**
 * Where this process sits in a data-parallel job, read from the environment contract of PyTorch's
 * launchers ({@code torchrun}, and so Slurm / Kubernetes recipes written for it): {@code
 * MASTER_ADDR}, {@code MASTER_PORT}, {@code WORLD_SIZE}, {@code RANK}, {@code LOCAL_RANK},
 * {@code LOCAL_WORLD_SIZE}. Without {@code WORLD_SIZE} the process is a world of one. steer4j
 * adds {@value #TIMEOUT} (seconds): how long a collective, or the rendezvous, may wait for the
 * other ranks before it fails.
 *
 * @param localWorldSize ranks on this machine (they share its cores: each gets {@code
 *     runtime.threads / localWorldSize} threads)
 */
public record TorchRunEnv(String masterAddr, int masterPort, int worldSize, int rank, int localRank, int localWorldSize, Duration timeout) {
  /** The collective and rendezvous timeout variable, in seconds. */
  public static final String TIMEOUT = "STEER4J_DIST_TIMEOUT";
  /** PyTorch's default for Gloo is 30 minutes; a rank of a small reward model never waits that long for a peer. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

  public TorchRunEnv {
    if (worldSize < 1) throw new InputException("WORLD_SIZE=" + worldSize + ": must be >= 1");
    if (rank < 0 || rank >= worldSize) throw new InputException("RANK=" + rank + ": must be in [0, WORLD_SIZE=" + worldSize + ")");
    if (localWorldSize < 1 || localRank < 0 || localRank >= localWorldSize) {
      throw new InputException("LOCAL_RANK=" + localRank + ", LOCAL_WORLD_SIZE=" + localWorldSize + ": need 0 <= LOCAL_RANK < LOCAL_WORLD_SIZE");
    }
    if (worldSize > 1 && (masterPort < 1 || masterPort > 65535)) throw new InputException("MASTER_PORT=" + masterPort + ": not a TCP port");
    if (timeout.isNegative() || timeout.isZero()) throw new InputException(TIMEOUT + ": must be > 0 seconds");
  }

  /** A world of one. */
  public static TorchRunEnv single() {
    return new TorchRunEnv("127.0.0.1", 0, 1, 0, 0, 1, DEFAULT_TIMEOUT);
  }

  public static TorchRunEnv fromEnvironment() {
    return of(System.getenv());
  }

  /** The contract read from {@code env}; a world of one when {@code WORLD_SIZE} is absent. */
  public static TorchRunEnv of(Map<String, String> env) {
    Duration timeout = env.containsKey(TIMEOUT) ? Duration.ofMillis(Math.round(1000 * number(env, TIMEOUT, 0))) : DEFAULT_TIMEOUT;
    if (!env.containsKey("WORLD_SIZE")) return new TorchRunEnv("127.0.0.1", 0, 1, 0, 0, 1, timeout);
    int world = (int) number(env, "WORLD_SIZE", 1);
    int rank = (int) number(env, "RANK", world == 1 ? 0 : -1);
    int localWorld = (int) number(env, "LOCAL_WORLD_SIZE", world);
    int localRank = (int) number(env, "LOCAL_RANK", rank % localWorld);
    String addr = env.getOrDefault("MASTER_ADDR", "127.0.0.1");
    int port = (int) number(env, "MASTER_PORT", world == 1 ? 0 : -1);
    return new TorchRunEnv(addr, port, world, rank, localRank, localWorld, timeout);
  }

  private static double number(Map<String, String> env, String key, double absent) {
    String v = env.get(key);
    if (v == null) {
      if (absent < 0) throw new InputException(key + " is not set (a data-parallel rank needs MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK)");
      return absent;
    }
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new InputException(key + "=" + v + ": not a number");
    }
  }

  /**
   * The part of a store key that names this attempt of the job: under torchrun's agent store
   * ({@code TORCHELASTIC_USE_AGENT_STORE=True}: the store on MASTER_PORT is torchrun's, and outlives
   * a restart of the workers) {@code /worker/attempt_<TORCHELASTIC_RESTART_COUNT>}, as PyTorch's
   * {@code env://} rendezvous prefixes its keys; else none. Every steer4j key and Gloo's (through
   * a {@code PrefixStore}) carry it ({@code Distributed.key}).
   */
  public static String storePrefix(Map<String, String> env) {
    long attempt = restartCount(env);
    return attempt < 0 ? "" : attemptPrefix(attempt);
  }

  /** The store key part of attempt {@code attempt} under torchrun's agent store. */
  static String attemptPrefix(long attempt) {
    return "/worker/attempt_" + attempt;
  }

  /**
   * The attempt of a job under torchrun's agent store: {@code TORCHELASTIC_RESTART_COUNT} (0 for
   * the first, n after n restarts of the workers); -1 without torchrun's agent store.
   */
  public static long restartCount(Map<String, String> env) {
    if (!"True".equals(env.get("TORCHELASTIC_USE_AGENT_STORE"))) return -1;
    return (long) number(env, "TORCHELASTIC_RESTART_COUNT", 0);
  }

  /** The variables a launcher gives rank {@code rank} of a job of {@code world} on this machine. */
  public static Map<String, String> forLocalRank(String addr, int port, int world, int rank, Duration timeout) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MASTER_ADDR", addr);
    env.put("MASTER_PORT", Integer.toString(port));
    env.put("WORLD_SIZE", Integer.toString(world));
    env.put("RANK", Integer.toString(rank));
    env.put("LOCAL_RANK", Integer.toString(rank));
    env.put("LOCAL_WORLD_SIZE", Integer.toString(world));
    env.put(TIMEOUT, Double.toString(timeout.toMillis() / 1000.0));
    return env;
  }

  public TorchRunEnv withTimeout(Duration t) {
    return new TorchRunEnv(masterAddr, masterPort, worldSize, rank, localRank, localWorldSize, t);
  }

  /** The threads of one rank when the run has {@code threads} for this machine (0 = all cores): split evenly, at least 1. */
  public int threadsPerRank(int threads) {
    int all = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    if (all < localWorldSize || all % localWorldSize != 0) {
      org.steer4j.runtime.Warnings.once("runtime.threads = " + all + " can't be shared evenly by the " + localWorldSize
          + " ranks on this machine: each gets " + Math.max(1, all / localWorldSize) + " thread(s), "
          + Math.max(1, all / localWorldSize) * localWorldSize + " in all");
    }
    return Math.max(1, all / localWorldSize);
  }
}
