package org.steer4j.llm;

/** A tokenizer that can't be loaded or used; the message names the file. */
public final class TokenizerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TokenizerException(String message, Throwable cause) {
    super(message, cause);
  }

  public TokenizerException(String message) {
    super(message);
  }
}
