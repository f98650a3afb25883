package org.steer4j.llm;

import org.bytedeco.pytorch.Tensor;

/**
 * Per-forward state shared by all layers: rotary cos/sin [N, 1, S, Dh] of each new token's
 * absolute position, the attention mask [N, 1, S, Lk] (true = may attend), the cache slots the
 * new tokens go to, and the options.
 */
record Pass(Tensor cos, Tensor sin, Tensor mask, Tensor slots, ForwardOptions options, boolean training) {
  KvCache cache() {
    return options.cache();
  }

  boolean adapters() {
    return options.adapters();
  }
}
