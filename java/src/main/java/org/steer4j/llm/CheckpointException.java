package org.steer4j.llm;

/** A model checkpoint (config.json, safetensors shards, index) that can't be used; the message names the file. */
public final class CheckpointException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
