package org.steer4j.runtime;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import java.util.SplittableRandom;

/**
 * Seeding from the run's one seed. LibTorch's generator is seeded once; Java-side randomness
 * comes from named streams split off a root {@link SplittableRandom}, so that adding a consumer
 * does not shift the numbers of the others.
 */
public final class Seeds {
  private final long seed;

  public Seeds(long seed) {
    this.seed = seed;
  }

  /** Seeds LibTorch's global generator (and the CUDA ones) with the run seed. */
  public void seedTorch() {
    Native.ensureInit();
    manual_seed(seed);
  }

  /** An independent stream for the named component (same name, same numbers). */
  public SplittableRandom stream(String component) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ fnv(component));
  }

  public long seed() {
    return seed;
  }

  private static long fnv(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); ++i) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    return h;
  }
}
