package org.steer4j.data;

import org.steer4j.runtime.InputException;

/** A dataset that can't be used; the message names the file (and row) and the problem. */
public final class DatasetException extends InputException {
  private static final long serialVersionUID = 1L;

  public DatasetException(String message) {
    super(message);
  }
}
