package org.steer4j.train;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Gradient accumulation over the micro-batches of one optimiser step, micro-batch by
 * micro-batch: each micro-batch's gradient is complete (a parameter may receive several
 * contributions within one backward, the tape's phases too) before it is added to the sum, so one
 * process sums micro-batches exactly as the all-reduce sums ranks' gradients (for two, bit for
 * bit). Used by the reward and the DPO steps.
 */
public final class MicroBatchGradients {
  private MicroBatchGradients() {}

  /**
   * Adds each parameter's gradient of the micro-batch just run into {@code sums} (the first
   * micro-batch's become the sums; null to start) and clears it; returns the sums.
   */
  public static List<Tensor> take(List<Tensor> params, List<Tensor> sums) {
    List<Tensor> out = sums == null ? new ArrayList<>() : sums;
    try (NoGradGuard guard = new NoGradGuard()) {
      for (int i = 0; i < params.size(); ++i) {
        Tensor p = params.get(i), g = new Tensor(p.grad());  // our own handle: grad() is a reference into p, which we clear
        if (sums == null) out.add(g);
        else if (g.defined()) {
          if (out.get(i).defined()) out.get(i).add_(g);
          else out.set(i, g);
        }
        if (g.defined()) p.mutable_grad().put(new Tensor());
      }
    }
    return out;
  }

  /** Puts the sums back as the parameters' gradients, for the optimiser step. */
  public static void restore(List<Tensor> params, List<Tensor> sums) {
    for (int i = 0; i < params.size(); ++i) params.get(i).mutable_grad().put(sums.get(i));
  }
}
