package org.steer4j.io;

import org.steer4j.runtime.InputException;

/** A safetensors file that can't be read or written; the message names the file and tensor. */
public final class SafeTensorsException extends InputException {
  private static final long serialVersionUID = 1L;

  public SafeTensorsException(String message) {
    super(message);
  }

  public SafeTensorsException(String message, Throwable cause) {
    super(message, cause);
  }
}
