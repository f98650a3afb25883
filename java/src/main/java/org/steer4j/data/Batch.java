package org.steer4j.data;

import org.bytedeco.pytorch.Tensor;
import org.steer4j.nn.PairRows;

/**
 * One batch of B tasks: T target pairs per task with the user's choices, and C context pairs.
 *
 * @param targets features [B, T, 2, D] (option a, option b)
 * @param choices the user's choices on the targets [B, T] (int64: 0 = a, 1 = b)
 * @param context features of the context pairs [B, C, 2, D]; null when they are a subset of the
 *     targets (then {@link #context()} copies them out on demand: the hot path reads them in
 *     place through {@link #contextRows()})
 * @param contextChoices [B, C] (int64); null when the context is a subset of the targets
 * @param contextIndex when the context is a subset of the targets, the positions (among the T)
 *     of the C context pairs, shared by the batch; null when the context is disjoint
 * @param users the user of each task
 * @param rows dataset rows of the targets [B][T]
 */
public record Batch(
    Tensor targets,
    Tensor choices,
    Tensor context,
    Tensor contextChoices,
    int[] contextIndex,
    User[] users,
    int[][] rows) {

  public Batch {
    if ((context == null) != (contextIndex != null) || (contextChoices == null) != (contextIndex != null)) {
      throw new IllegalArgumentException("a batch has either context features or context positions");
    }
  }

  @Override
  public Tensor context() {
    return context != null ? context : targets.index_select(1, positions());
  }

  @Override
  public Tensor contextChoices() {
    return contextChoices != null ? contextChoices : choices.index_select(1, positions());
  }

  private Tensor positions() {
    return org.bytedeco.pytorch.global.torch.tensor(java.util.Arrays.stream(contextIndex).asLongStream().toArray());
  }

  public int tasks() {
    return users.length;
  }

  /** Tasks {@code [from, to)} of this batch (views of its tensors; the context positions are shared). */
  public Batch tasks(int from, int to) {
    if (from < 0 || to > tasks() || from >= to) throw new IllegalArgumentException("tasks [" + from + ", " + to + ") of " + tasks());
    if (from == 0 && to == tasks()) return this;
    int n = to - from;
    return new Batch(targets.narrow(0, from, n), choices.narrow(0, from, n), context == null ? null : context.narrow(0, from, n),
        contextChoices == null ? null : contextChoices.narrow(0, from, n), contextIndex, java.util.Arrays.copyOfRange(users, from, to),
        java.util.Arrays.copyOfRange(rows, from, to));
  }

  public int targetCount() {
    return (int) targets.size(1);
  }

  public int contextCount() {
    return contextIndex != null ? contextIndex.length : (int) context.size(1);
  }

  /** The context pairs as rows of the targets (subset) or of the context features (disjoint). */
  public PairRows contextRows() {
    return contextIndex != null ? PairRows.subset(targets, choices, contextIndex) : PairRows.of(context, contextChoices);
  }

  /** All target pairs ordered by the users' choices (for q(z|T)). */
  public PairRows targetRows() {
    return PairRows.of(targets, choices);
  }

  /** Whether target {@code t} of every task is one of the context pairs. */
  public boolean inContext(int t) {
    if (contextIndex == null) return false;
    for (int c : contextIndex) if (c == t) return true;
    return false;
  }
}
