package org.steer4j.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.steer4j.runtime.Warnings;

/**
 * Every {@code config.json} key of the supported families, sorted by what it does to the math.
 * Audited against transformers 5.17.0 ({@code LlamaConfig}, {@code Qwen2Config}, {@code
 * GemmaConfig}, {@code PreTrainedConfig}) and the 4.x keys those replaced (transformers 4.47.1:
 * {@code rope_theta}, {@code rope_scaling}, {@code torch_dtype}, Gemma's {@code
 * hidden_activation}), for Llama 1 / 2 / 3 / 3.1 / 3.2, Qwen2 / 2.5 and Gemma 1 / 1.1 checkpoints.
 *
 * <ul>
 *   <li>{@link #READ}: keys {@link ModelConfig} implements;
 *   <li>{@link #INERT}: keys that cannot change the forward pass (bookkeeping, generation
 *       defaults, initialisation, equivalent tensor-parallel splits): accepted silently;
 *   <li>{@link #unsupported}: keys that would change the math in a way steer4j does not
 *       implement: refused by name when set to anything but their neutral value;
 *   <li>anything else: reported once as a warning and ignored.
 * </ul>
 */
final class ConfigKeys {
  private ConfigKeys() {}

  static final Set<String> READ = Set.of("model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
      "num_attention_heads", "num_key_value_heads", "head_dim", "rms_norm_eps", "rope_theta", "rope_scaling", "rope_parameters",
      "max_position_embeddings", "tie_word_embeddings", "attention_bias", "mlp_bias", "hidden_act", "hidden_activation", "torch_dtype",
      "dtype", "bos_token_id", "eos_token_id", "pad_token_id", "use_sliding_window");

  static final Set<String> INERT = Set.of(
      // bookkeeping
      "architectures", "transformers_version", "_name_or_path", "auto_map", "model_name", "name_or_path", "tokenizer_class",
      "task_specific_params", "finetuning_task", "id2label", "label2id", "num_labels", "problem_type", "prefix",
      "keys_to_ignore_at_inference", "_attn_implementation", "attn_implementation", "_attn_implementation_autoset", "torchscript",
      "return_dict", "output_attentions", "output_hidden_states", "use_return_dict", "chunk_size_feed_forward", "is_decoder",
      "is_encoder_decoder", "add_cross_attention", "cross_attention_hidden_size", "tie_encoder_decoder", "pruned_heads",
      "sep_token_id", "decoder_start_token_id", "base_model_tp_plan", "base_model_pp_plan", "tp_plan", "pp_plan",
      // caching and generation defaults (steer4j decodes with its own settings)
      "use_cache", "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty",
      "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty", "no_repeat_ngram_size",
      "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences", "output_scores", "return_dict_in_generate",
      "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values", "exponential_decay_length_penalty", "suppress_tokens",
      "begin_suppress_tokens",
      // initialisation only
      "initializer_range",
      // Llama 2: tensor-parallel slicing of the same matmuls (equal up to float rounding)
      "pretraining_tp",
      // Qwen2: only read when use_sliding_window is true (refused below)
      "sliding_window", "max_window_layers");

  /**
   * Why {@code key = value} changes the math in a way steer4j does not implement, or null when it
   * is absent or neutral.
   */
  static String unsupported(String key, JsonNode value) {
    if (value == null || value.isNull()) return null;
    return switch (key) {
      case "quantization_config" -> "quantized checkpoints are not supported (dequantize to float16 / bfloat16 first)";
      case "attention_dropout" -> value.asDouble() != 0 ? "attention dropout is not implemented (attention_dropout must be 0)" : null;
      case "use_bidirectional_attention" -> value.asBoolean() ? "bidirectional attention is not implemented" : null;
      case "layer_types" -> value.toString().contains("sliding_attention") ? "sliding-window attention layers are not implemented" : null;
      case "partial_rotary_factor" -> value.asDouble() != 1 ? "partial rotary embeddings are not implemented" : null;
      case "attn_logit_softcapping", "final_logit_softcapping" -> "logit soft-capping (Gemma 2) is not implemented";
      case "query_pre_attn_scalar" -> "a query scale other than 1/sqrt(head_dim) (Gemma 2) is not implemented";
      case "embedding_multiplier", "logits_scaling", "residual_multiplier", "attention_multiplier" -> "scaled activations (Granite) are not implemented";
      default -> null;
    };
  }

  /**
   * Refuses a key that changes the math unimplemented, and warns once about every key that is
   * neither read nor known to be inert.
   *
   * @throws CheckpointException naming the file, the key and why
   */
  static void check(ObjectNode node, String where) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      if (READ.contains(key) || INERT.contains(key)) continue;
      String why = unsupported(key, e.getValue());
      if (why != null) throw new CheckpointException(where + ": " + key + " = " + e.getValue() + ": " + why);
      if (!isKnownNeutral(key)) Warnings.once(where + ": unknown key '" + key + "' ignored (steer4j does not know whether it changes the model)");
    }
  }

  /** Keys of {@link #unsupported} set to their neutral value. */
  private static boolean isKnownNeutral(String key) {
    return switch (key) {
      case "quantization_config", "attention_dropout", "use_bidirectional_attention", "layer_types", "partial_rotary_factor",
          "attn_logit_softcapping", "final_logit_softcapping", "query_pre_attn_scalar", "embedding_multiplier", "logits_scaling",
          "residual_multiplier", "attention_multiplier" -> true;
      default -> false;
    };
  }
}
