package org.steer4j.cli;

import java.time.Duration;
import java.util.List;
import org.steer4j.config.ConfigException;
import org.steer4j.dist.Distributed;
import org.steer4j.dist.Launcher;
import org.steer4j.dist.TorchRunEnv;

/** {@code --nproc N} and {@code --dist-timeout SECONDS} as every data-parallel command (experiment, embed) reads them. */
final class DataParallelArgs {
  /** The help of {@code --dist-timeout}, the same for every command. */
  static final String TIMEOUT_HELP = "data parallel: how long a rank waits for the others (rendezvous, each collective) before it fails (default 600, or STEER4J_DIST_TIMEOUT)";

  private DataParallelArgs() {}

  /**
   * The collective timeout {@code --dist-timeout} gives (seconds), or null to keep the environment's.
   *
   * @throws ConfigException when it is not > 0
   */
  static Duration timeout(Double seconds) {
    if (seconds == null) return null;
    Duration timeout = Duration.ofMillis(Math.round(seconds * 1000));
    if (timeout.toMillis() <= 0) throw new ConfigException("--dist-timeout must be > 0 seconds");
    return timeout;
  }

  /**
   * Whether {@code --nproc} asks this process to launch ranks (N > 1) rather than be one.
   *
   * @throws ConfigException when N < 1
   */
  static boolean launches(int nproc) {
    if (nproc < 1) throw new ConfigException("--nproc must be >= 1, got " + nproc);
    return nproc > 1;
  }

  /** What a command runs as rank 0 (or a world of one), or as another rank. */
  @FunctionalInterface
  interface Rank {
    int run(Distributed dist) throws Exception;
  }

  /**
   * A data-parallel command: with {@code --nproc N > 1}, launches N ranks of {@code steer4j
   * args}; else joins the job its environment describes (a world of one without torchrun's
   * variables) and runs {@code main} on rank 0, {@code other} on the others. A rank that fails
   * tells the others at once (they fail naming it rather than wait for it).
   */
  static int run(int nproc, Double distTimeout, List<String> args, Rank main, Rank other) throws Exception {
    Duration timeout = timeout(distTimeout);
    if (launches(nproc)) return launch(nproc, args, timeout);
    Distributed dist = Distributed.fromEnvironment(timeout);
    try {
      return dist.isMain() ? main.run(dist) : other.run(dist);
    } catch (Exception | Error e) {  // an OutOfMemoryError too: the others must hear this rank failed, not that it left
      dist.abort(String.valueOf(e.getMessage()));
      throw e;
    } finally {
      dist.close();
    }
  }

  /** Starts {@code nproc} ranks running {@code steer4j args} (a local torchrun) and returns the first failing rank's exit status, or 0. */
  static int launch(int nproc, List<String> args, Duration timeout) {
    return Launcher.run(nproc, Steer4j.class.getName(), args, timeout != null ? timeout : TorchRunEnv.fromEnvironment().timeout(), System.err);
  }
}
