package org.steer4j.runtime;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Warnings about a user's input that steer4j accepts but that deserve a look (an unknown key, a
 * legacy setting read the way its model was trained): printed once per process as {@code
 * steer4j: warning: <file>: <what>} on standard error, and kept for tests.
 */
public final class Warnings {
  private static final Set<String> SEEN = new LinkedHashSet<>();

  private Warnings() {}

  /** Prints {@code message} unless an identical warning was printed before. */
  public static synchronized void once(String message) {
    if (SEEN.add(message)) System.err.println("steer4j: warning: " + message);
  }

  /** Every warning printed so far, in order. */
  public static synchronized List<String> printed() {
    return new ArrayList<>(SEEN);
  }
}
