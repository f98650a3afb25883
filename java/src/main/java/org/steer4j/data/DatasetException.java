package org.steer4j.data;

/** A dataset that can't be used; the message names the file (and row) and the problem. */
public final class DatasetException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public DatasetException(String message) {
    super(message);
  }
}
