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
}
