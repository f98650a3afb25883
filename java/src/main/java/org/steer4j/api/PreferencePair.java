package org.steer4j.api;

/** One choice of a user: the features of the option they chose and of the one they rejected. */
public record PreferencePair(float[] chosen, float[] rejected) {
  public PreferencePair {
    if (chosen.length != rejected.length) {
      throw new IllegalArgumentException("chosen has " + chosen.length + " features, rejected " + rejected.length);
    }
    chosen = chosen.clone();
    rejected = rejected.clone();
  }
}
