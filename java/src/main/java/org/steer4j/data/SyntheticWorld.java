package org.steer4j.data;

import static org.bytedeco.pytorch.global.torch.from_blob;

import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.runtime.Rng;

/**
 * The paper's synthetic world (docs/method.md section 4): options y ~ U(0, 1) (D = 1) and two hidden
 * user types, r(y, 0) = y below 0.5 else 2y, r(y, 1) = y below 0.5 else 1 - y. Choices are
 * deterministic (b preferred iff r_b > r_a, ties at random); a random 80/10/10 split. The two
 * types agree on about half of the pairs, so a model without context tops out near 75 %.
 */
public final class SyntheticWorld {
  public static final List<String> LABELS = List.of("0", "1");

  private SyntheticWorld() {}

  /** The reward of option {@code y} for user type {@code type} (0 or 1). */
  public static double reward(double y, int type) {
    if (y < 0.5) return y;
    return type == 0 ? 2 * y : 1 - y;
  }

  /** Generates {@code n} pairs with the given seed. */
  public static PairsDataset generate(int n, long seed) {
    Rng rng = Rng.derive(seed, "synthetic-world", 0);
    float[] a = new float[n], b = new float[n];
    byte[][] choices = new byte[2][n];
    Split[] splits = new Split[n];
    for (int i = 0; i < n; ++i) {
      a[i] = (float) rng.nextDouble();
      b[i] = (float) rng.nextDouble();
    }
    for (int type = 0; type < 2; ++type) {
      for (int i = 0; i < n; ++i) {
        // Rewards compared in float, as the reference stores them.
        float ra = (float) reward(a[i], type), rb = (float) reward(b[i], type);
        choices[type][i] = rb > ra ? (byte) 1 : rb < ra ? (byte) 0 : (byte) rng.nextInt(2);
      }
    }
    for (int i = 0; i < n; ++i) splits[i] = split(rng.nextDouble());
    return PairsDataset.of(column(a), column(b), LABELS, splits, choices);
  }

  static Split split(double u) {
    return u < 0.8 ? Split.TRAIN : u < 0.9 ? Split.VAL : Split.TEST;
  }

  /** An owned float32 tensor [n, 1] with the values of {@code v}. */
  static Tensor column(float[] v) {
    try (FloatPointer p = new FloatPointer(v)) {
      return from_blob(p, new long[] {v.length, 1}, new TensorOptions(ScalarType.Float)).clone();
    }
  }
}
