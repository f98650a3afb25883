package org.steer4j.nn;

import static org.steer4j.runtime.Tensors.empty;

import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;

/** Parameter initialisation as PyTorch's defaults do it, drawn from LibTorch's seeded generator. */
public final class Init {
  private Init() {}

  /**
   * PyTorch's nn.Linear default for a weight of {@code fanIn} inputs (kaiming_uniform with
   * a = sqrt(5)) and for its bias: both U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
   */
  public static Tensor linearUniform(long fanIn, TensorOptions options, long... shape) {
    double bound = fanIn > 0 ? 1.0 / Math.sqrt(fanIn) : 0.0;
    return empty(options, shape).uniform_(-bound, bound, new GeneratorOptional());
  }
}
