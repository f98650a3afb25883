package org.steer4j.reward;

import java.util.List;
import org.steer4j.runtime.Provenance;

/**
 * How to rebuild a trained reward model, saved beside its weights ({@code model.yaml}): the
 * architecture and the data's shape, and the {@link Provenance} of how it was made.
 *
 * @param model the architecture
 * @param inputWidth D, the width of an option's features
 * @param labels the labels (users) of the training data
 * @param provenance the recipe, seed, data, steps, producer and input hashes
 */
public record ModelCard(RewardModelConfig model, long inputWidth, List<String> labels, Provenance provenance) {
  public ModelCard {
    labels = List.copyOf(labels);
  }

  /** The same card after {@code steps} optimiser steps. */
  public ModelCard withSteps(long steps) {
    return new ModelCard(model, inputWidth, labels, provenance.withSteps(steps));
  }
}
