package org.steer4j.policy;

import org.steer4j.llm.ModelDtype;
import org.steer4j.config.Checks;
import org.steer4j.config.TrainConfig;
import org.steer4j.llm.TextConfig;

/**
 * The base LM a policy adapts (frozen; LoRA and FiLM train on top) and the reference policy it
 * also is (adapters off).
 *
 * @param source checkpoint (a Hugging Face checkpoint directory, {@code path}) or pretrain
 *     (a small model trained here on the dialogue world's grammar, {@code pretrain}; the demo)
 * @param path the checkpoint directory (source = checkpoint)
 * @param tokenizer tokenizer.json or its directory; empty = {@code path}
 * @param dtype weights in float32, bfloat16 or float16 (the paper: bf16 / fp16 on GPU)
 * @param format how a (prompt, response) becomes text: plain, chat_template (the family's), or
 *     llama3, chatml, gemma
 * @param systemPrompt the chat template's system prompt; null = the template's default
 * @param maxLength pairs with a prompt + response of more tokens are dropped
 * @param pretrain the demo model's architecture and pretraining (source = pretrain)
 */
public record BaseModelConfig(
    Source source, String path, String tokenizer, ModelDtype dtype, TextConfig.Format format, String systemPrompt, int maxLength,
    PretrainConfig pretrain) {
  public BaseModelConfig {
    if (path == null) path = "";
    if (tokenizer == null) tokenizer = "";
    Checks.require(source != null, "base.source must be checkpoint or pretrain");
    Checks.require(source != Source.CHECKPOINT || !path.isBlank(), "base.path must name a Hugging Face checkpoint directory when base.source is checkpoint");
    Checks.require(dtype != null, "base.dtype must be float32, bfloat16 or float16");
    Checks.require(format != null, "base.format must be plain, chat_template, llama3, chatml or gemma");
    Checks.require(source != Source.PRETRAIN || format == TextConfig.Format.PLAIN, "base.format: the pretrained demo model speaks the plain format");
    Checks.positive("base.max_length", maxLength);
  }

  public static BaseModelConfig defaults() {
    return new BaseModelConfig(Source.PRETRAIN, "", "", ModelDtype.FLOAT32, TextConfig.Format.PLAIN, null, 256, PretrainConfig.defaults());
  }

  /** Where tokenizer.json is: {@code tokenizer}, or the model directory. */
  public String tokenizerPath() {
    return tokenizer.isBlank() ? path : tokenizer;
  }

  public enum Source {
    CHECKPOINT,
    PRETRAIN
  }

  /**
   * A small Llama-family decoder trained from random weights on the dialogue world's corpus
   * (next-token loss on the responses).
   *
   * @param hidden hidden size
   * @param intermediate MLP width
   * @param layers decoder layers
   * @param heads attention heads
   * @param kvHeads key/value heads (grouped-query attention)
   * @param steps optimiser steps (AdamW)
   * @param batchSize sequences per step
   * @param lr learning rate (linear warm-up over the first 5 %, then constant)
   * @param seed initial weights and batch order
   */
  public record PretrainConfig(int hidden, int intermediate, int layers, int heads, int kvHeads, int steps, int batchSize, double lr, long seed) {
    public PretrainConfig {
      Checks.positive("base.pretrain.hidden", hidden);
      Checks.positive("base.pretrain.intermediate", intermediate);
      Checks.positive("base.pretrain.layers", layers);
      Checks.positive("base.pretrain.heads", heads);
      Checks.positive("base.pretrain.kv_heads", kvHeads);
      Checks.require(hidden % heads == 0 && heads % kvHeads == 0, "base.pretrain: hidden must be a multiple of heads, heads of kv_heads");
      Checks.require((hidden / heads) % 2 == 0, "base.pretrain: the head width hidden / heads must be even (rotary embeddings)");
      Checks.positive("base.pretrain.steps", steps);
      Checks.positive("base.pretrain.batch_size", batchSize);
      Checks.positive("base.pretrain.lr", lr);
    }

    public static PretrainConfig defaults() {
      return new PretrainConfig(192, 512, 4, 6, 2, 600, 32, 3e-3, 0);
    }

    /** The optimiser settings: AdamW (eps 1e-8, no weight decay) for {@code steps} steps, no validation. */
    public TrainConfig train() {
      return new TrainConfig(TrainConfig.Optimizer.ADAMW, lr, 1e-8, 0.0, steps, 0, steps, 1, steps);
    }
  }
}
