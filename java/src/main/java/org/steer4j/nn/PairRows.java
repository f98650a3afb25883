package org.steer4j.nn;

import static org.bytedeco.pytorch.global.torch.arange;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Preference pairs as rows of a feature matrix, ordered by the user's choice: pair {@code k}
 * (task-major, {@code k = b * pairs + c}) chose row {@code chosen[k]} of {@code rows} over row
 * {@code rejected[k]}. Lets the context encoder gather [chosen ; rejected] straight from the
 * batch's target features, instead of copying context pairs, reordering and concatenating them.
 *
 * @param rows features [M, D]
 * @param chosen int64 [tasks * pairs]
 * @param rejected int64 [tasks * pairs]
 */
public record PairRows(Tensor rows, Tensor chosen, Tensor rejected, long tasks, long pairs) {
  /** Pairs {@code [B, P, 2, D]} with choices {@code [B, P]} (0 = the first option chosen). */
  public static PairRows of(Tensor pairs, Tensor choices) {
    long b = pairs.size(0), p = pairs.size(1), d = pairs.size(3);
    Tensor base = arange(new Scalar(b * p), new TensorOptions(ScalarType.Long)).mul(new Scalar(2));
    Tensor c = choices.reshape(b * p).to(ScalarType.Long);
    return new PairRows(pairs.reshape(b * p * 2, d), base.add(c), base.add(new Scalar(1)).sub(c), b, p);
  }

  /**
   * The pairs at {@code positions} (among the T of every task) of targets {@code [B, T, 2, D]}
   * with the tasks' choices {@code [B, T]}.
   */
  public static PairRows subset(Tensor targets, Tensor choices, int[] positions) {
    long b = targets.size(0), t = targets.size(1), d = targets.size(3), p = positions.length;
    long[] index = new long[(int) (b * p)];
    for (int task = 0; task < b; ++task) {
      for (int c = 0; c < p; ++c) index[(int) (task * p + c)] = (long) task * t + positions[c];
    }
    Tensor pair = org.bytedeco.pytorch.global.torch.tensor(index);      // [B * P] indices of pairs
    Tensor c = choices.reshape(b * t).index_select(0, pair);
    Tensor base = pair.mul(new Scalar(2));
    return new PairRows(targets.reshape(b * t * 2, d), base.add(c), base.add(new Scalar(1)).sub(c), b, p);
  }

  /** Features of the chosen options [tasks * pairs, D]. */
  public Tensor chosenFeatures() {
    return rows.index_select(0, chosen);
  }

  /** Features of the rejected options [tasks * pairs, D]. */
  public Tensor rejectedFeatures() {
    return rows.index_select(0, rejected);
  }
}
