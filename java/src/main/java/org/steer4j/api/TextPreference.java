package org.steer4j.api;

/** One choice of a user in text: for {@code prompt}, they preferred {@code chosen} over {@code rejected}. */
public record TextPreference(String prompt, String chosen, String rejected) {
  public TextPreference {
    if (prompt == null || chosen == null || rejected == null) throw new IllegalArgumentException("prompt, chosen and rejected must all be given");
  }
}
