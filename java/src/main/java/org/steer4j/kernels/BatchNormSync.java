package org.steer4j.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * The collective behind synchronised BatchNorm (PyTorch's SyncBatchNorm): a batch spread over
 * the processes of a data-parallel job is normalised with the statistics of the whole batch, so
 * each process's per-feature sums are summed over all of them, in forward (sums of x and x^2)
 * and in backward (the two sums BatchNorm's input gradient subtracts). Every process must call
 * it the same number of times, in the same order.
 */
@FunctionalInterface
public interface BatchNormSync {
  /** Replaces {@code values} (float64, contiguous, any shape) by their element-wise sum over the processes. */
  void sumInPlace(Tensor values);
}
