package org.steer4j.api;

import static org.bytedeco.pytorch.global.torch.from_blob;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.reward.QuerySelector;
import org.steer4j.runtime.Rng;

/**
 * Onboarding one user: ask the questions that tell the most about them ({@link #next}), record
 * their answers ({@link #answer}), and read their adapted reward at any point ({@link #reward}).
 * The answers also adapt an NP-DPO policy whose context features are the same option features
 * ({@link #adapt(PolicyModel)}). Export the user as a small portable state ({@link #export}) and
 * get them back with {@link RewardModel#restore}. Thread-safe: every method is synchronized.
 *
 * <pre>{@code
 * UserSession s = model.session(QuerySelector.Strategy.INFORMATION, seed);
 * while (!s.shouldStop(pool, 0.01)) {
 *   PreferencePair q = s.next(pool);            // ask the user: q.chosen() = option A, q.rejected() = option B
 *   s.answer(q, Answer.A);                       // what they said
 * }
 * UserReward user = s.reward();
 * }</pre>
 */
public final class UserSession {
  private final RewardModel model;
  private final QuerySelector selector;
  private final QuerySelector.Strategy strategy;
  private final long seed;
  private final List<PreferencePair> answers = new ArrayList<>();  // chosen first
  private final UserState compact;  // a read-only session restored from a compact state
  private int asked;

  UserSession(RewardModel model, QuerySelector.Strategy strategy, long seed, List<PreferencePair> answers, int asked) {
    if (!model.conditional()) throw new IllegalArgumentException("a session needs a model that adapts to a user's choices (NP-BTL)");
    this.model = model;
    this.selector = new QuerySelector(model.net(), 32);
    if (!selector.supports(strategy)) throw new IllegalArgumentException("the information strategy needs a model with a stochastic latent");
    this.strategy = strategy;
    this.seed = seed;
    this.answers.addAll(answers);
    this.asked = asked;
    this.compact = null;
  }

  private UserSession(RewardModel model, UserState compact) {
    this.model = model;
    this.selector = null;
    this.strategy = compact.strategy();
    this.seed = compact.seed();
    this.compact = compact;
  }

  static UserSession readOnly(RewardModel model, UserState state) {
    return new UserSession(model, state);
  }

  /**
   * The question to ask next: the candidate the strategy ranks first, as a pair (option A,
   * option B). One batched forward over the candidates.
   *
   * @param candidates options to compare, each pair's two options of the model's width
   * @throws IllegalStateException for a read-only (compact) session
   */
  public synchronized PreferencePair next(List<PreferencePair> candidates) {
    writable();
    if (candidates.isEmpty()) throw new IllegalArgumentException("no candidate pairs to ask about");
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      return candidates.get(selector.choose(strategy, context(), pairs(candidates), rng()));
    }
  }

  /**
   * The expected information gain (nats) of each candidate under the current answers, for a
   * stopping rule (information strategy) or a display; needs the stochastic latent.
   */
  public synchronized float[] expectedGains(List<PreferencePair> candidates) {
    writable();
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      return selector.scores(QuerySelector.Strategy.INFORMATION, context(), pairs(candidates), rng());
    }
  }

  /** Whether the best candidate's expected information gain is below {@code threshold} nats: asking more tells little. */
  public synchronized boolean shouldStop(List<PreferencePair> candidates, double threshold) {
    float best = 0;
    for (float g : expectedGains(candidates)) best = Math.max(best, g);
    return best < threshold;
  }

  /** Records the user's answer to {@code question} (a pair from {@link #next}). */
  public synchronized void answer(PreferencePair question, Answer answer) {
    writable();
    model.check(question.chosen());
    ++asked;
    if (answer == Answer.A) answers.add(question);
    else if (answer == Answer.B) answers.add(new PreferencePair(question.rejected(), question.chosen()));
  }

  /** The user adapted to the answers so far (the prior before any). */
  public synchronized UserReward reward() {
    return compact != null ? model.fromLatent(compact.latent()) : model.adapt(answers);
  }

  /**
   * The model's own expectation of its accuracy on a fresh pair drawn from {@code candidates}:
   * the mean of max(p, 1 - p) under the adapted user (calibrated as far as the model is).
   */
  public synchronized double predictedAccuracy(List<PreferencePair> candidates) {
    UserReward u = reward();
    double sum = 0;
    for (PreferencePair c : candidates) {
      double p = u.preferenceProbability(c.chosen(), c.rejected());
      sum += Math.max(p, 1 - p);
    }
    return sum / candidates.size();
  }

  /** The same answers adapting an NP-DPO policy whose context features are these options' features. */
  public synchronized UserPolicy adapt(PolicyModel policy) {
    writable();
    return policy.adaptFeatures(answers);
  }

  /** The answers that moved the user (chosen option first); no-preference answers are not in it. */
  public synchronized List<PreferencePair> answers() {
    return List.copyOf(answers);
  }

  /** Questions answered, no-preference answers included. */
  public synchronized int questionsAsked() {
    return asked;
  }

  /**
   * The user as a portable state: {@code full} keeps every answer (a restored session can keep
   * asking: z comes from attention over all pairs); compact keeps z (and its spread) only.
   */
  public synchronized UserState export(boolean full) {
    if (compact != null) {
      if (full) throw new IllegalStateException("a session restored from a compact state has no answers to export");
      return compact;
    }
    float[][] q = model.posterior(answers);
    return full ? UserState.full(model.fingerprint(), strategy, seed, asked, answers, q) : UserState.compact(model.fingerprint(), strategy, seed, asked, q);
  }

  private void writable() {
    if (compact != null) throw new IllegalStateException("a session restored from a compact state is read-only (it has no answers to add to)");
  }

  /** The step's random stream: the session's seed and how many questions it has asked. */
  private Rng rng() {
    return Rng.derive(seed, "session", asked);
  }

  private Tensor context() {
    int d = model.inputWidth(), c = answers.size();
    float[] flat = new float[c * 2 * d];
    for (int i = 0; i < c; ++i) {
      System.arraycopy(answers.get(i).chosen(), 0, flat, 2 * i * d, d);
      System.arraycopy(answers.get(i).rejected(), 0, flat, (2 * i + 1) * d, d);
    }
    return from_blob(new FloatPointer(flat), new long[] {1, c, 2, d}, new TensorOptions(ScalarType.Float)).clone();
  }

  private Tensor pairs(List<PreferencePair> candidates) {
    int d = model.inputWidth(), m = candidates.size();
    float[] flat = new float[m * 2 * d];
    for (int i = 0; i < m; ++i) {
      model.check(candidates.get(i).chosen());
      System.arraycopy(candidates.get(i).chosen(), 0, flat, 2 * i * d, d);
      System.arraycopy(candidates.get(i).rejected(), 0, flat, (2 * i + 1) * d, d);
    }
    return from_blob(new FloatPointer(flat), new long[] {m, 2, d}, new TensorOptions(ScalarType.Float)).clone();
  }
}
