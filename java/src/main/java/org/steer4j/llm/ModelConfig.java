package org.steer4j.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.steer4j.io.JsonErrors;
import org.steer4j.io.TextFiles;
import org.steer4j.runtime.Warnings;

/**
 * The architecture of a checkpoint, read from its Hugging Face {@code config.json}. Keys of both
 * transformers 4.x ({@code rope_theta}, {@code rope_scaling}, {@code torch_dtype}) and 5.x
 * ({@code rope_parameters}, {@code dtype}) are understood. The parsed JSON is kept, so a model
 * written back ({@link CheckpointWriter}) carries every key it was loaded with.
 *
 * @param headDim per-head width; Gemma sets it independently of hidden_size / heads
 * @param ropeScaling null when positions are not rescaled
 * @param attentionBias Llama's {@code attention_bias}: biases on q, k, v and o (Qwen2 always has
 *     q/k/v biases; see {@link #qkvBias()})
 * @param activation the gated MLP's activation (HF name, e.g. silu, gelu_pytorch_tanh)
 * @param torchDtype the dtype the weights were saved in (float32, bfloat16, float16) or null
 * @param eosTokenIds all end-of-sequence ids (HF allows a list); the first is the one appended
 */
public record ModelConfig(
    Family family,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    int maxPositionEmbeddings,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    boolean mlpBias,
    String activation,
    String torchDtype,
    Integer bosTokenId,
    int[] eosTokenIds,
    Integer padTokenId,
    ObjectNode raw) {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** How the canonical constructor names the file in its messages ({@link #parse} puts the real name). */
  private static final String SELF = "config.json";

  public ModelConfig {
    String where = SELF;
    positive(where, "vocab_size", vocabSize);
    positive(where, "hidden_size", hiddenSize);
    positive(where, "intermediate_size", intermediateSize);
    positive(where, "num_hidden_layers", numLayers);
    positive(where, "num_attention_heads", numHeads);
    positive(where, "num_key_value_heads", numKvHeads);
    positive(where, "head_dim", headDim);
    if (numHeads % numKvHeads != 0) {
      throw new CheckpointException(where + ": num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
    }
    if (headDim % 2 != 0) throw new CheckpointException(where + ": head_dim " + headDim + " must be even for rotary embeddings");
    if (!(rmsNormEps > 0 && rmsNormEps < Double.POSITIVE_INFINITY)) throw new CheckpointException(where + ": rms_norm_eps must be finite and > 0, got " + rmsNormEps);
    if (!(ropeTheta > 0 && ropeTheta < Double.POSITIVE_INFINITY)) throw new CheckpointException(where + ": rope_theta must be finite and > 0, got " + ropeTheta);
    Activation.of(activation, where);  // fail at load time, not at the first forward
    eosTokenIds = eosTokenIds == null ? new int[0] : eosTokenIds.clone();
  }

  /** Reads {@code config.json} (a file, or a checkpoint directory holding one). */
  public static ModelConfig read(Path path) {
    Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
    if (!Files.exists(file)) throw new CheckpointException(file + ": no such file (a Hugging Face checkpoint directory needs config.json)");
    JsonNode node;
    try {
      node = JSON.readTree(TextFiles.read(file));
    } catch (JsonProcessingException e) {
      throw new CheckpointException(file + ": malformed JSON: " + JsonErrors.describe(e), e);
    }
    if (node == null || !node.isObject()) throw new CheckpointException(file + ": not a JSON object");
    return parse((ObjectNode) node, file.toString());
  }

  /** Parses a config from its JSON text; {@code where} names the source in errors. */
  public static ModelConfig parse(String json, String where) {
    try {
      JsonNode node = JSON.readTree(json);
      if (node == null || !node.isObject()) throw new CheckpointException(where + ": not a JSON object");
      return parse((ObjectNode) node, where);
    } catch (JsonProcessingException e) {
      throw new CheckpointException(where + ": malformed JSON: " + JsonErrors.describe(e), e);
    }
  }

  static ModelConfig parse(ObjectNode node, String where) {
    JsonNode typeNode = node.get("model_type");
    if (typeNode == null || !typeNode.isTextual()) {
      throw new CheckpointException(where + ": no model_type (expected one of llama, qwen2, gemma)");
    }
    Family family = Family.of(typeNode.asText(), where);
    if (node.path("use_sliding_window").asBoolean(false)) {
      throw new CheckpointException(where + ": use_sliding_window=true is not supported (Qwen2 sliding-window attention)");
    }
    int hidden = requiredInt(node, "hidden_size", where);
    int heads = requiredInt(node, "num_attention_heads", where);
    int kvHeads = optionalInt(node, "num_key_value_heads", heads);
    int headDim = optionalInt(node, "head_dim", family == Family.GEMMA ? 256 : hidden / Math.max(heads, 1));
    if (family != Family.GEMMA && hidden % Math.max(heads, 1) != 0 && !node.hasNonNull("head_dim")) {
      throw new CheckpointException(where + ": hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads + " and no head_dim is given");
    }
    // transformers 5.x keeps theta and scaling in rope_parameters; when present it is what the model
    // ran with (a stale rope_scaling beside it is not), otherwise the 4.x keys are.
    JsonNode ropeParameters = node.get("rope_parameters");
    boolean v5 = ropeParameters != null && ropeParameters.isObject();
    double theta = v5 && ropeParameters.hasNonNull("rope_theta") ? ropeParameters.get("rope_theta").asDouble()
        : node.hasNonNull("rope_theta") ? node.get("rope_theta").asDouble() : 10000.0;
    RopeScaling scaling = RopeScaling.parse(v5 ? ropeParameters : node.get("rope_scaling"), where);
    ConfigKeys.check(node, where);
    String activation = activation(node, family, where);
    String dtype = node.hasNonNull("torch_dtype") ? node.get("torch_dtype").asText()
        : node.hasNonNull("dtype") ? node.get("dtype").asText() : null;
    ModelConfig config;
    try {
      config = new ModelConfig(
          family,
          requiredInt(node, "vocab_size", where),
          hidden,
          requiredInt(node, "intermediate_size", where),
          requiredInt(node, "num_hidden_layers", where),
          heads,
          kvHeads,
          headDim,
          node.path("rms_norm_eps").asDouble(1e-6),
          theta,
          scaling,
          optionalInt(node, "max_position_embeddings", family.defaultMaxPositions()),
          node.has("tie_word_embeddings") ? node.get("tie_word_embeddings").asBoolean() : family.tiedByDefault(),
          node.path("attention_bias").asBoolean(false),
          node.path("mlp_bias").asBoolean(false),
          activation,
          dtype,
          optionalTokenId(node, "bos_token_id", where),
          eosIds(node.get("eos_token_id"), where),
          optionalTokenId(node, "pad_token_id", where),
          node.deepCopy());
    } catch (CheckpointException e) {
      // the constructor names the file config.json: name the one read
      if (where.equals(SELF) || !e.getMessage().startsWith(SELF + ": ")) throw e;
      throw new CheckpointException(where + e.getMessage().substring(SELF.length()), e);
    }
    finite(node, "", where);
    return config;
  }

  /**
   * Refuses a number too large for a double anywhere (JSON has no infinity: 1e999 would be read as
   * +Infinity and written back by {@link CheckpointWriter} as the string "Infinity").
   */
  private static void finite(JsonNode node, String path, String where) {
    if (node.isFloatingPointNumber() && !Double.isFinite(node.asDouble())) {
      throw new CheckpointException(where + ": " + path + " is too large for a number (" + node.asDouble() + ")");
    }
    if (node.isObject()) node.fields().forEachRemaining(e -> finite(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), where));
    if (node.isArray()) for (int i = 0; i < node.size(); ++i) finite(node.get(i), path + "[" + i + "]", where);
  }

  /**
   * The MLP's activation. Gemma 1.0 checkpoints (gemma-2b, gemma-7b, their -it versions and
   * fine-tunes saved from them) say {@code hidden_act: "gelu"} although the models were trained
   * with the tanh approximation; transformers 4.38 to 4.47 ran them with {@code
   * gelu_pytorch_tanh} unless {@code hidden_activation} said otherwise, and so does steer4j, with
   * a warning (transformers 4.48 and later read {@code hidden_act} and run the exact GELU: a known
   * regression, not the models' math). Gemma 1.1 and later name the tanh GELU themselves.
   */
  private static String activation(ObjectNode node, Family family, String where) {
    if (node.hasNonNull("hidden_activation")) return node.get("hidden_activation").asText();
    String act = node.hasNonNull("hidden_act") ? node.get("hidden_act").asText() : family.defaultActivation();
    if (family == Family.GEMMA && act.equals("gelu")) {
      Warnings.once(where + ": Gemma hidden_act 'gelu' with no hidden_activation is the Gemma 1.0 legacy value: running gelu_pytorch_tanh,"
          + " the activation the model was trained with (set hidden_activation to choose)");
      return "gelu_pytorch_tanh";
    }
    return act;
  }

  /**
   * A config of {@code family} with the given sizes and the family's defaults for everything else
   * (tests, benchmarks, random models).
   */
  public static ModelConfig of(Family family, int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim) {
    ObjectNode n = JSON.createObjectNode();
    n.put("model_type", family.modelType());
    n.putArray("architectures").add(switch (family) {
      case LLAMA -> "LlamaForCausalLM";
      case QWEN2 -> "Qwen2ForCausalLM";
      case GEMMA -> "GemmaForCausalLM";
    });
    n.put("vocab_size", vocab);
    n.put("hidden_size", hidden);
    n.put("intermediate_size", intermediate);
    n.put("num_hidden_layers", layers);
    n.put("num_attention_heads", heads);
    n.put("num_key_value_heads", kvHeads);
    n.put("head_dim", headDim);
    n.put("rms_norm_eps", 1e-6);
    n.put("rope_theta", family == Family.QWEN2 ? 1_000_000.0 : family == Family.LLAMA ? 500_000.0 : 10_000.0);
    n.put("max_position_embeddings", 8192);
    n.put("tie_word_embeddings", family.tiedByDefault());
    n.put("hidden_act", family.defaultActivation());
    n.put("bos_token_id", 1);
    n.put("eos_token_id", 2);
    n.put("pad_token_id", 0);
    n.put("torch_dtype", "float32");
    return parse(n, family + " config");
  }

  /** This config with {@code key} set to {@code value} in its JSON (re-parsed and re-validated). */
  public ModelConfig with(String key, Object value) {
    ObjectNode n = raw.deepCopy();
    n.set(key, JSON.valueToTree(value));
    return parse(n, family + " config");
  }

  /** The config as Hugging Face's config.json. */
  public ObjectNode toJson() {
    return raw.deepCopy();
  }

  /** Whether q/k/v projections carry a bias. */
  public boolean qkvBias() {
    return family.qkvBias() || attentionBias;
  }

  /** KV heads are shared by this many query heads (grouped-query attention). */
  public int queriesPerKvHead() {
    return numHeads / numKvHeads;
  }

  /** The id appended to texts whose last hidden state is an embedding, or -1 when none is configured. */
  public int eosTokenId() {
    return eosTokenIds.length == 0 ? -1 : eosTokenIds[0];
  }

  private static int[] eosIds(JsonNode node, String where) {
    if (node == null || node.isNull()) return new int[0];
    if (node.isArray()) {
      int[] ids = new int[node.size()];
      for (int i = 0; i < ids.length; ++i) ids[i] = tokenId(node.get(i), "eos_token_id", where);
      return ids;
    }
    return new int[] {tokenId(node, "eos_token_id", where)};
  }

  /** An optional token id ({@code key}), null when absent or null. */
  private static Integer optionalTokenId(JsonNode node, String key, String where) {
    JsonNode v = node.get(key);
    return v == null || v.isNull() ? null : tokenId(v, key, where);
  }

  /** A token id: an integer in int range (was read with asInt: "<s>" or [3] became 0). */
  private static int tokenId(JsonNode v, String key, String where) {
    if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new CheckpointException(where + ": " + key + " must be a token id (an integer), got " + v);
    return v.asInt();
  }

  private static int requiredInt(JsonNode node, String key, String where) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) throw new CheckpointException(where + ": missing required key '" + key + "'");
    if (!v.canConvertToInt()) throw new CheckpointException(where + ": '" + key + "' must be an integer, got " + v);
    return v.asInt();
  }

  private static int optionalInt(JsonNode node, String key, int fallback) {
    JsonNode v = node.get(key);
    return v == null || v.isNull() ? fallback : v.asInt();
  }

  private static void positive(String where, String key, int value) {
    if (value <= 0) throw new CheckpointException(where + ": " + key + " must be > 0, got " + value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelConfig c && raw.equals(c.raw);
  }

  @Override
  public int hashCode() {
    return raw.hashCode();
  }

  @Override
  public String toString() {
    return family + " (vocab " + vocabSize + ", hidden " + hiddenSize + ", " + numLayers + " layers, " + numHeads + "/" + numKvHeads
        + " heads of " + headDim + ", mlp " + intermediateSize + (tieWordEmbeddings ? ", tied" : "") + ")";
  }
}
