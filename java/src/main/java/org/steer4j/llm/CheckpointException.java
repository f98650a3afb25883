package org.steer4j.llm;

import org.steer4j.runtime.InputException;

/** A model checkpoint (config.json, safetensors shards, index) that can't be used; the message names the file. */
public final class CheckpointException extends InputException {
  private static final long serialVersionUID = 1L;

  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
