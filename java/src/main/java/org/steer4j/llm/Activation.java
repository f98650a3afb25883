package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.gelu;
import static org.bytedeco.pytorch.global.torch.silu;

import org.bytedeco.pytorch.Tensor;

/** The gate activation of the MLP, by its Hugging Face name. */
enum Activation {
  SILU,
  GELU_TANH,
  GELU;

  static Activation of(String name, String where) {
    if (name == null) throw new CheckpointException(where + ": no hidden_act");
    return switch (name) {
      case "silu", "swish" -> SILU;
      case "gelu_pytorch_tanh", "gelu_new" -> GELU_TANH;  // both are the tanh approximation
      case "gelu" -> GELU;
      default -> throw new CheckpointException(where + ": hidden_act '" + name + "' is not supported (silu, gelu_pytorch_tanh, gelu_new, gelu)");
    };
  }

  Tensor apply(Tensor x) {
    return switch (this) {
      case SILU -> silu(x);
      case GELU_TANH -> gelu(x, "tanh");
      case GELU -> gelu(x);
    };
  }
}
