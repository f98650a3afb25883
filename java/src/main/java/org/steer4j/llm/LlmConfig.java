package org.steer4j.llm;
import org.steer4j.config.Checks;


/**
 * A Hugging Face causal LM on disk.
 *
 * @param path checkpoint directory (config.json + safetensors, sharded or not)
 * @param tokenizer tokenizer.json or its directory; empty = {@code path}
 * @param dtype float32, bfloat16 or float16 (the paper embeds with Llama-3-8B in float16)
 */
public record LlmConfig(String path, String tokenizer, ModelDtype dtype) {
  public LlmConfig {
    Checks.require(path != null && !path.isBlank(), "model.path must name a Hugging Face checkpoint directory");
    Checks.require(dtype != null, "model.dtype must be float32, bfloat16 or float16");
    if (tokenizer == null) tokenizer = "";
  }

  public static LlmConfig defaults() {
    return new LlmConfig("models/Meta-Llama-3-8B", "", ModelDtype.FLOAT16);
  }

  /** Where tokenizer.json is: {@code tokenizer}, or the model directory. */
  public String tokenizerPath() {
    return tokenizer.isBlank() ? path : tokenizer;
  }
}
