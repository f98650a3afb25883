package org.steer4j.reward;

import java.util.List;

/**
 * How a trained reward model was made, saved beside its weights ({@code model.yaml}): enough to
 * rebuild the network and to know what it was trained on.
 *
 * @param model the architecture
 * @param inputWidth D, the width of an option's features
 * @param labels the labels (users) of the training data
 * @param data what the data was (source and settings)
 * @param seed the run seed
 * @param steps optimiser steps taken
 * @param version the steer4j version
 */
public record ModelCard(RewardModelConfig model, long inputWidth, List<String> labels, String data, long seed, long steps, String version) {
  public ModelCard {
    labels = List.copyOf(labels);
  }

  /** The same card after {@code steps} optimiser steps. */
  public ModelCard withSteps(long steps) {
    return new ModelCard(model, inputWidth, labels, data, seed, steps, version);
  }
}
