package org.steer4j.llm;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The decoder-only families steer4j runs, keyed by Hugging Face's {@code model_type}. They share
 * one architecture (pre-norm blocks of RMSNorm, rotary self-attention with grouped KV heads and a
 * gated MLP) and differ in a handful of details, which live here rather than as branches spread
 * through the model.
 */
public enum Family {
  /** Llama 2 / 3 / 3.x: SwiGLU, optional llama3 RoPE scaling, optional attention biases. */
  LLAMA("llama", "silu", false, false, false, false),
  /** Qwen2 / Qwen2.5: Llama plus biases on q, k and v (never on o). */
  QWEN2("qwen2", "silu", true, false, false, false),
  /**
   * Gemma, first generation: GeGLU with the tanh gelu, RMSNorm scaled by (1 + w) and computed in
   * float32, embeddings multiplied by sqrt(hidden_size), head_dim independent of hidden_size, and
   * tied embeddings by default.
   */
  GEMMA("gemma", "gelu_pytorch_tanh", false, true, true, true);

  private final String modelType;
  private final String defaultActivation;
  private final boolean qkvBias;
  private final boolean unitOffsetNorm;
  private final boolean scaledEmbeddings;
  private final boolean tiedByDefault;

  Family(String modelType, String defaultActivation, boolean qkvBias, boolean unitOffsetNorm, boolean scaledEmbeddings, boolean tiedByDefault) {
    this.modelType = modelType;
    this.defaultActivation = defaultActivation;
    this.qkvBias = qkvBias;
    this.unitOffsetNorm = unitOffsetNorm;
    this.scaledEmbeddings = scaledEmbeddings;
    this.tiedByDefault = tiedByDefault;
  }

  /** Hugging Face's {@code model_type} of the family. */
  public String modelType() {
    return modelType;
  }

  String defaultActivation() {
    return defaultActivation;
  }

  /** Whether q/k/v projections always carry a bias (Qwen2), independent of {@code attention_bias}. */
  boolean qkvBias() {
    return qkvBias;
  }

  /** Gemma's RMSNorm multiplies by (1 + w), so its stored weights are centred on 0. */
  boolean unitOffsetNorm() {
    return unitOffsetNorm;
  }

  boolean scaledEmbeddings() {
    return scaledEmbeddings;
  }

  boolean tiedByDefault() {
    return tiedByDefault;
  }

  /** transformers' default {@code max_position_embeddings} of the family's config class. */
  int defaultMaxPositions() {
    return switch (this) {
      case LLAMA -> 2048;
      case QWEN2 -> 32768;
      case GEMMA -> 8192;
    };
  }

  /** The family of {@code modelType}, or an exception naming the supported ones. */
  public static Family of(String modelType, String where) {
    for (Family f : values()) if (f.modelType.equals(modelType)) return f;
    throw new CheckpointException(where + ": model_type '" + modelType + "' is not supported (supported: "
        + Arrays.stream(values()).map(Family::modelType).collect(Collectors.joining(", ")) + ")");
  }

  @Override
  public String toString() {
    return modelType.toLowerCase(Locale.ROOT);
  }
}
