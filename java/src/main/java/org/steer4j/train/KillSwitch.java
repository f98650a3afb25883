package org.steer4j.train;

/**
 * A test-only hook for the crash tests: when the environment variable {@value #VARIABLE} names a
 * phase and a step ({@code after-step@7}, {@code checkpoint-written@4}, {@code checkpoint-swapped@4}),
 * the process sends itself SIGKILL there, so a test can kill training at exactly the points where
 * a real crash would hurt most. Unset (always, outside tests) it costs one string comparison.
 */
final class KillSwitch {
  static final String VARIABLE = "STEER4J_TEST_KILL_AT";
  private static final String AT = System.getenv(VARIABLE);

  private KillSwitch() {}

  /** Kills the process if the hook names this phase and step. */
  static void at(String phase, long step) {
    if (AT == null || !AT.equals(phase + "@" + step)) return;
    try {
      new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).inheritIO().start().waitFor();
      Thread.sleep(60_000);  // SIGKILL arrives asynchronously; never go on past the phase
    } catch (Exception e) {
      Runtime.getRuntime().halt(137);
    }
  }
}
