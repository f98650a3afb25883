package org.steer4j.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.io.SafeTensors;
import org.steer4j.io.SafeTensorsException;

/** A module's parameters and buffers by name, saved as and loaded from safetensors. */
public final class Weights {
  private Weights() {}

  /** Parameters, then buffers, by their dotted names ("decoder.w1t", ...). */
  public static Map<String, Tensor> state(Module module) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    put(out, module.named_parameters());
    put(out, module.named_buffers());
    return out;
  }

  /** Parameters only, by their dotted names. */
  public static Map<String, Tensor> parameters(Module module) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    put(out, module.named_parameters());
    return out;
  }

  // The dict's values are references into the dict, which is a temporary: take our own handle
  // (a new at::Tensor sharing the same storage) so the map outlives it.
  private static void put(Map<String, Tensor> out, StringTensorDict dict) {
    for (long i = 0; i < dict.size(); ++i) out.put(dict.get(i).key().getString(), new Tensor(dict.get(i).value()));
  }

  public static void save(Module module, Path file, Map<String, String> metadata) throws IOException {
    SafeTensors.write(file, state(module), metadata);
  }

  /** Copies every tensor of {@code file} into the module; names and shapes must match exactly. */
  public static void load(Module module, Path file) {
    Map<String, Tensor> state = state(module);
    try (SafeTensors st = SafeTensors.open(file); NoGradGuard guard = new NoGradGuard()) {
      for (String name : state.keySet()) {
        if (!st.contains(name)) throw new SafeTensorsException(file + ": missing tensor '" + name + "'");
      }
      for (String name : st.names()) {
        Tensor target = state.get(name);
        if (target == null) throw new SafeTensorsException(file + ": unexpected tensor '" + name + "' (not in the model)");
        long[] shape = st.entry(name).shape(), want = target.sizes().vec().get();
        if (!Arrays.equals(shape, want)) {
          throw new SafeTensorsException(file + ": tensor '" + name + "' has shape " + Arrays.toString(shape)
              + ", the model expects " + Arrays.toString(want));
        }
        target.copy_(st.tensor(name));
      }
    }
  }
}
