package org.steer4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Jackson's parse errors in one line: {@link JsonProcessingException#getMessage()} appends lines
 * quoting the source, so messages for users take the original message and the location.
 */
public final class JsonErrors {
  private JsonErrors() {}

  /** "line L, column C: what" (without the location when Jackson has none). */
  public static String describe(JsonProcessingException e) {
    var at = e.getLocation();
    String where = at == null || at.getLineNr() <= 0 ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
    return where + e.getOriginalMessage();
  }
}
