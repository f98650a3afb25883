package org.steer4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * A fingerprint reads the same however often it is read (a cache key used twice, e.g. for a file
 * name and in its provenance, must be one key; MessageDigest.digest() would reset), and refuses
 * fields added after it was read.
 */
class FingerprintTest {
  @Test
  void readingItTwiceGivesTheSameKeyAndLaterFieldsAreRefused() {
    Fingerprint f = new Fingerprint().add("base-eos-embeddings").add(7).add(new long[] {1, 2, 3});
    String first = f.hex();
    assertEquals(first, f.hex());
    assertEquals(first, new Fingerprint().add("base-eos-embeddings").add(7).add(new long[] {1, 2, 3}).hex());
    assertNotEquals(first, new Fingerprint().add("base-eos-embeddings").add(7).add(new long[] {1, 2}).hex());
    assertThrows(IllegalStateException.class, () -> f.add("late"));
  }
}
