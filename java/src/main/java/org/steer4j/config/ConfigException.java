package org.steer4j.config;

import org.steer4j.runtime.InputException;

/** A configuration that can't be used: the message names the file, the key and the problem. */
public final class ConfigException extends InputException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
