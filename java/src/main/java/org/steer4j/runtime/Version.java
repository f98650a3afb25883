package org.steer4j.runtime;

/** The version of this build, recorded in every saved model and run. */
public final class Version {
  private Version() {}

  /** From the jar manifest; "dev" when run from classes. */
  public static String get() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
