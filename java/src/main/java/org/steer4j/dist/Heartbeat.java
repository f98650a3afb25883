package org.steer4j.dist;

import java.util.Locale;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.StringVector;

/**
 * Which ranks are alive, from the rendezvous store: every {@link #INTERVAL_MS} ms each rank adds
 * one to its counter {@code steer4j/heartbeat/<rank>} and reads everyone else's. A rank whose
 * counter has not moved for {@code staleMs} is gone (killed, crashed, or frozen); one that wrote
 * {@code steer4j/status/<rank>} left the job on purpose ({@code left}) or with an error ({@code
 * failed: ...}).
 *
 * <p>Two users: {@link Distributed} asks for the {@link #verdict} when a collective fails (Gloo
 * says only "connection closed by peer [address]" or "timed out"), so its error names the rank at
 * fault; and the watchdog in this thread ends the process (status {@value
 * DistributedException#EXIT_CODE}) when a rank has been gone for longer than the collective
 * timeout, since a thread blocked in a native collective can't be interrupted from Java.
 *
 * <p>It uses its own store client (a second connection), never the one the process group uses.
 */
final class Heartbeat implements AutoCloseable {
  static final long INTERVAL_MS = 500;
  private static final String BEAT = Distributed.key("heartbeat/");
  /** {@code STATUS + rank}: why that rank stopped beating ({@code left}, {@code failed: ...}); absent while it runs. */
  static final String STATUS = Distributed.key("status/");

  private final Store store;
  private final int rank, world;
  private final long staleNanos, watchdogNanos;
  private final String storeAddress;
  private final long[] seen, changedAt;
  private final String[] status;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile String verdict;
  private long storeDownSince = -1;
  private String storeError;

  Heartbeat(Store store, int rank, int world, long staleMs, long watchdogMs, String storeAddress) {
    this.store = store;
    this.rank = rank;
    this.world = world;
    this.staleNanos = staleMs * 1_000_000L;
    this.watchdogNanos = watchdogMs * 1_000_000L;
    this.storeAddress = storeAddress;
    this.seen = new long[world];
    this.changedAt = new long[world];
    this.status = new String[world];
    long now = System.nanoTime();
    java.util.Arrays.fill(changedAt, now);
    java.util.Arrays.fill(seen, -1);
    thread = new Thread(this::loop, "steer4j-heartbeat-rank" + rank);
    thread.setDaemon(true);
    thread.start();
  }

  /** What is wrong with the job, or null while every rank beats (or left). */
  String verdict() {
    return verdict;
  }

  /**
   * Waits up to the stale time (plus two beats) for a verdict: the ranks in a collective that
   * failed because a peer died learn it from the heartbeats a few seconds later.
   */
  String awaitVerdict() {
    long deadline = System.nanoTime() + staleNanos + 2 * INTERVAL_MS * 1_000_000L;
    while (verdict == null && System.nanoTime() < deadline && running) {
      try {
        Thread.sleep(INTERVAL_MS / 5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return verdict;
  }

  private void loop() {
    while (running) {
      tick();
      try {
        Thread.sleep(INTERVAL_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private synchronized void tick() {
    if (!running) return;
    long now = System.nanoTime();
    try {
      store.add(BEAT + rank, 1);
      for (int r = 0; r < world; ++r) {
        if (r == rank || status[r] != null) continue;
        long v = store.add(BEAT + r, 0);  // reads without blocking (a missing key reads 0)
        if (v != seen[r]) {
          seen[r] = v;
          changedAt[r] = now;
        } else if (now - changedAt[r] > staleNanos && store.check(new StringVector(STATUS + r))) {
          status[r] = store.get_to_str(STATUS + r);
        }
      }
      storeDownSince = -1;
    } catch (RuntimeException e) {
      if (storeDownSince < 0) storeDownSince = now;
      storeError = firstLine(e.getMessage());
    }
    verdict = judge(now);
    if (verdict != null && overdue(now)) {
      System.err.println("steer4j: error: rank " + rank + ": " + verdict + "; ending this rank (a collective blocked in native code can't be"
          + " interrupted); the last checkpoint is intact: resume the run");
      System.err.flush();
      Runtime.getRuntime().halt(DistributedException.EXIT_CODE);
    }
  }

  private String judge(long now) {
    if (storeDownSince >= 0 && now - storeDownSince > staleNanos) {
      return rank == 0 ? "the rendezvous store this rank hosts is unreachable (" + storeError + ")"
          : "rank 0 is gone: the rendezvous store it hosts at " + storeAddress + " is unreachable (" + storeError + ")";
    }
    for (int r = 0; r < world; ++r) {
      if (r == rank) continue;
      if (status[r] != null && status[r].startsWith("failed")) return "rank " + r + " " + status[r];
      if (status[r] == null && now - changedAt[r] > staleNanos) {
        return String.format(Locale.ROOT, "rank %d is gone (no heartbeat for %.1f s: killed, crashed or frozen)", r, (now - changedAt[r]) / 1e9);
      }
    }
    return null;
  }

  /** Whether the watchdog ends the process: the fault has lasted longer than the collective timeout. */
  private boolean overdue(long now) {
    if (storeDownSince >= 0) return now - storeDownSince > watchdogNanos;
    for (int r = 0; r < world; ++r) {
      if (r != rank && status[r] == null && now - changedAt[r] > watchdogNanos) return true;
    }
    return false;
  }

  /**
   * Stops beating and tells the other ranks why ({@code left}, or {@code failed: <reason>}), so
   * they neither wait for this rank nor report it as killed. Best effort: the store may be gone.
   */
  synchronized void stop(String why) {
    if (!running) return;
    running = false;
    thread.interrupt();
    try {
      store.set(STATUS + rank, why);
    } catch (RuntimeException e) {
      // the store's host (rank 0) may have ended already
    }
  }

  @Override
  public void close() {
    stop("left");
  }

  static String firstLine(String message) {
    if (message == null) return "no message";
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
