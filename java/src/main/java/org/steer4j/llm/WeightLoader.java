package org.steer4j.llm;

import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/** Fetches the layout's tensors from a source and converts them to the model's dtype and device, once each. */
final class WeightLoader {
  private final Map<String, long[]> layout;
  private final WeightSource source;
  private final ModelDtype dtype;
  private final Device device;

  WeightLoader(ModelConfig config, WeightSource source, ModelDtype dtype, Device device) {
    this.layout = WeightLayout.of(config);
    this.source = source;
    this.dtype = dtype;
    this.device = device;
  }

  Tensor get(String name) {
    long[] shape = layout.get(name);
    if (shape == null) throw new IllegalStateException("tensor '" + name + "' is not in the layout");
    Tensor t = source.get(name, shape);
    // to() copies when dtype or device change; clone otherwise so the model owns its weights
    Tensor converted = t.to(device, dtype.scalarType());
    Tensor owned = converted.is_same(t) ? t.clone() : converted;
    // Drop our handle on the source copy now rather than at the next GC: an 8B model's CPU copies
    // would otherwise pile up to its full size (and trip JavaCPP's physical-memory limit).
    t.close();
    return owned;
  }

  /** The tensor when the layout has it (biases), else null. */
  Tensor optional(String name) {
    return layout.containsKey(name) ? get(name) : null;
  }
}
