package org.steer4j.kernels;

/** A native kernel refused its arguments or its device failed; carries the kernel's message. */
public final class KernelException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  KernelException(String op, int status, String message) {
    super(op + " failed (status " + status + "): " + message);
    this.status = status;
  }

  /** The native status code (S4J_E_* in native/include/steer4j/status.h). */
  public int status() {
    return status;
  }
}
