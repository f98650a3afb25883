package org.steer4j.nn;

import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.steer4j.runtime.Tensors;

/**
 * Where a forward's tasks sit in the step's batch: tasks {@code [offset, offset + size)} of
 * {@code total}. Data-parallel ranks and micro-batches each run a slice of one batch; their
 * random draws (dropout masks, latent noise) are drawn for the whole batch, from the same
 * generator state, and sliced, so every task gets the numbers one process running the whole
 * batch gives it, whatever the split. The draws cost the whole batch's size on every slice:
 * they are small next to the forward (attention weights [B, heads, C, C], noise [S, B, H]).
 *
 * @param offset the first task's index in the batch
 * @param size the slice's tasks
 * @param total the batch's tasks
 */
public record BatchSlice(long offset, long size, long total) {
  public BatchSlice {
    if (offset < 0 || size <= 0 || offset + size > total) {
      throw new IllegalArgumentException("tasks [" + offset + ", " + (offset + size) + ") of " + total);
    }
  }

  /** The whole batch of {@code tasks} (draws exactly as without slicing). */
  public static BatchSlice whole(long tasks) {
    return new BatchSlice(0, tasks, tasks);
  }

  public boolean isWhole() {
    return size == total;
  }

  /**
   * Standard normal noise of {@code shape} (this slice's size at {@code taskDim}): the slice of
   * the batch's draw.
   */
  public Tensor randn(long[] shape, int taskDim, TensorOptions options) {
    checkSize(shape[taskDim]);
    if (isWhole()) return org.bytedeco.pytorch.global.torch.randn(shape, options);
    long[] full = shape.clone();
    full[taskDim] = total;
    return org.bytedeco.pytorch.global.torch.randn(full, options).narrow(taskDim, offset, size);
  }

  /**
   * Training dropout of {@code x} (tasks along dim 0) with drop probability {@code p}: the slice of
   * the mask torch.nn.functional.dropout draws for the whole batch (a Bernoulli(1 - p) draw of
   * its shape, scaled by 1 / (1 - p)).
   */
  public Tensor dropout(Tensor x, double p) {
    checkSize(x.size(0));
    if (isWhole()) return org.bytedeco.pytorch.global.torch.dropout(x, p, true);
    long[] full = Tensors.shape(x);
    full[0] = total;
    Tensor mask = Tensors.empty(x.options(), full)
        .bernoulli_(1 - p, new GeneratorOptional()).div_(new Scalar(1 - p));
    return x.mul(mask.narrow(0, offset, size));
  }

  private void checkSize(long tasks) {
    if (tasks != size) throw new IllegalArgumentException("a slice of " + size + " tasks, got a tensor of " + tasks);
  }
}
