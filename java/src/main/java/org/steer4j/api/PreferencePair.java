package org.steer4j.api;

/** One choice of a user: the features of the option they chose and of the one they rejected. */
public record PreferencePair(float[] chosen, float[] rejected) {
  public PreferencePair {
    if (chosen == null || rejected == null) throw new IllegalArgumentException("a preference pair needs both options (one is null)");
    requireFinite(chosen, "the chosen option");
    requireFinite(rejected, "the rejected option");
    if (chosen.length != rejected.length) {
      throw new IllegalArgumentException("chosen has " + chosen.length + " features, rejected " + rejected.length);
    }
    chosen = chosen.clone();
    rejected = rejected.clone();
  }

  /** @throws IllegalArgumentException naming the first NaN or infinite feature of {@code option} */
  static void requireFinite(float[] option, String what) {
    for (int i = 0; i < option.length; ++i) {
      if (!Float.isFinite(option[i])) throw new IllegalArgumentException(what + " has " + option[i] + " at feature " + i + " (features must be finite)");
    }
  }
}
