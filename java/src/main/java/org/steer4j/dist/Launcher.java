package org.steer4j.dist;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A local {@code torchrun}: starts {@code nproc} JVMs running one main class, each with the
 * launcher environment of its rank ({@link TorchRunEnv#forLocalRank}, loopback, a free port),
 * the parent's JVM options and class path. Rank 0's output streams through; the others' goes to
 * a temporary log each, whose tail is printed (and the file kept) if that rank fails first; the others' logs are deleted. The first rank to fail ends the
 * others (SIGTERM, then SIGKILL after 10 s) and its exit status is the launcher's.
 */
public final class Launcher {
  private Launcher() {}

  public static int run(int nproc, String mainClass, List<String> args, Duration timeout, PrintStream err) {
    return run(nproc, mainClass, args, timeout, err, null);
  }

  /** The same with the ranks' logs in {@code logDir} (null: the temporary directory). */
  static int run(int nproc, String mainClass, List<String> args, Duration timeout, PrintStream err, Path logDir) {
    if (nproc < 2) throw new IllegalArgumentException("--nproc must be >= 2 to launch ranks, got " + nproc);
    if (System.getenv("WORLD_SIZE") != null) {
      throw new IllegalArgumentException("--nproc: this process is already rank " + System.getenv("RANK") + " of a job (WORLD_SIZE is set)");
    }
    int port = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) command.add(a);  // a debugger port can't be shared
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(args);
    List<Process> ranks = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    Thread reaper = new Thread(() -> ranks.forEach(Process::destroyForcibly));
    Runtime.getRuntime().addShutdownHook(reaper);
    try {
      for (int r = 0; r < nproc; ++r) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(TorchRunEnv.forLocalRank("127.0.0.1", port, nproc, r, timeout));
        if (r == 0) {
          pb.inheritIO();
          logs.add(null);
        } else {
          Path log = logDir == null ? Files.createTempFile("steer4j-rank" + r + "-", ".log") : Files.createTempFile(logDir, "steer4j-rank" + r + "-", ".log");
          pb.redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
          logs.add(log);
        }
        ranks.add(pb.start());
      }
      int[] failed = {-1};
      int status = await(ranks, logs, err, failed);
      int failedRank = failed[0];
      for (int r = 0; r < logs.size(); ++r) {  // the failed rank's log is kept (its path was printed); the stopped ranks' are not
        if (logs.get(r) != null && (status == 0 || r != failedRank)) Files.deleteIfExists(logs.get(r));
      }
      return status;
    } catch (IOException e) {
      ranks.forEach(Process::destroyForcibly);
      throw new UncheckedIOException("--nproc: can't start the ranks (" + e.getMessage() + ")", e);
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException e) {
        // shutting down: the hook runs
      }
    }
  }

  /** Waits for every rank; the first non-zero exit ends the others and is returned. */
  private static int await(List<Process> ranks, List<Path> logs, PrintStream err, int[] failedRank) throws IOException {
    List<Process> running = new ArrayList<>(ranks);
    Process failed = null;
    while (!running.isEmpty()) {
      CompletableFuture<?>[] exits = running.stream().map(Process::onExit).toArray(CompletableFuture[]::new);
      Process done;
      try {
        done = (Process) CompletableFuture.anyOf(exits).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        running.forEach(Process::destroyForcibly);
        return 130;
      } catch (ExecutionException e) {
        throw new IllegalStateException(e);
      }
      running.remove(done);
      if (done.exitValue() != 0 && failed == null) {
        failed = done;
        for (Process p : running) p.destroy();
        for (Process p : running) {
          try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
          }
        }
      }
    }
    if (failed == null) return 0;
    int rank = ranks.indexOf(failed);
    failedRank[0] = rank;
    err.println("steer4j: rank " + rank + " of " + ranks.size() + " failed first (exit status " + failed.exitValue() + "); the other ranks were stopped");
    Path log = logs.get(rank);
    if (log != null) {
      List<String> lines = Files.readAllLines(log);
      err.println("steer4j: rank " + rank + "'s last lines (all of them: " + log + "):");
      for (String l : lines.subList(Math.max(0, lines.size() - 20), lines.size())) err.println("  " + l);
    }
    err.flush();
    return failed.exitValue();
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("--nproc: no free TCP port on loopback for the rendezvous store", e);
    }
  }
}
