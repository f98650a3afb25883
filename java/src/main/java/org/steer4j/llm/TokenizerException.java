package org.steer4j.llm;

import org.steer4j.runtime.InputException;

/** A tokenizer that can't be loaded or used; the message names the file. */
public final class TokenizerException extends InputException {
  private static final long serialVersionUID = 1L;

  public TokenizerException(String message, Throwable cause) {
    super(message, cause);
  }

  public TokenizerException(String message) {
    super(message);
  }
}
