package org.steer4j.runtime;

import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Small tensor helpers that the presets' overloads make awkward to write inline. */
public final class Tensors {
  private Tensors() {}

  /** An uninitialised tensor of {@code shape} with the dtype and device of {@code options}. */
  public static Tensor empty(TensorOptions options, long... shape) {
    return torch.empty(shape, options, new MemoryFormatOptional());
  }

  /** The shape of {@code t} as a Java array. */
  public static long[] shape(Tensor t) {
    return t.sizes().vec().get();
  }

  /** Largest |a - b| / max(|b|, floor) over all elements, computed in double. */
  public static double maxRelativeError(Tensor a, Tensor b, double floor) {
    Tensor x = a.to(torch.ScalarType.Double), y = b.to(torch.ScalarType.Double);
    Tensor denominator = y.abs().clamp_min(new org.bytedeco.pytorch.Scalar(floor));
    return x.sub(y).abs().div(denominator).max().item_double();
  }
}
