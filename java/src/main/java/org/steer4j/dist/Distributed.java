package org.steer4j.dist;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.PrefixStore;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.gloo.Device;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_gloo;
import org.steer4j.runtime.InputException;
import org.steer4j.runtime.Native;

/**
 * Data-parallel collectives on PyTorch's own distributed engine (c10d): a {@code TCPStore} on
 * {@code MASTER_ADDR:MASTER_PORT} (hosted by rank 0) for the rendezvous, and a {@code
 * ProcessGroupGloo} over TCP for the collectives, on CPU tensors. A world of one ({@link #single})
 * makes every collective a no-op, so callers never branch on the world size.
 *
 * <p>Every collective waits at most the job's timeout ({@link TorchRunEnv#timeout}, the Gloo
 * option); a {@link Heartbeat} names the rank at fault when one fails, and ends this process when
 * a rank has been gone for longer than the timeout. Collectives are called from one thread.
 */
public final class Distributed implements AutoCloseable {
  /** Gradient buckets of about this many bytes are all-reduced as one flat buffer (DDP's default bucket_cap_mb). */
  public static final long BUCKET_BYTES = 25L << 20;

  private final TorchRunEnv env;
  private final TCPStore store;
  private final ProcessGroupGloo group;
  private final Heartbeat heartbeat;
  private final long bucketBytes;
  private long communicationNanos;
  private boolean closed;

  public enum Reduction {
    SUM,
    AVERAGE
  }

  private Distributed(TorchRunEnv env, TCPStore store, ProcessGroupGloo group, Heartbeat heartbeat, long bucketBytes) {
    this.env = env;
    this.store = store;
    this.group = group;
    this.heartbeat = heartbeat;
    this.bucketBytes = bucketBytes;
  }

  /** A world of one: every collective is a no-op. */
  /**
   * This attempt's store key for {@code path}: under torchrun's agent store, which outlives a
   * restart of the workers ({@code --max-restarts}), every key of an attempt carries its number
   * ({@link TorchRunEnv#storePrefix}), as PyTorch's env:// rendezvous scopes its keys, so a
   * restarted job never reads the attempt before's.
   */
  static String key(String path) {
    return "steer4j" + ATTEMPT + "/" + path;
  }

  private static final String ATTEMPT = TorchRunEnv.storePrefix(System.getenv());

  public static Distributed single() {
    return new Distributed(TorchRunEnv.single(), null, null, null, BUCKET_BYTES);
  }

  /** The job this process belongs to according to its environment (a world of one without {@code WORLD_SIZE}). */
  public static Distributed fromEnvironment() {
    return start(TorchRunEnv.fromEnvironment(), BUCKET_BYTES);
  }

  /** The same with the collective timeout {@code timeout} (null: the environment's). */
  public static Distributed fromEnvironment(java.time.Duration timeout) {
    TorchRunEnv env = TorchRunEnv.fromEnvironment();
    return start(timeout == null ? env : env.withTimeout(timeout), BUCKET_BYTES);
  }

  /**
   * Joins the job: rank 0 hosts the store, every rank connects and builds the Gloo process group
   * (this returns when all {@code WORLD_SIZE} ranks have joined, or fails after the timeout).
   */
  public static Distributed start(TorchRunEnv env, long bucketBytes) {
    if (env.worldSize() == 1) return new Distributed(env, null, null, null, bucketBytes);
    Native.loadLibraries();
    Loader.load(torch_gloo.class);
    Milliseconds timeout = new Milliseconds(env.timeout().toMillis());
    String where = env.masterAddr() + ":" + env.masterPort();
    TCPStore store;
    try {
      store = new TCPStore(env.masterAddr(), storeOptions(env, env.rank() == 0));
    } catch (RuntimeException e) {
      throw new DistributedException("rank " + env.rank() + ": can't " + (env.rank() == 0 ? "host" : "reach") + " the rendezvous store at "
          + where + " (MASTER_ADDR:MASTER_PORT) within " + env.timeout().toSeconds() + " s: " + Heartbeat.firstLine(e.getMessage()), e);
    }
    checkWorld(store, env);
    ProcessGroupGloo group;
    PrefixStore glooStore;
    try {
      ProcessGroupGloo.Options options = ProcessGroupGloo.Options.create(timeout);
      options.devices(new GlooDeviceVector(device(env.masterAddr())));
      // Gloo's own keys under this attempt's prefix, as PyTorch's env:// rendezvous scopes them:
      // a job restarted by torchrun finds the attempt before's keys in torchrun's store.
      glooStore = new PrefixStore(key("gloo"), store);
      glooStore.retainReference();
      group = new ProcessGroupGloo(glooStore, env.rank(), env.worldSize(), options);
    } catch (RuntimeException e) {
      throw new DistributedException("rank " + env.rank() + ": the " + env.worldSize() + " ranks did not all join through " + where + " within "
          + env.timeout().toSeconds() + " s (" + TorchRunEnv.TIMEOUT + "): " + Heartbeat.firstLine(e.getMessage()), e);
    }
    TCPStore beatClient = new TCPStore(env.masterAddr(), storeOptions(env, false));
    long stale = Math.min(env.timeout().toMillis(), Math.max(3000, 6 * Heartbeat.INTERVAL_MS));
    Heartbeat heartbeat = new Heartbeat(beatClient, env.rank(), env.worldSize(), stale, env.timeout().toMillis(), where);
    // Kept for the process's lifetime whatever PointerScope the caller is in.
    store.retainReference();
    group.retainReference();
    beatClient.retainReference();
    return new Distributed(env, store, group, heartbeat, bucketBytes);
  }

  /**
   * Before Gloo's rendezvous (which, for ranks started with different WORLD_SIZEs or two
   * processes with one RANK, waits for peers that never come: minutes, then an error naming
   * neither), every rank checks the launch through the store: rank 0 publishes its WORLD_SIZE, each
   * other rank claims its RANK (a second claim is refused) and hands in its WORLD_SIZE, and rank 0
   * compares each as it arrives. A mismatch fails both sides at once, naming the variables.
   *
   * @throws InputException on a mismatch or a taken RANK
   * @throws DistributedException when a rank does not check in within the timeout
   */
  static void checkWorld(TCPStore store, TorchRunEnv env) {
    // torchrun's agent store outlives a restart of the workers: this attempt's keys only
    String join = key("join/");
    String worldKey = join + "world_size", joined = join + "rank/";
    String world = Integer.toString(env.worldSize());
    try {
      if (env.rank() != 0) {
        if (store.add(joined + env.rank() + "/claims", 1) > 1) {
          throw new InputException("rank " + env.rank() + ": RANK=" + env.rank() + " is already taken by another process of this job"
              + " (every process needs its own RANK in [0, WORLD_SIZE))");
        }
        store.set(joined + env.rank(), world);
        String theirs = store.get_to_str(worldKey);
        if (!theirs.equals(world)) {
          throw new InputException("rank " + env.rank() + ": WORLD_SIZE=" + world + ", but rank 0 started a world of WORLD_SIZE=" + theirs
              + " (every rank needs the same WORLD_SIZE)");
        }
        return;
      }
      store.set(worldKey, world);
      long deadline = System.nanoTime() + env.timeout().toNanos();
      for (int r = 1; r < env.worldSize(); ++r) {
        while (!store.check(new StringVector(joined + r))) {
          if (System.nanoTime() > deadline) {
            throw new DistributedException("rank 0: rank " + r + " of " + world + " did not join through " + env.masterAddr() + ":" + env.masterPort()
                + " within " + env.timeout().toSeconds() + " s (" + TorchRunEnv.TIMEOUT + "; is every rank started, with WORLD_SIZE=" + world + "?)");
          }
          Thread.sleep(50);
        }
        String theirs = store.get_to_str(joined + r);
        if (!theirs.equals(world)) {
          throw new InputException("rank 0: rank " + r + " was started with WORLD_SIZE=" + theirs + ", rank 0 with WORLD_SIZE=" + world
              + " (every rank needs the same WORLD_SIZE)");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DistributedException("rank " + env.rank() + ": interrupted while joining", e);
    } catch (InputException | DistributedException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new DistributedException("rank " + env.rank() + ": the rendezvous store at " + env.masterAddr() + ":" + env.masterPort()
          + " failed while joining: " + Heartbeat.firstLine(e.getMessage()), e);
    }
  }

  private static TCPStoreOptions storeOptions(TorchRunEnv env, boolean server) {
    TCPStoreOptions o = new TCPStoreOptions();
    // port is a uint16_t mapped to a Java short: ports above 32767 wrap to negative shorts, which is the same 16 bits
    o.port((short) env.masterPort()).isServer(server).waitWorkers(false).timeout(new Milliseconds(env.timeout().toMillis()));
    o.retainReference();
    return o;
  }

  /** A Gloo TCP device: the interface {@code GLOO_SOCKET_IFNAME} names (PyTorch's variable), else loopback for a local job, else the host's address. */
  private static Device device(String masterAddr) {
    String iface = System.getenv("GLOO_SOCKET_IFNAME");
    if (iface != null && !iface.isBlank()) return ProcessGroupGloo.createDeviceForInterface(iface.split(",")[0].trim());
    boolean local;
    try {
      local = InetAddress.getByName(masterAddr).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new DistributedException("MASTER_ADDR=" + masterAddr + ": unknown host", e);
    }
    return local ? ProcessGroupGloo.createDeviceForHostname("127.0.0.1") : ProcessGroupGloo.createDefaultDevice();
  }

  public TorchRunEnv env() {
    return env;
  }

  public int rank() {
    return env.rank();
  }

  public int worldSize() {
    return env.worldSize();
  }

  /** Rank 0: the one that writes checkpoints, metrics and reports. */
  public boolean isMain() {
    return env.rank() == 0;
  }

  /** Nanoseconds this process has spent in collectives so far. */
  public long communicationNanos() {
    return communicationNanos;
  }

  /**
   * Sums (or averages) each tensor over the ranks, in place. Consecutive tensors of one dtype
   * travel in buckets of about {@link #BUCKET_BYTES}: each flattened into one contiguous buffer,
   * all-reduced, and copied back (a contiguous tensor alone in its bucket is reduced in place).
   */
  public void allReduce(List<Tensor> tensors, Reduction reduction) {
    if (env.worldSize() == 1 || tensors.isEmpty()) return;
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      for (List<Tensor> bucket : buckets(tensors, bucketBytes)) {
        boolean inPlace = bucket.size() == 1 && bucket.get(0).is_contiguous();
        Tensor flat = inPlace ? bucket.get(0) : torch.flatten_dense_tensors(new TensorVector(bucket.toArray(new Tensor[0])));
        AllreduceOptions options = new AllreduceOptions();
        options.reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));  // Gloo has no AVG
        collective("all-reduce", () -> group.allreduce(new TensorVector(flat), options));
        if (reduction == Reduction.AVERAGE) flat.div_(new Scalar((double) env.worldSize()));
        if (!inPlace) {
          long offset = 0;
          for (Tensor t : bucket) {
            long n = t.numel();
            t.copy_(flat.narrow(0, offset, n).view(t.sizes().vec().get()));
            offset += n;
          }
        }
      }
    }
  }

  /** Consecutive tensors of one dtype, about {@code limit} bytes per bucket (a larger tensor alone). */
  static List<List<Tensor>> buckets(List<Tensor> tensors, long limit) {
    List<List<Tensor>> out = new ArrayList<>();
    List<Tensor> current = new ArrayList<>();
    long bytes = 0;
    int dtype = -1;
    for (Tensor t : tensors) {
      int type = t.scalar_type().value;
      long size = t.numel() * t.element_size();
      if (!current.isEmpty() && (type != dtype || bytes + size > limit)) {
        out.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(t);
      bytes += size;
      dtype = type;
    }
    if (!current.isEmpty()) out.add(current);
    return out;
  }

  /** Copies each tensor of rank {@code root} into the same tensor of every other rank. */
  public void broadcast(List<Tensor> tensors, int root) {
    if (env.worldSize() == 1 || tensors.isEmpty()) return;
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      BroadcastOptions options = new BroadcastOptions();
      options.rootRank(root);
      for (Tensor t : tensors) {
        Tensor c = t.is_contiguous() ? t : t.contiguous();
        collective("broadcast", () -> group.broadcast(new TensorVector(c), options));
        if (c != t) t.copy_(c);
      }
    }
  }

  /** Returns when every rank has called it. */
  public void barrier() {
    if (env.worldSize() == 1) return;
    try (PointerScope scope = new PointerScope()) {
      collective("barrier", () -> group.barrier());
    }
  }

  /**
   * Every rank's {@code local} tensor (contiguous CPU, the same shape and dtype on every rank),
   * stacked by rank: {@code [W, ...]}. The result is this process's; {@code local} is not kept.
   */
  public Tensor allGather(Tensor local) {
    Tensor in = local.contiguous();
    if (env.worldSize() == 1) return in.unsqueeze(0).clone();
    long[] shape = new long[(int) in.dim() + 1];
    shape[0] = env.worldSize();
    for (int d = 0; d < in.dim(); ++d) shape[d + 1] = in.size(d);
    // Gloo gathers into one tensor whose first dimension is W times the input's
    Tensor all = org.steer4j.runtime.Tensors.empty(in.options(), env.worldSize() * in.numel());
    if (in.numel() > 0) {  // else nothing to exchange (a 0-element tensor has no data pointer)
      Tensor flat = in.view(-1);
      try (NoGradGuard guard = new NoGradGuard()) {
        collective("all-gather", () -> group._allgather_base(all, flat));
      }
    }
    return all.view(shape);
  }

  /** Every rank's {@code values} (same length on every rank), by rank. */
  public double[][] allGather(double[] values) {
    if (env.worldSize() == 1) return new double[][] {values.clone()};
    int n = values.length, w = env.worldSize();
    if (n == 0) return new double[w][0];  // the same length on every rank: nothing to exchange (a 0-element tensor has no data pointer)
    double[][] out = new double[w][];
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      org.bytedeco.pytorch.TensorOptions doubles = new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Double);
      Tensor in = torch.zeros(new long[] {n}, doubles);
      in.data_ptr_double().put(values);
      Tensor all = torch.zeros(new long[] {(long) w * n}, doubles);
      collective("all-gather", () -> group._allgather_base(all, in));
      double[] flat = new double[w * n];
      all.data_ptr_double().get(flat);
      for (int r = 0; r < w; ++r) out[r] = java.util.Arrays.copyOfRange(flat, r * n, (r + 1) * n);
    }
    return out;
  }

  /**
   * Items {@code 0..n-1} computed across the ranks and gathered on every rank, in item order: rank
   * r computes the items i with i % W == r, each {@code width} doubles. A collective (every rank
   * calls it with the same n and width); with one rank it is a loop. The caller reduces the items
   * in index order, so a sharded sum is the one-process sum bit for bit.
   */
  public double[][] shard(int n, int width, java.util.function.IntFunction<double[]> compute) {
    int w = env.worldSize(), r = env.rank(), rounds = (n + w - 1) / w;
    double[] mine = new double[rounds * width];
    for (int k = 0, i = r; i < n; ++k, i += w) {
      double[] item = compute.apply(i);
      if (item.length != width) throw new IllegalArgumentException("item " + i + " has " + item.length + " values, not " + width);
      System.arraycopy(item, 0, mine, k * width, width);
    }
    double[][] byRank = allGather(mine), out = new double[n][];
    for (int i = 0; i < n; ++i) out[i] = java.util.Arrays.copyOfRange(byRank[i % w], (i / w) * width, (i / w + 1) * width);
    return out;
  }

  /** Every rank's {@code value} (any length), by rank: two all-gathers, the lengths then the chars padded to the longest. */
  public String[] allGather(String value) {
    if (env.worldSize() == 1) return new String[] {value};
    double[][] lengths = allGather(new double[] {value.length()});
    int longest = 0;
    for (double[] l : lengths) longest = Math.max(longest, (int) l[0]);
    if (longest == 0) {
      String[] empty = new String[lengths.length];
      java.util.Arrays.fill(empty, "");
      return empty;
    }
    double[] chars = new double[longest];
    for (int i = 0; i < value.length(); ++i) chars[i] = value.charAt(i);
    double[][] all = allGather(chars);
    String[] out = new String[all.length];
    for (int r = 0; r < all.length; ++r) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < (int) lengths[r][0]; ++i) sb.append((char) all[r][i]);
      out[r] = sb.toString();
    }
    return out;
  }

  /**
   * In a job torchrun restarted ({@code --max-restarts}; attempt n > 0), what rank 0 of attempt
   * n - 1 {@link #publish}ed under {@code key}, read from torchrun's store, which outlives the
   * workers; null in a first attempt, or when that attempt published nothing under it.
   */
  public String publishedByPreviousAttempt(String key) {
    long attempt = TorchRunEnv.restartCount(System.getenv());
    if (env.worldSize() == 1 || attempt <= 0) return null;
    String k = "steer4j" + TorchRunEnv.attemptPrefix(attempt - 1) + "/published/" + key;
    try {
      return store.check(new StringVector(k)) ? store.get_to_str(k) : null;
    } catch (RuntimeException e) {
      throw failure("reading the previous attempt's '" + key + "'", e);
    }
  }

  /** Rank 0 publishes a value under {@code key} for {@link #await}. */
  public void publish(String key, String value) {
    if (env.worldSize() == 1) return;
    try {
      store.set(key("published/" + key), value);
    } catch (RuntimeException e) {
      throw failure("publishing '" + key + "'", e);
    }
  }

  /**
   * The value rank 0 {@link #publish}es under {@code key}, however long rank 0 takes (preparing
   * data may take hours): this fails only when rank 0 is gone or failed.
   */
  public String await(String key) {
    if (env.worldSize() == 1) throw new IllegalStateException("a world of one has no rank to wait for");
    try {
      return waitFor(key("published/" + key), 0, key);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DistributedException("rank " + rank() + ": interrupted while waiting for rank 0's '" + key + "'", e);
    } catch (DistributedException e) {
      throw e;
    } catch (RuntimeException e) {
      throw failure("waiting for rank 0's '" + key + "'", e);
    }
  }

  /**
   * Rank 0 gets every rank's {@code value} (by rank) once each has handed it in under {@code key};
   * the other ranks hand theirs in and return null at once (as {@code gather_object} to rank 0).
   * It goes through the store, not Gloo, so rank 0 waits however long the slowest rank takes:
   * uneven work (embedding shards: hours on a large model) may outlast the collective timeout,
   * and only a rank that is gone, failed, or left without handing its value in ends the wait.
   * Each {@code key} is for one use per job. A world of one returns {@code {value}}.
   *
   * @throws DistributedException when a rank is gone, failed or left first, or the store fails
   */
  public String[] gather(String key, String value) {
    if (env.worldSize() == 1) return new String[] {value};
    String prefix = key("gathered/" + key + "/");
    try {
      store.set(prefix + rank(), value);
      if (!isMain()) return null;
      String[] out = new String[env.worldSize()];
      out[0] = value;
      for (int r = 1; r < out.length; ++r) out[r] = waitFor(prefix + r, r, key);
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DistributedException("rank " + rank() + ": interrupted while gathering '" + key + "'", e);
    } catch (DistributedException e) {
      throw e;
    } catch (RuntimeException e) {
      throw failure("gathering '" + key + "'", e);
    }
  }

  /**
   * Store key {@code k}'s value once rank {@code from} has set it under {@code name}, however long
   * that takes; fails when the heartbeat says a rank is gone or failed, or when {@code from} left
   * without setting it (a rank sets its values before its status, so a status without the value
   * means it never will).
   */
  private String waitFor(String k, int from, String name) throws InterruptedException {
    String waiting = "rank " + rank() + ": waiting for rank " + from + "'s '" + name + "'";
    while (!store.check(new StringVector(k))) {
      String v = heartbeat.verdict();
      if (v != null) throw new DistributedException(waiting + ": " + v);
      if (store.check(new StringVector(Heartbeat.STATUS + from)) && !store.check(new StringVector(k))) {
        throw new DistributedException("rank " + rank() + ": rank " + from + " " + store.get_to_str(Heartbeat.STATUS + from)
            + " without handing in its '" + name + "'");
      }
      Thread.sleep(Heartbeat.INTERVAL_MS / 2);
    }
    return store.get_to_str(k);
  }

  private void collective(String what, Supplier<Work> op) {
    if (closed) throw new IllegalStateException("rank " + rank() + ": " + what + " after close()");
    long started = System.nanoTime();
    try {
      Work work = op.get();
      work._wait();
    } catch (RuntimeException e) {
      throw failure(what, e);
    } finally {
      communicationNanos += System.nanoTime() - started;
    }
  }

  /** A collective or store failure, with the rank at fault when the heartbeats tell which. */
  private DistributedException failure(String what, RuntimeException cause) {
    String gloo = Heartbeat.firstLine(cause.getMessage()).replaceFirst("^\\[[^\\]]*\\] ", "");  // drop the build path
    String verdict = heartbeat == null ? null : heartbeat.awaitVerdict();
    String why = verdict != null ? verdict
        : "every rank still sends heartbeats: one may be slower than the timeout (" + env.timeout().toSeconds() + " s, " + TorchRunEnv.TIMEOUT
            + " / --dist-timeout)";
    return new DistributedException("rank " + rank() + ": " + what + " failed: " + why + " (Gloo: " + gloo + ")", cause);
  }

  /**
   * Tells the other ranks this one failed ({@code reason} in their errors) and stops its
   * heartbeat. The process group is left to the process's exit.
   */
  public void abort(String reason) {
    if (heartbeat == null || closed) return;
    closed = true;
    heartbeat.stop("failed: " + Heartbeat.firstLine(reason));
  }

  /**
   * Leaves the job: stops the heartbeat and tells the other ranks this one left on purpose (they
   * neither wait for it nor report it as gone). No collective may follow.
   */
  @Override
  public void close() {
    if (heartbeat == null || closed) return;
    closed = true;
    heartbeat.close();
  }
}
