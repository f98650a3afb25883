package org.steer4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import org.steer4j.runtime.InputException;

/**
 * The contract every fuzz target checks (issue 9, docs/inputs.md): a parser given any input
 * either returns a value or throws the project's user-input exception ({@link InputException} and
 * its kinds; a plain {@link IllegalArgumentException} too) whose message is one line naming the
 * source. Anything else (a NullPointerException, ClassCastException, an index or number format
 * exception, also when wrapped as the cause of an input exception, a StackOverflowError, an
 * OutOfMemoryError) escapes to Jazzer as a finding, and so does an input that takes longer than
 * {@link #SLOW_MS} (a hang).
 */
public final class FuzzContract {
  /** Longer than this on one input is a finding (the parsers take microseconds to milliseconds). */
  public static final long SLOW_MS = 5_000;
  /**
   * Inputs not timed at the start of a JVM: the first ones load (and, when fuzzing, instrument)
   * hundreds of classes, which takes seconds.
   */
  private static final int WARM_UP = 1_000;

  private static int calls;

  /** Programming errors that may not hide as the cause of an input exception. */
  private static final Set<Class<?>> NOT_A_CAUSE = Set.of(NullPointerException.class, ClassCastException.class,
      IndexOutOfBoundsException.class, ArrayIndexOutOfBoundsException.class, StringIndexOutOfBoundsException.class,
      NumberFormatException.class, ArithmeticException.class, IllegalStateException.class, UnsupportedOperationException.class,
      NegativeArraySizeException.class);

  private static Path dir;

  private FuzzContract() {}

  /**
   * Runs {@code parse}; returns its value, or null when it refused the input by the contract.
   *
   * @param where what the message must name (the file or source given to the parser)
   */
  public static <T> T check(String where, Callable<T> parse) {
    long start = System.nanoTime();
    boolean timed;
    synchronized (FuzzContract.class) {
      timed = ++calls > WARM_UP;
    }
    try {
      return parse.call();
    } catch (IllegalArgumentException e) {
      if (!(e instanceof InputException) && e.getClass() != IllegalArgumentException.class) throw e;  // NumberFormatException, PatternSyntaxException...
      String m = e.getMessage();
      if (m == null || m.isBlank()) throw new AssertionError("an input exception without a message", e);
      if (m.indexOf('\n') >= 0 || m.indexOf('\r') >= 0) throw new AssertionError("a message of more than one line: " + m, e);
      if (!m.contains(where) && !m.startsWith("override '")) throw new AssertionError("the message does not name " + where + ": " + m, e);
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        if (NOT_A_CAUSE.contains(c.getClass())) throw new AssertionError("a programming error inside an input exception: " + m, e);
      }
      return null;
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError("a checked exception escaped: " + e, e);
    } finally {
      long ms = (System.nanoTime() - start) / 1_000_000;
      if (timed && ms > SLOW_MS) throw new AssertionError("one input took " + ms + " ms");
    }
  }

  /** {@code bytes} written to {@code name} in a temporary directory of this JVM (the same file each time). */
  public static Path file(String name, byte[] bytes) {
    try {
      synchronized (FuzzContract.class) {
        if (dir == null) {
          dir = Files.createTempDirectory("steer4j-fuzz");
          dir.toFile().deleteOnExit();
        }
      }
      Path f = dir.resolve(name);
      Files.write(f, bytes);
      f.toFile().deleteOnExit();
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
