package org.steer4j.config;

/**
 * The training recipe (docs/method.md section 2: Adam lr 1e-4 eps 3e-5; the newer reference uses
 * AdamW with weight decay 0.01; no scheduler, no clipping).
 *
 * @param steps optimiser steps; 0 = use {@code epochs}
 * @param epochs epochs of floor(N_train / B) batches each, as the reference counts them
 * @param valEvery validate every this many steps (and at the end); the best validation loss
 *     keeps its checkpoint
 * @param valBatches validation batches (fixed across validations)
 * @param checkpointEvery save the resumable last checkpoint every this many steps
 */
public record TrainConfig(
    Optimizer optimizer, double lr, double eps, double weightDecay, int steps, double epochs, int valEvery,
    int valBatches, int checkpointEvery) {
  public TrainConfig {
    Checks.positive("train.lr", lr);
    Checks.positive("train.eps", eps);
    Checks.nonNegative("train.weight_decay", weightDecay);
    Checks.nonNegative("train.steps", steps);
    Checks.nonNegative("train.epochs", epochs);
    Checks.require(steps > 0 || epochs > 0, "train: set steps or epochs");
    Checks.positive("train.val_every", valEvery);
    Checks.positive("train.val_batches", valBatches);
    Checks.positive("train.checkpoint_every", checkpointEvery);
  }

  public static TrainConfig defaults() {
    return new TrainConfig(Optimizer.ADAM, 1e-4, 3e-5, 0.0, 0, 3, 250, 8, 250);
  }

  /** Total steps given the training split's size and the batch size. */
  public int totalSteps(int trainPairs, int batchSize) {
    return steps > 0 ? steps : (int) Math.max(1, Math.round(epochs * Math.max(1, trainPairs / batchSize)));
  }

  public enum Optimizer {
    ADAM,
    ADAMW
  }
}
