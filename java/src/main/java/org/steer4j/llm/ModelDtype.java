package org.steer4j.llm;

import java.util.Locale;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** The dtype a model's weights and activations are held in (norms and softmax still accumulate in float32). */
public enum ModelDtype {
  FLOAT32(ScalarType.Float),
  BFLOAT16(ScalarType.BFloat16),
  FLOAT16(ScalarType.Half);

  private final ScalarType scalarType;

  ModelDtype(ScalarType scalarType) {
    this.scalarType = scalarType;
  }

  public ScalarType scalarType() {
    return scalarType;
  }

  /** The dtype named by a config.json {@code torch_dtype} (float32 when absent or unknown). */
  public static ModelDtype ofTorchName(String name) {
    if (name == null) return FLOAT32;
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "bfloat16" -> BFLOAT16;
      case "float16", "half" -> FLOAT16;
      default -> FLOAT32;
    };
  }

  /** The name config.json uses ({@code torch_dtype}). */
  public String torchName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
