package org.steer4j.runtime;

/**
 * A small, fast, splittable random generator (SplitMix64) whose whole state is one long.
 *
 * <p>Training draws every step's randomness from {@code Rng.derive(seed, stream, step)}: step k's
 * tasks (and LibTorch's seed for step k) are a pure function of the run seed and k, so a run
 * resumed at step k continues exactly as the uninterrupted run would.
 */
public final class Rng {
  private long state;

  public Rng(long seed) {
    this.state = seed;
  }

  /** An independent generator for ({@code seed}, {@code stream}, {@code index}). */
  public static Rng derive(long seed, String stream, long index) {
    long h = mix(seed ^ 0x6A09E667F3BCC909L);
    for (int i = 0; i < stream.length(); ++i) h = mix(h ^ stream.charAt(i));
    return new Rng(mix(h ^ mix(index + 0x3C6EF372FE94F82BL)));
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public long nextLong() {
    state += 0x9E3779B97F4A7C15L;
    return mix(state);
  }

  /** Uniform in [0, bound), unbiased (Lemire). */
  public int nextInt(int bound) {
    if (bound <= 0) throw new IllegalArgumentException("bound must be > 0, got " + bound);
    long m = (nextLong() >>> 32) * bound;
    long low = m & 0xFFFFFFFFL;
    if (low < bound) {
      long threshold = (0x100000000L - bound) % bound;
      while (low < threshold) {
        m = (nextLong() >>> 32) * bound;
        low = m & 0xFFFFFFFFL;
      }
    }
    return (int) (m >>> 32);
  }

  /** Uniform in [min, max] inclusive. */
  public int nextInt(int min, int max) {
    return min + nextInt(max - min + 1);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  public boolean nextBoolean() {
    return nextLong() < 0;
  }

  public double nextGaussian() {
    double u1 = nextDouble(), u2 = nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang (shape < 1 through the boost u^(1/shape)). */
  public double nextGamma(double shape) {
    if (shape < 1) return nextGamma(shape + 1) * Math.pow(1 - nextDouble(), 1 / shape);
    double d = shape - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = nextGaussian(), v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      double u = nextDouble();
      if (Math.log(1 - u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** A point of the simplex ~ Dirichlet(alpha, ..., alpha) with {@code k} components. */
  public double[] nextDirichlet(int k, double alpha) {
    double[] w = new double[k];
    double sum = 0;
    for (int i = 0; i < k; ++i) sum += w[i] = nextGamma(alpha);
    for (int i = 0; i < k; ++i) w[i] /= sum;
    return w;
  }

  /**
   * {@code k} distinct values of {@code values}, in random order: Floyd's algorithm when k is
   * small against the pool (no copy of the pool), a partial Fisher-Yates shuffle otherwise.
   */
  public int[] sample(int[] values, int k) {
    int n = values.length;
    if (k > n) throw new IllegalArgumentException("can't draw " + k + " distinct items from " + n);
    if (4L * k < n) {
      java.util.LinkedHashSet<Integer> chosen = new java.util.LinkedHashSet<>();
      for (int j = n - k; j < n; ++j) {
        int t = nextInt(j + 1);
        if (!chosen.add(t)) chosen.add(j);
      }
      int[] out = new int[k];
      int i = 0;
      for (int index : chosen) out[i++] = values[index];
      for (i = k - 1; i > 0; --i) {  // Floyd's set is not in random order: shuffle it
        int j = nextInt(i + 1);
        int swap = out[i];
        out[i] = out[j];
        out[j] = swap;
      }
      return out;
    }
    int[] pool = values.clone();
    for (int i = 0; i < k; ++i) {
      int j = i + nextInt(n - i);
      int swap = pool[i];
      pool[i] = pool[j];
      pool[j] = swap;
    }
    return java.util.Arrays.copyOf(pool, k);
  }

  /** {@code k} distinct values of 0..n-1 in random order. */
  public int[] sample(int n, int k) {
    int[] all = new int[n];
    for (int i = 0; i < n; ++i) all[i] = i;
    return sample(all, k);
  }
}
