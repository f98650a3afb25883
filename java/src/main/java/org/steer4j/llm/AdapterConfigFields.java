package org.steer4j.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.steer4j.runtime.Warnings;

/**
 * Every field of PEFT's {@code adapter_config.json} for LoRA ({@code LoraConfig} and {@code
 * PeftConfig}, audited against PEFT 0.17), read as PEFT reads it when it loads an adapter for
 * inference or further training:
 *
 * <ul>
 *   <li>honoured: {@code r}, {@code lora_alpha}, {@code lora_dropout}, {@code target_modules} (a
 *       list of module names, {@code "all-linear"}, or a regex matched in full against module
 *       paths as PEFT does; it must select the same projections in every layer), {@code
 *       use_rslora} (scaling alpha / sqrt(r)), {@code fan_in_fan_out} (PEFT resets it to false for
 *       the Linear layers steer4j adapts);
 *   <li>refused by name when set (they change the math or the set of trained modules and are not
 *       implemented): see {@link #refusal};
 *   <li>accepted because they only matter when an adapter is first created or trained: {@value
 *       #INIT_ONLY_TEXT};
 *   <li>bookkeeping: {@code peft_type} (must be LORA), {@code task_type}, {@code
 *       base_model_name_or_path}, {@code revision}, {@code inference_mode}, {@code auto_mapping},
 *       {@code peft_version}, {@code runtime_config};
 *   <li>anything else: warned about once.
 * </ul>
 */
final class AdapterConfigFields {
  static final String INIT_ONLY_TEXT = "init_lora_weights, loftq_config, eva_config, corda_config";
  private static final Set<String> INIT_ONLY = Set.of("init_lora_weights", "loftq_config", "eva_config", "corda_config");
  private static final Set<String> BOOKKEEPING = Set.of("peft_type", "task_type", "base_model_name_or_path", "revision", "inference_mode",
      "auto_mapping", "peft_version", "runtime_config");
  private static final Set<String> HONOURED = Set.of("r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora", "fan_in_fan_out");

  private AdapterConfigFields() {}

  /**
   * Why {@code field = value} can't be honoured, or null when it is absent or at its neutral
   * value.
   */
  static String refusal(String field, JsonNode value) {
    if (value == null || value.isNull()) return null;
    boolean set = !(value.isBoolean() && !value.asBoolean()) && !(value.isContainerNode() && value.isEmpty())
        && !(value.isTextual() && value.asText().isEmpty());
    if (!set) return null;
    return switch (field) {
      case "bias" -> value.asText().equals("none") ? null : "trained biases ('" + value.asText() + "') are not supported";
      case "modules_to_save" -> "whole modules saved beside the adapter (" + value + ") would replace the base model's; not supported";
      case "layers_to_transform", "layers_pattern" -> "adapters on some layers only are not supported (every layer)";
      case "rank_pattern", "alpha_pattern" -> "per-module ranks or alphas are not supported";
      case "exclude_modules" -> "excluding modules from the targets is not supported";
      case "use_dora" -> "DoRA (weight-decomposed LoRA) is not supported";
      case "lora_bias" -> "a bias on lora_B is not supported";
      case "layer_replication" -> "layer replication is not supported";
      case "megatron_config" -> "Megatron parallel layers are not supported";
      case "megatron_core" -> value.asText().equals("megatron.core") ? null : "Megatron parallel layers are not supported";
      case "trainable_token_indices" -> "trainable token embeddings are not supported";
      case "target_parameters" -> "adapters on parameters (not modules) are not supported";
      case "use_qalora" -> "QA-LoRA is not supported";
      case "qalora_group_size" -> null;  // only read with use_qalora
      case "alora_invocation_tokens" -> "activated LoRA is not supported";
      case "arrow_config" -> "Arrow routing is not supported";
      default -> null;
    };
  }

  /**
   * The adapter settings of {@code config}, for a model of {@code layers} decoder layers.
   *
   * @throws CheckpointException naming {@code where} and the field
   */
  static LoraConfig parse(ObjectNode config, String where, int layers) {
    if (!"LORA".equals(config.path("peft_type").asText())) throw new CheckpointException(where + ": peft_type is not LORA");
    for (Iterator<Map.Entry<String, JsonNode>> it = config.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String field = e.getKey();
      if (HONOURED.contains(field) || INIT_ONLY.contains(field) || BOOKKEEPING.contains(field)) continue;
      String why = refusal(field, e.getValue());
      if (why != null) throw new CheckpointException(where + ": " + field + ": " + why);
      if (!isKnown(field)) Warnings.once(where + ": unknown field '" + field + "' ignored (steer4j does not know whether it changes the adapter)");
    }
    List<String> targets = targets(config.get("target_modules"), where, layers);
    try {
      return new LoraConfig(config.path("r").asInt(), config.path("lora_alpha").asDouble(), config.path("lora_dropout").asDouble(0), targets,
          config.path("use_rslora").asBoolean(false));
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(where + ": " + e.getMessage(), e);
    }
  }

  private static boolean isKnown(String field) {
    return refusal(field, com.fasterxml.jackson.databind.node.BooleanNode.TRUE) != null || field.equals("bias") || field.equals("qalora_group_size")
        || field.equals("megatron_core");
  }

  /**
   * The projection names {@code target_modules} selects: a list of names (PEFT matches a name
   * against the end of each module path), {@code "all-linear"} (every projection, not the output
   * head), or a regex that PEFT matches in full against each module path.
   */
  static List<String> targets(JsonNode node, String where, int layers) {
    if (node == null || node.isNull()) throw new CheckpointException(where + ": target_modules is missing");
    Set<String> out = new LinkedHashSet<>();
    if (node.isArray()) {
      for (JsonNode t : node) {
        String name = t.asText();
        String last = name.substring(name.lastIndexOf('.') + 1);
        if (!LoraConfig.PROJECTIONS.contains(last)) {
          throw new CheckpointException(where + ": target_modules: '" + name + "' is not a projection (one of " + LoraConfig.PROJECTIONS + ")");
        }
        out.add(last);
      }
      return sorted(out);
    }
    if (!node.isTextual()) throw new CheckpointException(where + ": target_modules must be a list of module names or a string");
    String text = node.asText();
    if (text.equals("all-linear")) return sorted(LoraConfig.PROJECTIONS);
    Pattern regex;
    try {
      regex = Pattern.compile(text);
    } catch (PatternSyntaxException e) {
      throw new CheckpointException(where + ": target_modules: not a valid regular expression: " + e.getDescription());
    }
    List<Set<String>> perLayer = new ArrayList<>();
    long[] budget = {MATCH_BUDGET};
    try {
      for (int layer = 0; layer < layers; ++layer) {
        Set<String> chosen = new LinkedHashSet<>();
        for (String p : LoraConfig.PROJECTIONS) {
          String block = List.of("q_proj", "k_proj", "v_proj", "o_proj").contains(p) ? "self_attn" : "mlp";
          if (regex.matcher(new Bounded("model.layers." + layer + "." + block + "." + p, budget)).matches()) chosen.add(p);
        }
        perLayer.add(chosen);
      }
    } catch (Bounded.Exhausted e) {
      throw new CheckpointException(where + ": target_modules '" + text + "' takes too long to match (catastrophic backtracking);"
          + " list the module names instead");
    }
    if (perLayer.stream().distinct().count() != 1) {
      throw new CheckpointException(where + ": target_modules '" + text + "' selects different projections in different layers; not supported");
    }
    if (perLayer.get(0).isEmpty()) throw new CheckpointException(where + ": target_modules '" + text + "' matches no projection");
    return sorted(perLayer.get(0));
  }

  /** Character reads allowed for matching target_modules against every module path (about 0.1 s). */
  private static final long MATCH_BUDGET = 20_000_000;

  /**
   * A module path that counts the regex engine's character reads against a shared budget: a
   * pattern that backtracks catastrophically (say {@code (.*.){20}x}) would otherwise take hours
   * on paths of 30 characters.
   */
  private static final class Bounded implements CharSequence {
    static final class Exhausted extends RuntimeException {
      private static final long serialVersionUID = 1L;

      Exhausted() {
        super(null, null, false, false);
      }
    }

    private final String text;
    private final long[] budget;

    Bounded(String text, long[] budget) {
      this.text = text;
      this.budget = budget;
    }

    @Override
    public char charAt(int index) {
      if (--budget[0] < 0) throw new Exhausted();
      return text.charAt(index);
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new Bounded(text.substring(start, end), budget);
    }

    @Override
    public String toString() {
      return text;
    }
  }

  private static List<String> sorted(Set<String> names) {
    List<String> out = new ArrayList<>(names);
    out.sort(null);
    return out;
  }
}
