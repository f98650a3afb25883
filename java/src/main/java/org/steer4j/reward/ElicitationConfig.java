package org.steer4j.reward;

import java.util.List;
import org.steer4j.config.Checks;

/**
 * The elicitation evaluation (docs/method.md section 10): each test user answers {@code
 * questions} questions chosen by each strategy from a pool of their own pairs, and their held-out
 * targets are scored after every answer.
 *
 * @param strategies random, uncertainty, information
 * @param questions Q, questions asked (0: no elicitation evaluation)
 * @param pool candidate pairs per user, disjoint from the held-out targets
 * @param targets held-out pairs per user
 * @param batches batches of test users
 * @param batchSize users per batch
 * @param samples S, latent samples of the information strategy
 * @param seed the users and the random strategy's draws
 */
public record ElicitationConfig(List<QuerySelector.Strategy> strategies, int questions, int pool, int targets, int batches, int batchSize, int samples,
    long seed) {
  public ElicitationConfig {
    strategies = strategies == null ? List.of() : List.copyOf(strategies);
    Checks.nonNegative("elicitation.questions", questions);
    Checks.require(questions <= pool, "elicitation.questions (" + questions + ") can't exceed elicitation.pool (" + pool + ")");
    Checks.positive("elicitation.targets", targets);
    Checks.positive("elicitation.batches", batches);
    Checks.positive("elicitation.batch_size", batchSize);
    Checks.positive("elicitation.samples", samples);
    Checks.require(questions == 0 || !strategies.isEmpty(), "elicitation.strategies: name at least one (random, uncertainty, information)");
  }

  public static ElicitationConfig defaults() {
    return new ElicitationConfig(List.of(QuerySelector.Strategy.RANDOM, QuerySelector.Strategy.UNCERTAINTY, QuerySelector.Strategy.INFORMATION), 0, 50,
        20, 4, 32, 32, 7);
  }
}
