package org.steer4j.policy;

import java.util.List;

/**
 * How a trained policy was made, saved beside its weights ({@code policy.yaml}): enough to
 * rebuild it on its base model and to know what it was trained on.
 *
 * @param policy the architecture (type, LoRA, FiLM layers, context encoder)
 * @param base the base model as a checkpoint (absolute path, tokenizer, dtype, chat format)
 * @param baseFingerprint fingerprint of the base weights the policy was trained on
 * @param contextWidth D, the width of a context text's features
 * @param contextFeatures {@value #BASE_EOS} (the base model's last hidden state at an appended
 *     EOS: the API can embed context texts itself), or the embeddings dataset it was trained on
 * @param labels the objectives of the training users
 * @param data what the data was
 * @param beta the DPO beta (implicit rewards are beta times the log-ratio)
 * @param seed the run seed
 * @param steps optimiser steps taken
 * @param version the steer4j version
 */
public record PolicyCard(PolicyModelConfig policy, BaseModelConfig base, String baseFingerprint, long contextWidth, String contextFeatures,
    List<String> labels, String data, double beta, long seed, long steps, String version) {
  public static final String FILE = "policy.yaml", BASE_EOS = "base_eos";

  public PolicyCard {
    labels = List.copyOf(labels);
  }

  /** The same card after {@code steps} optimiser steps. */
  public PolicyCard withSteps(long steps) {
    return new PolicyCard(policy, base, baseFingerprint, contextWidth, contextFeatures, labels, data, beta, seed, steps, version);
  }
}
