package org.steer4j.policy;

import java.util.List;
import org.steer4j.runtime.Provenance;

/**
 * How to rebuild a trained policy, saved beside its weights ({@code policy.yaml}): its
 * architecture, its base model and context features, and the {@link Provenance} of how it was
 * made (the base weights' fingerprint is its input {@value #BASE_INPUT}).
 *
 * @param policy the architecture (type, LoRA, FiLM layers, context encoder)
 * @param base the base model as a checkpoint (absolute path, tokenizer, dtype, chat format)
 * @param contextWidth D, the width of a context text's features
 * @param contextFeatures {@value #BASE_EOS} (the base model's last hidden state at an appended
 *     EOS: the API can embed context texts itself), or the embeddings dataset it was trained on
 * @param labels the objectives of the training users
 * @param beta the DPO beta (implicit rewards are beta times the log-ratio)
 * @param provenance the recipe, seed, data, steps, producer and input hashes
 */
public record PolicyCard(PolicyModelConfig policy, BaseModelConfig base, long contextWidth, String contextFeatures, List<String> labels, double beta,
    Provenance provenance) {
  public static final String FILE = "policy.yaml", BASE_EOS = "base_eos", BASE_INPUT = "base_model";

  public PolicyCard {
    labels = List.copyOf(labels);
  }

  /** The same card after {@code steps} optimiser steps. */
  public PolicyCard withSteps(long steps) {
    return new PolicyCard(policy, base, contextWidth, contextFeatures, labels, beta, provenance.withSteps(steps));
  }
}
