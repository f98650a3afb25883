package org.steer4j.bench;

import org.steer4j.reward.RewardModelConfig;
import org.steer4j.nn.ContextEncoder;

/**
 * Matrix-product flops of one NP-BTL (or BTL) training step: forward, and backward without the
 * input gradients of layers that read raw data (autograd skips them). Elementwise work, softmax
 * and the optimizer are left out: the floor is the matmul work over the machine's matmul rate.
 */
public final class StepFlops {
  private StepFlops() {}

  /** 2 m n k. */
  static double mm(double m, double n, double k) {
    return 2 * m * n * k;
  }

  public static double rewardStep(RewardModelConfig c, long b, long t, long contexts, long d) {
    double h = c.hidden(), rows = 2.0 * b * t, pairs = (double) b * contexts;
    double flops = 0;
    // target encoder: first layer reads raw features (forward + weight gradient only)
    flops += 2 * mm(rows, h, d);
    if (c.targetEncoder() == ContextEncoder.Encoder.MLP) flops += 3 * mm(rows, h, h);
    if (c.conditional()) {
      flops += 2 * mm(pairs, h, 2 * d);                                    // context input layer
      if (c.contextEncoder() == ContextEncoder.Encoder.MLP) flops += 3 * mm(pairs, h, h);
      if (c.aggregator() == ContextEncoder.Aggregator.SELF_ATTENTION) {
        flops += 3 * mm(pairs, 3 * h, h);                                  // in projection
        flops += 3 * 2 * mm((double) b * contexts, contexts, h);           // q k^T and weights v
        flops += 3 * mm(pairs, h, h);                                      // out projection
      }
      flops += 3 * (mm(b, h, h) + mm(b, h, h));                            // outer MLP
      flops += 3 * mm(b, h, h);                                            // decoder, z half
    }
    flops += 3 * mm(rows, h, h);                                           // decoder, t half
    flops += 3 * mm(rows, c.type() == RewardModelConfig.ModelType.DPL ? 2 : 1, h);  // output layer
    return flops;
  }
}
