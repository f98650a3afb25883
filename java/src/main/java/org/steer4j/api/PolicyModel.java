package org.steer4j.api;

import static org.bytedeco.pytorch.global.torch.from_blob;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.nn.PairRows;
import org.steer4j.llm.Embedder;
import org.steer4j.llm.TextTokenizer;
import org.steer4j.policy.ChatEncoder;
import org.steer4j.policy.Policy;
import org.steer4j.policy.PolicyCard;
import org.steer4j.policy.PolicyFactory;

/**
 * A trained steerable policy (NP-DPO, or a plain DPO policy), for embedding in other JVM systems.
 *
 * <pre>{@code
 * PolicyModel policy = PolicyModel.load(Path.of("outputs/.../models/np-dpo"));
 * UserPolicy user = policy.adapt(List.of(new TextPreference(prompt, chosen, rejected)));  // no gradient step
 * String reply = user.generate("what number am i thinking of ?", GenerationSettings.paper(0));
 * }</pre>
 *
 * Loading reads {@code policy.yaml} (how the policy was made: its base checkpoint, architecture
 * and context features) and {@code policy.safetensors}, and loads the base model the card
 * names (or one given). Adapting to a user is one forward of the context encoder over the
 * user's context pairs: the latent z, which the FiLM maps turn into a modulation of every
 * forward while generating. Context pairs come as texts when the policy was trained on its base
 * model's own embeddings (they are embedded the same way here), or as precomputed features
 * ({@link #adaptFeatures}) when it was trained on another embedder's (e.g. Llama-3-8B's).
 * Calls are serialised (one model, one native thread pool); use one instance per thread for
 * parallel generation.
 */
public final class PolicyModel {
  private final Policy policy;
  private final PolicyCard card;
  private final ChatEncoder chat;
  private final TextTokenizer tokenizer;

  private PolicyModel(Policy policy, PolicyCard card, ChatEncoder chat, TextTokenizer tokenizer) {
    this.policy = policy;
    this.card = card;
    this.chat = chat;
    this.tokenizer = tokenizer;
  }

  /** Loads a policy checkpoint ({@code policy.yaml} here, or in {@code checkpoints/best}) on the CPU. */
  public static PolicyModel load(Path dir) {
    return load(dir, null, "cpu");
  }

  /**
   * Loads a policy checkpoint onto {@code device} ("cpu", "cuda:0"), on the base checkpoint
   * {@code base} (null: the one recorded in its card).
   */
  public static PolicyModel load(Path dir, Path base, String device) {
    PolicyFactory.Loaded loaded = PolicyFactory.load(dir, base, device);
    return new PolicyModel(loaded.policy(), loaded.card(), loaded.chat(), loaded.tokenizer());
  }

  /** How the policy was made. */
  public PolicyCard card() {
    return card;
  }

  /** Whether the policy adapts to a user's context (NP-DPO). */
  public boolean conditional() {
    return policy.conditional();
  }

  /** D, the width of a context text's features. */
  public int contextWidth() {
    return (int) card.contextWidth();
  }

  /** The policy for a user who has shown no choices (C = 0); the only one of a DPO policy. */
  public UserPolicy prior() {
    return adaptFeatures(List.of());
  }

  /**
   * The policy adapted to the user who made {@code choices}: their texts embedded as in training
   * (the base model's EOS state), then one forward of the context encoder. Needs a policy whose
   * context features are the base model's own ({@code context_features: base_eos}).
   */
  public synchronized UserPolicy adapt(List<TextPreference> choices) {
    if (!conditional()) return new UserPolicy(this, null);
    if (!PolicyCard.BASE_EOS.equals(card.contextFeatures())) {
      throw new IllegalStateException("this policy reads context features from " + card.contextFeatures()
          + "; embed the context texts with that model and call adaptFeatures");
    }
    List<long[]> ids = new ArrayList<>();
    for (TextPreference c : choices) {
      ids.add(chat.text(c.prompt(), c.chosen()));
      ids.add(chat.text(c.prompt(), c.rejected()));
    }
    List<PreferencePair> pairs = new ArrayList<>();
    if (!ids.isEmpty()) {
      try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
        Tensor e = new Embedder(policy.model(), tokenizer, chat.format(), null, chat.eosId(), 32).embed(ids, null).contiguous();
        float[] flat = new float[(int) e.numel()];
        e.data_ptr_float().get(flat);
        int d = contextWidth();
        for (int i = 0; i < choices.size(); ++i) {
          pairs.add(new PreferencePair(java.util.Arrays.copyOfRange(flat, 2 * i * d, (2 * i + 1) * d),
              java.util.Arrays.copyOfRange(flat, (2 * i + 1) * d, (2 * i + 2) * d)));
        }
      }
    }
    return adaptFeatures(pairs);
  }

  /** The policy adapted to a user from the features of their chosen and rejected responses (D each). */
  public synchronized UserPolicy adaptFeatures(List<PreferencePair> context) {
    if (!conditional()) return new UserPolicy(this, null);
    int d = contextWidth(), c = context.size();
    float[] flat = new float[c * 2 * d];
    for (int i = 0; i < c; ++i) {
      PreferencePair p = context.get(i);
      if (p.chosen().length != d) throw new IllegalArgumentException("context pair " + i + " has " + p.chosen().length + " features, the policy reads " + d);
      System.arraycopy(p.chosen(), 0, flat, 2 * i * d, d);
      System.arraycopy(p.rejected(), 0, flat, (2 * i + 1) * d, d);
    }
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      Tensor pairs = from_blob(new FloatPointer(flat), new long[] {1, c, 2, d}, new TensorOptions(ScalarType.Float)).clone();
      Tensor choices = org.bytedeco.pytorch.global.torch.zeros(new long[] {1, c}, new TensorOptions(ScalarType.Long));  // chosen first
      Tensor z = policy.latent(PairRows.of(pairs, choices)).to(ScalarType.Float).cpu().contiguous();
      float[] out = new float[(int) z.numel()];
      z.data_ptr_float().get(out);
      return new UserPolicy(this, out);
    }
  }

  /** Responses to {@code prompts} under latent {@code z} (null: unconditioned). */
  synchronized List<String> generate(List<String> prompts, float[] z, GenerationSettings settings) {
    List<long[]> ids = new ArrayList<>(prompts.size());
    for (String p : prompts) ids.add(chat.prompt(p));
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      Tensor zRows = null;
      if (z != null) {
        Tensor one = from_blob(new FloatPointer(z), new long[] {1, z.length}, new TensorOptions(ScalarType.Float)).clone();
        zRows = one.expand(prompts.size(), z.length).contiguous().to(policy.model().device(), ScalarType.Float);
      }
      var sampling = new org.steer4j.policy.Sampling(settings.temperature(), settings.topP(), settings.maxNewTokens(), chat.stopTokens(), settings.seed());
      var out = new org.steer4j.policy.SampledGenerator(policy.model()).generate(ids, policy.options(zRows), sampling);
      List<String> texts = new ArrayList<>(out.size());
      for (var g : out) texts.add(chat.decode(g.tokens()));
      return texts;
    }
  }

  /** The policy's sequence log-prob of {@code response} after {@code prompt} under latent {@code z}. */
  synchronized double logProb(String prompt, String response, float[] z) {
    long[] p = chat.prompt(prompt), r = chat.response(prompt, response);
    long[] s = java.util.Arrays.copyOf(p, p.length + r.length);
    System.arraycopy(r, 0, s, p.length, r.length);
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      var batch = org.steer4j.policy.SequenceBatch.of(List.of(s), new long[] {p.length}, policy.model().device());
      Tensor zRow = z == null ? null
          : from_blob(new FloatPointer(z), new long[] {1, z.length}, new TensorOptions(ScalarType.Float)).clone().to(policy.model().device(), ScalarType.Float);
      return policy.logProbs(batch, zRow, org.steer4j.policy.DpoConfig.LogProb.FUSED, null).item_double();
    }
  }

  /** The reference (base) model's sequence log-prob of {@code response} after {@code prompt}. */
  synchronized double referenceLogProb(String prompt, String response) {
    long[] p = chat.prompt(prompt), r = chat.response(prompt, response);
    long[] s = java.util.Arrays.copyOf(p, p.length + r.length);
    System.arraycopy(r, 0, s, p.length, r.length);
    try (PointerScope scope = new PointerScope()) {
      var batch = org.steer4j.policy.SequenceBatch.of(List.of(s), new long[] {p.length}, policy.model().device());
      return policy.referenceLogProbs(batch, org.steer4j.policy.DpoConfig.LogProb.FUSED).item_double();
    }
  }
}
