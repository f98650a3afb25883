package org.steer4j.nn;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * Registration of parameters and buffers on a {@link Module}. The presets return
 * {@code register_parameter}'s {@code Tensor&} as a view of the module's internal table, which
 * later registrations may reallocate; we keep our own handle to the same tensor instead.
 */
public final class Params {
  private Params() {}

  /** Registers {@code value} as a trainable parameter and returns a stable handle to it. */
  public static Tensor parameter(Module module, String name, Tensor value) {
    Tensor handle = value.requires_grad_(true);
    module.register_parameter(name, handle);
    return handle;
  }

  /** Registers {@code value} as a buffer (saved, moved with the module, not trained). */
  public static Tensor buffer(Module module, String name, Tensor value) {
    module.register_buffer(name, value);
    return value;
  }
}
