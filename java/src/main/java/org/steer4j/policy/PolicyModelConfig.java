package org.steer4j.policy;

import java.util.List;
import org.steer4j.llm.LoraConfig;
import org.steer4j.config.Checks;
import org.steer4j.nn.ContextEncoder;

/**
 * A policy (docs/method.md section 6): the frozen base LM with LoRA adapters, and for NP-DPO the FiLM
 * maps of every (or a chosen set of) decoder layer(s) and the NP context encoder that turns the
 * user's context pairs into the latent z they read.
 *
 * @param type dpo (one unconditioned policy, the BTL-style baseline) or np_dpo
 * @param lora the adapters (all policies)
 * @param filmLayers decoder layers FiLM modulates (np_dpo); empty = all
 * @param latent H, the width of the latent z (and of the context encoder)
 * @param contextEncoder linear (Linear(2D, H), the paper's choice over LLM embeddings) or mlp
 * @param aggregator self_attention (then sum), mean or sum over the C encodings
 * @param heads attention heads of the aggregator
 * @param attentionDropout dropout on the aggregator's attention weights
 */
public record PolicyModelConfig(
    Type type, LoraSettings lora, List<Integer> filmLayers, int latent, ContextEncoder.Encoder contextEncoder,
    ContextEncoder.Aggregator aggregator, int heads, double attentionDropout) {
  public PolicyModelConfig {
    filmLayers = filmLayers == null ? List.of() : List.copyOf(filmLayers);
    Checks.require(type != null, "policy.type must be dpo or np_dpo");
    Checks.require(lora != null, "policy.lora is required");
    Checks.positive("policy.latent", latent);
    Checks.positive("policy.heads", heads);
    Checks.require(latent % heads == 0, "policy.latent (" + latent + ") must be a multiple of policy.heads (" + heads + ")");
    Checks.range("policy.attention_dropout", attentionDropout, 0, 1);
    for (int l : filmLayers) Checks.require(l >= 0, "policy.film_layers: layer " + l + " must be >= 0");
  }

  public static PolicyModelConfig defaults() {
    return new PolicyModelConfig(Type.NP_DPO, LoraSettings.defaults(), List.of(), 256, ContextEncoder.Encoder.LINEAR,
        ContextEncoder.Aggregator.SELF_ATTENTION, 8, 0.1);
  }

  public boolean conditional() {
    return type == Type.NP_DPO;
  }

  /** The NP-DPO context encoder this describes (deterministic latent of width {@code latent}). */
  public ContextEncoder.Settings contextEncoderSettings() {
    return new ContextEncoder.Settings(latent, contextEncoder, aggregator, heads, attentionDropout, false);
  }

  public enum Type {
    DPO,
    NP_DPO
  }

  /**
   * LoRA as PEFT defines it (q_proj and v_proj by default, as the paper).
   *
   * @param rank r
   * @param alpha the update is scaled by alpha / r
   * @param dropout on the adapter's input, in training
   * @param targets projection names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)
   */
  public record LoraSettings(int rank, double alpha, double dropout, List<String> targets) {
    public LoraSettings {
      targets = targets == null ? List.of() : List.copyOf(targets);
      try {
        new LoraConfig(rank, alpha, dropout, targets);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("policy.lora: " + e.getMessage(), e);
      }
    }

    public static LoraSettings defaults() {
      return new LoraSettings(8, 16, 0.1, List.of("q_proj", "v_proj"));
    }

    public LoraConfig toLoraConfig() {
      return new LoraConfig(rank, alpha, dropout, targets);
    }
  }
}
