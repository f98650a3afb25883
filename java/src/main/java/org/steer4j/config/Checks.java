package org.steer4j.config;

/** Validation helpers for the compact constructors of config records. */
public final class Checks {
  private Checks() {}

  public static void positive(String key, double value) {
    if (!(value > 0)) throw new IllegalArgumentException(key + " must be > 0, got " + value);
    finite(key, value);
  }

  public static void nonNegative(String key, double value) {
    if (!(value >= 0)) throw new IllegalArgumentException(key + " must be >= 0, got " + value);
    finite(key, value);
  }

  /** Refuses +-Infinity (YAML's .inf) and NaN. */
  public static void finite(String key, double value) {
    if (!Double.isFinite(value)) throw new IllegalArgumentException(key + " must be finite, got " + value);
  }

  public static void range(String key, double value, double min, double max) {
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(key + " must be in [" + min + ", " + max + "], got " + value);
    }
  }

  public static void require(boolean condition, String message) {
    if (!condition) throw new IllegalArgumentException(message);
  }
}
