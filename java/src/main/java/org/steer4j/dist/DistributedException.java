package org.steer4j.dist;

/**
 * A data-parallel job that can't go on: a rank is gone, failed or left, the rendezvous store is
 * unreachable, or a collective timed out. The message starts with this process's rank and names
 * the rank at fault when the heartbeats tell which; the command line prints it as one line and
 * exits with status {@value #EXIT_CODE}: the run's last checkpoint is intact, resume it.
 */
public final class DistributedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** EX_TEMPFAIL: nothing is wrong with the input; the job can be resumed. */
  public static final int EXIT_CODE = 75;

  public DistributedException(String message) {
    super(message);
  }

  public DistributedException(String message, Throwable cause) {
    super(message, cause);
  }
}
