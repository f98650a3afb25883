package org.steer4j.api;

import static org.bytedeco.pytorch.global.torch.from_blob;

import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.reward.ModelCard;
import org.steer4j.reward.RewardNet;
import org.steer4j.reward.QuerySelector;
import org.steer4j.reward.RewardNetFactory;
import org.steer4j.runtime.Fingerprint;

/**
 * A trained reward model, for embedding in other JVM systems.
 *
 * <pre>{@code
 * RewardModel model = RewardModel.load(Path.of("outputs/.../models/np-btl"));
 * UserReward user = model.adapt(contextPairs);          // a few of the user's choices, no gradient step
 * float r = user.reward(option);                        // the user's reward for an option
 * double p = user.preferenceProbability(a, b);          // P(the user prefers a over b)
 * }</pre>
 *
 * Loading reads {@code model.yaml} (how the model was made) and {@code model.safetensors}. The
 * model is immutable and evaluation-only, and every method is safe to call from many threads.
 * BTL and DPL models have no context encoder: {@link #adapt} returns the population reward.
 */
public final class RewardModel {
  private final RewardNet net;
  private final ModelCard card;
  private final String fingerprint;

  private RewardModel(RewardNet net, ModelCard card, String fingerprint) {
    this.net = net;
    this.card = card;
    this.fingerprint = fingerprint;
  }

  /**
   * Loads a model from a checkpoint directory ({@code model.yaml} + {@code model.safetensors}),
   * or from a model's run directory (its {@code checkpoints/best}).
   */
  public static RewardModel load(Path dir) {
    Path checkpoint = RewardNetFactory.checkpoint(dir);
    String fingerprint = new Fingerprint().addFile(checkpoint.resolve(RewardNetFactory.WEIGHTS)).addFile(checkpoint.resolve(RewardNetFactory.CARD)).hex();
    return new RewardModel(RewardNetFactory.load(checkpoint, false), RewardNetFactory.card(checkpoint), fingerprint);
  }

  /** SHA-256 of the model's weights and card: a user state made with another model is refused by it. */
  public String fingerprint() {
    return fingerprint;
  }

  /**
   * A session that asks a new user the questions that tell the most and adapts to the answers
   * (thread-safe; one session per user). {@code seed} drives the random strategy and the latent
   * samples of the information strategy, so a session is reproducible.
   *
   * @param strategy random, uncertainty or information (the last needs a stochastic latent)
   */
  public UserSession session(QuerySelector.Strategy strategy, long seed) {
    return new UserSession(this, strategy, seed, List.of(), 0);
  }

  /**
   * The user a state stands for, bit for bit as when it was exported (same model, device and
   * thread count): a full state gives a session that can keep asking; a compact one a read-only
   * adapted user (its {@link UserSession#reward()}).
   *
   * @throws IllegalArgumentException when the state was made with another model
   */
  public UserSession restore(UserState state) {
    if (!state.modelFingerprint().equals(fingerprint)) {
      throw new IllegalArgumentException("this user state was made with another model (fingerprint " + state.modelFingerprint().substring(0, 12)
          + "..., this model " + fingerprint.substring(0, 12) + "...)");
    }
    return state.full() ? new UserSession(this, state.strategy(), state.seed(), state.answers(), state.questionsAsked())
        : UserSession.readOnly(this, state);
  }

  /** The user of latent {@code z} (a compact state). */
  UserReward fromLatent(float[] z) {
    return new UserReward(this, z.clone());
  }

  RewardNet net() {
    return net;
  }

  /** {mean, spread} of the latent for {@code context} (spread empty for a deterministic latent). */
  float[][] posterior(List<PreferencePair> context) {
    int d = inputWidth(), c = context.size();
    float[] flat = new float[c * 2 * d];
    for (int i = 0; i < c; ++i) {
      System.arraycopy(context.get(i).chosen(), 0, flat, (2 * i) * d, d);
      System.arraycopy(context.get(i).rejected(), 0, flat, (2 * i + 1) * d, d);
    }
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      Tensor choices = org.bytedeco.pytorch.global.torch.zeros(new long[] {1, c}, new TensorOptions(ScalarType.Long));
      Tensor[] q = net.posterior(tensor(flat, 1, c, 2, d), choices);
      return new float[][] {floats(q[0]), q[1] == null ? new float[0] : floats(q[1])};
    }
  }

  /** How the model was made (architecture, data, seed, steps, version). */
  public ModelCard card() {
    return card;
  }

  /** D, the number of features of an option. */
  public int inputWidth() {
    return (int) card.inputWidth();
  }

  /** Whether the model adapts to a user's context (NP-BTL). */
  public boolean conditional() {
    return card.model().conditional();
  }

  /** The reward of a user who has shown no choices (C = 0). */
  public UserReward prior() {
    return adapt(List.of());
  }

  /** The reward adapted to the user of {@code context}: one forward pass, no gradient step. */
  public UserReward adapt(List<PreferencePair> context) {
    if (context == null) throw new IllegalArgumentException("the context is null (an empty list is a user with no choices)");
    for (PreferencePair p : context) if (p == null) throw new IllegalArgumentException("a context pair is null");
    if (!conditional()) return new UserReward(this, null);
    int d = inputWidth(), c = context.size();
    float[] flat = new float[c * 2 * d];
    for (int i = 0; i < c; ++i) {
      PreferencePair p = context.get(i);
      check(p.chosen());
      System.arraycopy(p.chosen(), 0, flat, (2 * i) * d, d);
      System.arraycopy(p.rejected(), 0, flat, (2 * i + 1) * d, d);
    }
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      Tensor pairs = tensor(flat, 1, c, 2, d);
      Tensor choices = org.bytedeco.pytorch.global.torch.zeros(new long[] {1, c}, new TensorOptions(ScalarType.Long));  // chosen first
      return new UserReward(this, floats(net.latent(pairs, choices)));
    }
  }

  /** Decoder outputs [n, O] for {@code n} options under latent {@code z} (null: none). */
  float[] decode(float[] options, int n, float[] z) {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      Tensor zt = z == null ? null : tensor(z, 1, z.length);
      return floats(net.decode(tensor(options, 1, n, inputWidth()), zt));
    }
  }

  /** Scalar utilities [n] and the log-probabilities of preferring a for pairs [n]. */
  float[] utilities(float[] outputs, int n) {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      return floats(net.head().utility(tensor(outputs, n, outputs.length / n)));
    }
  }

  double preferA(float[] outputsAB) {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      Tensor logp = net.head().logProbs(tensor(outputsAB, 2, outputsAB.length / 2));
      return Math.exp(logp.select(-1, 0).item_double());
    }
  }

  /**
   * Refuses an option the network can't score meaningfully.
   *
   * @throws IllegalArgumentException when it is null, of the wrong width, or holds NaN or an infinity
   */
  void check(float[] option) {
    if (option == null) throw new IllegalArgumentException("an option is null");
    if (option.length != inputWidth()) {
      throw new IllegalArgumentException("an option has " + option.length + " features, the model expects " + inputWidth());
    }
    PreferencePair.requireFinite(option, "an option");
  }

  private static Tensor tensor(float[] values, long... shape) {
    FloatPointer p = new FloatPointer(values);  // freed with the enclosing PointerScope
    return from_blob(p, shape, new TensorOptions(ScalarType.Float)).clone();
  }

  private static float[] floats(Tensor t) {
    Tensor c = t.contiguous().to(ScalarType.Float);
    float[] out = new float[(int) c.numel()];
    c.data_ptr_float().get(out);
    return out;
  }
}
