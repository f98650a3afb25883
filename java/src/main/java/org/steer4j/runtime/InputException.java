package org.steer4j.runtime;

/**
 * Input that steer4j can't use: a file, config key or value a user brought. The message starts
 * with the file (and where in it) and says the cause; the command line prints it as one line,
 * {@code steer4j: error: <message>}, and exits with status 2. Subclasses say which kind of input.
 */
public class InputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }
}
