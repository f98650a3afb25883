package org.steer4j.api;

/** A user's answer to "which of these two do you prefer?". */
public enum Answer {
  /** The first option. */
  A,
  /** The second option. */
  B,
  /** No preference: the question is spent, and the user's adaptation is unchanged. */
  NO_PREFERENCE
}
