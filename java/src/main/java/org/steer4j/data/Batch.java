package org.steer4j.data;

import org.bytedeco.pytorch.Tensor;

/**
 * One batch of B tasks: T target pairs per task with the user's choices, and C context pairs.
 *
 * @param targets features [B, T, 2, D] (option a, option b)
 * @param choices the user's choices on the targets [B, T] (int64: 0 = a, 1 = b)
 * @param context features of the context pairs [B, C, 2, D]
 * @param contextChoices [B, C] (int64)
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

  public int tasks() {
    return users.length;
  }

  public int targetCount() {
    return (int) targets.size(1);
  }

  public int contextCount() {
    return (int) context.size(1);
  }

  /** Whether target {@code t} of every task is one of the context pairs. */
  public boolean inContext(int t) {
    if (contextIndex == null) return false;
    for (int c : contextIndex) if (c == t) return true;
    return false;
  }
}
