package org.steer4j.train;

import org.steer4j.runtime.InputException;

/**
 * Training met a non-finite loss or gradient: usually the data (an extreme value) or the
 * settings (a learning rate too high), so it is reported as one line, naming the step and what
 * was non-finite. The optimiser step that would apply it is never taken, and the last checkpoint
 * on disk is the last good state.
 */
public final class NonFiniteException extends InputException {
  private static final long serialVersionUID = 1L;

  public NonFiniteException(String message) {
    super(message);
  }
}
