package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.arange;
import static org.bytedeco.pytorch.global.torch.cat;
import static org.bytedeco.pytorch.global.torch.embedding;
import static org.bytedeco.pytorch.global.torch.linear;
import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.runtime.Native;

/**
 * A decoder-only causal language model of the Llama, Qwen2 or Gemma family in LibTorch, with the
 * weights of a Hugging Face checkpoint under their Hugging Face names ({@code named_parameters()}
 * gives {@code model.layers.0.self_attn.q_proj.weight}, ...).
 *
 * <p>Forwards take right-padded batches: {@code ids [N, S]} (int64) and {@code mask [N, S]} (1 =
 * token, 0 = padding; null = no padding). Outputs at padded positions are finite but meaningless.
 * Beyond the plain model a forward can carry (see {@link ForwardOptions}) LoRA adapters, a FiLM
 * modulation of each layer's output, and a KV cache for incremental decoding. Base weights are
 * frozen ({@code requires_grad = false}); only attached adapters train.
 */
public final class DecoderLm extends Module {
  private final ModelConfig config;
  private final ModelDtype dtype;
  private final Device device;
  private final Tensor embed, finalNorm, lmHead;
  private final List<DecoderLayer> layers = new ArrayList<>();
  private final Tensor inverseFrequencies;  // float32 [Dh/2] on the device
  private final double embedScale;
  private LoraConfig lora;
  /**
   * The plain container modules (model, layers, norm, ...). Held because a Java module object is
   * the peer native code calls back into: collected, a later {@code train()} / {@code eval()}
   * walking the tree throws a NullPointerException from native code.
   */
  private final List<Module> containers = new ArrayList<>();

  private DecoderLm(ModelConfig config, WeightSource source, ModelDtype dtype, Device device) {
    super("DecoderLm");
    Native.ensureInit();
    this.config = config;
    this.dtype = dtype;
    this.device = device;
    WeightLoader w = new WeightLoader(config, source, dtype, device);
    Module model = keep(register_module("model", new Module("Model")));
    embed = w.get(WeightLayout.EMBED);
    keep(model.register_module("embed_tokens", new Module("Embedding"))).register_parameter("weight", embed, false);
    Module stack = keep(model.register_module("layers", new Module("Layers")));
    for (int l = 0; l < config.numLayers(); ++l) layers.add(stack.register_module(Integer.toString(l), new DecoderLayer(config, l, w)));
    finalNorm = w.get(WeightLayout.FINAL_NORM);
    keep(model.register_module("norm", new Module("RMSNorm"))).register_parameter("weight", finalNorm, false);
    if (config.tieWordEmbeddings()) {
      lmHead = embed;
    } else {
      lmHead = w.get(WeightLayout.LM_HEAD);
      keep(register_module("lm_head", new Module("Linear"))).register_parameter("weight", lmHead, false);
    }
    double[] f = RopeScaling.inverseFrequencies(config.headDim(), config.ropeTheta(), config.ropeScaling());
    float[] ff = new float[f.length];
    for (int i = 0; i < f.length; ++i) ff[i] = (float) f[i];
    inverseFrequencies = tensor(ff).to(device, ScalarType.Float);
    // Gemma multiplies embeddings by sqrt(hidden) rounded to the model dtype, as its reference does.
    embedScale = config.family().scaledEmbeddings()
        ? tensor((float) Math.sqrt(config.hiddenSize())).to(dtype.scalarType()).item_double() : 1.0;
    eval();
  }

  private Module keep(Module m) {
    containers.add(m);
    return m;
  }

  /** Loads a Hugging Face checkpoint directory, converting its weights to {@code dtype} on {@code device}. */
  public static DecoderLm load(Path dir, ModelDtype dtype, Device device) {
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      return new DecoderLm(checkpoint.config(), checkpoint, dtype, device);
    }
  }

  /** A model of {@code config} with weights from {@code source}. */
  public static DecoderLm of(ModelConfig config, WeightSource source, ModelDtype dtype, Device device) {
    return new DecoderLm(config, source, dtype, device);
  }

  /** A randomly initialised model (tests, benchmarks): see {@link RandomWeights}. */
  public static DecoderLm random(ModelConfig config, long seed, ModelDtype dtype, Device device) {
    return new DecoderLm(config, new RandomWeights(config, seed), dtype, device);
  }

  public ModelConfig config() {
    return config;
  }

  public ModelDtype dtype() {
    return dtype;
  }

  public Device device() {
    return device;
  }

  /**
   * Hidden states after the final norm, [N, S, H] (what Hugging Face returns as
   * {@code last_hidden_state} and {@code hidden_states[-1]}).
   */
  public Tensor hiddenStates(Tensor ids, Tensor mask, ForwardOptions options) {
    long n = ids.size(0), s = ids.size(1);
    checkInputs(ids, mask, options, n);
    KvCache cache = options.cache();
    long[] past = cache == null ? new long[(int) n] : cache.lengths();
    if (cache != null) cache.checkRoom(n, s);
    TensorOptions longs = options(ScalarType.Long);
    Tensor pastT = tensor(past).to(device, ScalarType.Long);
    Tensor positions = pastT.unsqueeze(1).add(arange(new Scalar(s), longs).unsqueeze(0));  // [N, S]
    Tensor valid = mask == null ? ones(new long[] {n, s}, options(ScalarType.Bool)) : mask.to(device, ScalarType.Bool);
    long keyCount = cache == null ? s : Arrays.stream(past).max().orElse(0) + s;
    Tensor attend = attentionMask(positions, valid, pastT, keyCount, cache != null);

    Tensor angles = positions.to(ScalarType.Float).unsqueeze(2).mul(inverseFrequencies);  // [N, S, Dh/2]
    Tensor doubled = cat(new TensorVector(angles, angles), 2);
    Tensor cos = doubled.cos().to(dtype.scalarType()).unsqueeze(1), sin = doubled.sin().to(dtype.scalarType()).unsqueeze(1);
    Pass pass = new Pass(cos, sin, attend, positions, options, is_training());

    Tensor x = embedding(embed, ids.to(device, ScalarType.Long));
    if (embedScale != 1.0) x = x.mul(new Scalar(embedScale));
    FilmModulation film = options.adapters() ? options.film() : null;
    for (int l = 0; l < layers.size(); ++l) {
      x = layers.get(l).forward(x, pass);
      if (film != null) x = film.apply(l, x);
    }
    x = RmsNorm.apply(x, finalNorm, config.rmsNormEps(), config.family().unitOffsetNorm());
    if (cache != null) {
      long[] added = new long[(int) n];
      valid.sum(new long[] {1}, false, new ScalarTypeOptional(ScalarType.Long)).cpu().contiguous().data_ptr_long().get(added);
      cache.advance(added);
    }
    return x;
  }

  /** Logits [N, S, V] in the model's dtype. */
  public Tensor logits(Tensor ids, Tensor mask, ForwardOptions options) {
    return head(hiddenStates(ids, mask, options));
  }

  /** Logits of the plain model (adapters on if attached, no FiLM, no cache). */
  public Tensor logits(Tensor ids, Tensor mask) {
    return logits(ids, mask, ForwardOptions.DEFAULT);
  }

  /** The language-model head on hidden states [..., H]: logits [..., V]. */
  public Tensor head(Tensor hidden) {
    return linear(hidden, lmHead);
  }

  /**
   * The final hidden state at each sequence's last real token, [N, H] (the embedding of a text
   * ending in EOS). Rows of {@code mask} must be right-padded with at least one token.
   */
  public Tensor lastTokenHidden(Tensor ids, Tensor mask, ForwardOptions options) {
    Tensor hidden = hiddenStates(ids, mask, options);
    long n = ids.size(0);
    Tensor last = mask == null
        ? tensor(new long[] {ids.size(1) - 1}).expand(n).to(device, ScalarType.Long)
        : mask.to(device, ScalarType.Long).sum(new long[] {1}, false, new ScalarTypeOptional(ScalarType.Long)).sub(new Scalar(1)).clamp_min(new Scalar(0));
    Tensor index = last.view(n, 1, 1).expand(n, 1, hidden.size(2));
    return hidden.gather(1, index).squeeze(1);
  }

  /**
   * Allowed (query, key) pairs [N, 1, S, Lk]. Key slot j holds absolute position j; query s of
   * sequence n sits at position past[n] + s. A query sees keys at positions up to its own that
   * hold real tokens, and always itself, so a padded query never has an empty row (which would
   * make softmax NaN).
   */
  private Tensor attentionMask(Tensor positions, Tensor valid, Tensor past, long keyCount, boolean cached) {
    long s = positions.size(1);
    Tensor slots = arange(new Scalar(keyCount), options(ScalarType.Long));  // [Lk]
    Tensor keyValid;
    if (!cached) {
      keyValid = valid;  // keys are this chunk's tokens
    } else {
      Tensor relative = slots.unsqueeze(0).sub(past.unsqueeze(1));  // [N, Lk]: index into this chunk
      Tensor inChunk = relative.ge(new Scalar(0)).logical_and(relative.lt(new Scalar(s)));
      Tensor chunkValid = valid.gather(1, relative.clamp(new org.bytedeco.pytorch.ScalarOptional(new Scalar(0)),
          new org.bytedeco.pytorch.ScalarOptional(new Scalar(s - 1))));
      keyValid = relative.lt(new Scalar(0)).logical_or(inChunk.logical_and(chunkValid));
    }
    Tensor query = positions.unsqueeze(2);  // [N, S, 1]
    Tensor key = slots.view(1, 1, keyCount);
    Tensor causal = key.le(query);
    Tensor allowed = causal.logical_and(keyValid.unsqueeze(1).logical_or(key.eq(query)));
    return allowed.unsqueeze(1);
  }

  private void checkInputs(Tensor ids, Tensor mask, ForwardOptions options, long n) {
    if (ids.dim() != 2) throw new IllegalArgumentException("ids must be [N, S], got " + Arrays.toString(ids.sizes().vec().get()));
    if (mask != null && !Arrays.equals(mask.sizes().vec().get(), ids.sizes().vec().get())) {
      throw new IllegalArgumentException("mask " + Arrays.toString(mask.sizes().vec().get()) + " must match ids " + Arrays.toString(ids.sizes().vec().get()));
    }
    if (mask != null && ids.size(1) > 1) {
      // right padding: once a row's mask drops to 0 it stays 0
      Tensor m = mask.to(ScalarType.Long);
      long s = ids.size(1);
      if (m.narrow(1, 1, s - 1).gt(m.narrow(1, 0, s - 1)).any().item_bool()) {
        throw new IllegalArgumentException("attention mask is not right-padded (a 1 follows a 0); steer4j batches pad on the right");
      }
    }
    if (options.film() != null && options.adapters()) options.film().check(config, n);
  }

  private TensorOptions options(ScalarType type) {
    return new TensorOptions(type).device(new DeviceOptional(device));
  }

  /** Attaches LoRA adapters to the configured projections of every layer. */
  public void attachLora(LoraConfig config) {
    if (lora != null) throw new IllegalStateException("LoRA is already attached (" + lora + ")");
    for (DecoderLayer layer : layers) {
      for (var e : layer.projections().entrySet()) if (config.targets().contains(e.getKey())) e.getValue().attachLora(config);
    }
    lora = config;
  }

  /**
   * Makes the base weights trainable (full fine-tuning, e.g. pretraining a small model from
   * scratch) or frozen again (the default: only adapters train). While they train, {@link
   * #trainableParameters()} lists them too.
   */
  public void trainBaseWeights(boolean trainable) {
    for (Tensor t : stateDict().values()) t.requires_grad_(trainable);
  }

  /** The attached LoRA configuration, or null. */
  public LoraConfig lora() {
    return lora;
  }

  /** The trainable parameters (the LoRA adapters), by name; empty without adapters. */
  public Map<String, Tensor> trainableParameters() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    org.steer4j.nn.Weights.parameters(this).forEach((name, t) -> {  // own handles: the dict is a temporary
      if (t.requires_grad()) out.put(name, t);
    });
    return out;
  }

  /** The base weights under their Hugging Face names, in checkpoint order (a tied head is not repeated). */
  public Map<String, Tensor> stateDict() {
    Map<String, Tensor> byName = new LinkedHashMap<>();
    byName.putAll(org.steer4j.nn.Weights.parameters(this));  // own handles: the dict is a temporary
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (String name : WeightLayout.of(config).keySet()) {
      Tensor t = byName.get(name);
      if (t == null) throw new IllegalStateException("model has no parameter '" + name + "'");
      out.put(name, t);
    }
    return out;
  }

  /** Saves the base weights and config.json in Hugging Face layout, sharded at {@code maxShardBytes}. */
  public void save(Path dir, long maxShardBytes) throws IOException {
    CheckpointWriter.write(dir, config, stateDict(), maxShardBytes);
  }

  /** A KV cache sized for this model. */
  public KvCache newCache(int batch, int capacity) {
    return KvCache.allocate(config, batch, capacity, dtype, device);
  }

  /** Decoder layers (package use: tests, the policy's hooks). */
  int layerCount() {
    return layers.size();
  }
}
