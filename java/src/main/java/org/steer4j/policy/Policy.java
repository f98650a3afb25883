package org.steer4j.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.nn.PairRows;
import org.steer4j.io.SafeTensors;
import org.steer4j.io.SafeTensorsException;
import org.steer4j.kernels.Tape;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.FilmHead;
import org.steer4j.llm.FilmModulation;
import org.steer4j.llm.ForwardOptions;
import org.steer4j.llm.LoraAdapters;
import org.steer4j.nn.ContextEncoder;

/**
 * A DPO or NP-DPO policy (docs/method.md section 6): a frozen base LM with LoRA adapters, and for
 * NP-DPO the NP context encoder (the user's context pairs, as embeddings, to a latent z) and the
 * FiLM maps that turn z into a per-layer modulation of the LM's hidden states. The encoder, the
 * FiLM maps and LoRA train jointly; nothing else does.
 *
 * <p>The reference policy is the same base model with LoRA and FiLM off ({@link
 * ForwardOptions#BASE}): one copy of the weights, and a reference that can't be conditioned.
 * The heads (encoder, FiLM) are float32 on the model's device whatever the model's dtype; the
 * modulation is cast where it is applied.
 */
public final class Policy {
  public static final String WEIGHTS = "policy.safetensors", ADAPTER_DIR = "adapter";

  private final DecoderLm lm;
  private final PolicyModelConfig config;
  private final long contextWidth;
  private final Module heads;
  private final FilmHead film;
  private final ContextEncoder encoder;

  private Policy(DecoderLm lm, PolicyModelConfig config, long contextWidth) {
    this.lm = lm;
    this.config = config;
    this.contextWidth = contextWidth;
    lm.attachLora(config.lora().toLoraConfig());
    heads = new Module("PolicyHeads");
    if (config.conditional()) {
      TensorOptions options = new TensorOptions(ScalarType.Float).device(new DeviceOptional(lm.device()));
      int layers = lm.config().numLayers();
      List<Integer> modulated = config.filmLayers().isEmpty() ? IntStream.range(0, layers).boxed().toList() : config.filmLayers();
      film = heads.register_module("film", new FilmHead(config.latent(), lm.config().hiddenSize(), layers, modulated, options));
      encoder = heads.register_module("context_encoder", new ContextEncoder(contextWidth, config.contextEncoderSettings(), options));
    } else {
      film = null;
      encoder = null;
    }
    heads.eval();
  }

  /**
   * A fresh policy on {@code base} (which must have no adapters yet): LoRA with B = 0 and the
   * identity FiLM, so it starts as the reference policy. Initial weights come from LibTorch's
   * generator (seed it first). {@code contextWidth} is D, the width of a context text's features.
   */
  public static Policy create(DecoderLm base, PolicyModelConfig config, long contextWidth) {
    if (base.lora() != null) throw new IllegalArgumentException("the base model already has LoRA adapters attached");
    if (config.conditional() && contextWidth <= 0) throw new IllegalArgumentException("NP-DPO needs context features of width > 0, got " + contextWidth);
    return new Policy(base, config, contextWidth);
  }

  public DecoderLm model() {
    return lm;
  }

  public PolicyModelConfig config() {
    return config;
  }

  /** Whether the policy reads a user's context (NP-DPO). */
  public boolean conditional() {
    return config.conditional();
  }

  /** D, the width of the context features the encoder reads (0 for DPO). */
  public long contextWidth() {
    return contextWidth;
  }

  /** Training mode (LoRA dropout, attention dropout) on or off. */
  public void train(boolean on) {
    lm.train(on);
    heads.train(on);
  }

  /** The latent z [B, H] of B users from their context pairs (any C, 0 included). */
  public Tensor latent(PairRows context) {
    if (encoder == null) throw new IllegalStateException("a DPO policy has no context encoder");
    var device = lm.device();
    PairRows moved = new PairRows(context.rows().to(device, ScalarType.Float), context.chosen().to(device, ScalarType.Long),
        context.rejected().to(device, ScalarType.Long), context.tasks(), context.pairs());
    return encoder.forward(moved);
  }

  /** The forward options of the policy for sequences whose latents are {@code zRows [N, H]} (null: unconditioned). */
  public ForwardOptions options(Tensor zRows) {
    if (zRows == null) return ForwardOptions.DEFAULT;
    if (film == null) throw new IllegalStateException("a DPO policy is not conditioned on a latent");
    return ForwardOptions.DEFAULT.withFilm(film.modulation(zRows));
  }

  /** The modulation of latents {@code zRows [N, H]}. */
  public FilmModulation modulation(Tensor zRows) {
    if (film == null) throw new IllegalStateException("a DPO policy is not conditioned on a latent");
    return film.modulation(zRows);
  }

  /**
   * The policy's sequence log-probs [N] (response tokens only), conditioned per sequence on
   * {@code zRows [N, H]} (null for DPO), recorded on {@code tape} for the fused kernel.
   */
  public Tensor logProbs(SequenceBatch batch, Tensor zRows, DpoConfig.LogProb impl, Tape tape) {
    Tensor logits = lm.logits(batch.ids(), batch.mask(), options(zRows));
    return SequenceLogProbs.of(logits, batch.labels(), impl, tape);
  }

  /** The reference policy's sequence log-probs [N]: the base model, adapters and FiLM off, no gradient. */
  public Tensor referenceLogProbs(SequenceBatch batch, DpoConfig.LogProb impl) {
    return referenceLogProbs(lm, batch, impl);
  }

  /** The sequence log-probs [N] of {@code model}'s base weights. */
  public static Tensor referenceLogProbs(DecoderLm model, SequenceBatch batch, DpoConfig.LogProb impl) {
    try (NoGradGuard guard = new NoGradGuard()) {
      Tensor logits = model.logits(batch.ids(), batch.mask(), ForwardOptions.BASE);
      return SequenceLogProbs.of(logits, batch.labels(), impl, null);
    }
  }

  /** The trainable tensors by name: {@code lm.<LoRA name>}, {@code film.*}, {@code context_encoder.*}. */
  public Map<String, Tensor> trainableState() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    lm.trainableParameters().forEach((name, t) -> out.put("lm." + name, t));
    out.putAll(org.steer4j.nn.Weights.parameters(heads));  // own handles: the dict is a temporary
    return out;
  }

  /** Number of trainable scalars. */
  public long trainableCount() {
    return trainableState().values().stream().mapToLong(Tensor::numel).sum();
  }

  /**
   * Saves the trained weights into {@code dir}: {@value #WEIGHTS} (every trainable tensor) and
   * the LoRA adapters alone in PEFT's layout under {@value #ADAPTER_DIR}/ (so the plain DPO
   * policy loads with {@code PeftModel.from_pretrained}; {@code baseName} is recorded as its base).
   */
  public void save(Path dir, String baseName) throws IOException {
    SafeTensors.write(dir.resolve(WEIGHTS), trainableState(), Map.of("format", "pt", "producer", "steer4j", "policy", config.type().name()));
    LoraAdapters.save(lm, dir.resolve(ADAPTER_DIR), baseName);
  }

  /** Copies the weights saved by {@link #save} into this policy; names and shapes must match. */
  public void load(Path dir) {
    Path file = dir.resolve(WEIGHTS);
    Map<String, Tensor> state = trainableState();
    try (SafeTensors st = SafeTensors.open(file); NoGradGuard guard = new NoGradGuard()) {
      for (String name : state.keySet()) {
        if (!st.contains(name)) throw new SafeTensorsException(file + ": missing tensor '" + name + "' (a policy of another shape?)");
      }
      for (String name : st.names()) {
        Tensor target = state.get(name);
        if (target == null) throw new SafeTensorsException(file + ": unexpected tensor '" + name + "' (not in this policy)");
        long[] shape = st.entry(name).shape(), want = target.sizes().vec().get();
        if (!Arrays.equals(shape, want)) {
          throw new SafeTensorsException(file + ": tensor '" + name + "' has shape " + Arrays.toString(shape) + ", the policy expects " + Arrays.toString(want));
        }
        target.copy_(st.tensor(name));
      }
    }
  }
}
