package org.steer4j.runtime;

/**
 * Input that steer4j can't use: a file, config key or value a user brought. The message starts
 * with the file (and where in it) and says the cause; the command line prints it as one line,
 * {@code steer4j: error: <message>}, and exits with status 2. Subclasses say which kind of input.
 */
public class InputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InputException(String message) {
    super(oneLine(message));
  }

  public InputException(String message, Throwable cause) {
    super(oneLine(message), cause);
  }

  /**
   * {@code message} on one line: line breaks (in a quoted key, a file name, a library's message)
   * are written as the escapes backslash-n, backslash-r, backslash-u2028..., so that the command
   * line's error stays one line.
   */
  static String oneLine(String message) {
    if (message == null || message.chars().noneMatch(InputException::isLineBreak)) return message;
    StringBuilder sb = new StringBuilder(message.length() + 8);
    for (int i = 0; i < message.length(); ++i) {
      char c = message.charAt(i);
      if (c == '\n') sb.append("\\n");
      else if (c == '\r') sb.append("\\r");
      else if (isLineBreak(c)) sb.append(String.format("\\u%04x", (int) c));
      else sb.append(c);
    }
    return sb.toString();
  }

  private static boolean isLineBreak(int c) {
    return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x85 || c == 0x2028 || c == 0x2029;
  }
}
