package org.steer4j.data;

import java.util.Locale;

/** The split a preference pair belongs to. */
public enum Split {
  TRAIN,
  VAL,
  TEST;

  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses "train" / "val" / "test" (also "validation"); null when unknown. */
  public static Split parse(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "train" -> TRAIN;
      case "val", "validation" -> VAL;
      case "test" -> TEST;
      default -> null;
    };
  }
}
