package org.steer4j.llm;

/**
 * What one forward of a {@link DecoderLm} uses besides its inputs.
 *
 * <ul>
 *   <li>{@code adapters}: whether attached LoRA adapters and the FiLM modulation take part. Off,
 *       the forward is the frozen base model: DPO's reference policy from the same weights,
 *       without a second copy in memory. A FiLM modulation with adapters off is rejected, so a
 *       conditioned reference forward (the bug of the reference code's first release) can't be
 *       written by accident.
 *   <li>{@code film}: per-layer output modulation, or null.
 *   <li>{@code cache}: a KV cache to read past keys/values from and append this forward's to, or
 *       null for a stand-alone forward.
 *   <li>{@code nativeDecodeAttention}: a decode step (one new token per sequence, with a cache)
 *       attends over the cache with the native {@link org.steer4j.kernels.DecodeAttentionOp}
 *       rather than LibTorch's masked {@code scaled_dot_product_attention} (the eager reference).
 *       The kernel is inference-only and float32 (float64 on CPU): under autograd, or for a
 *       bfloat16 / float16 cache, the eager path runs whatever this says.
 * </ul>
 */
public record ForwardOptions(boolean adapters, FilmModulation film, KvCache cache, boolean nativeDecodeAttention) {
  /** Adapters on (if any are attached), no FiLM, no cache; native decode attention where it applies. */
  public static final ForwardOptions DEFAULT = new ForwardOptions(true, null, null, true);
  /** The frozen base model: no LoRA, no FiLM, no cache. */
  public static final ForwardOptions BASE = new ForwardOptions(false, null, null, true);

  public ForwardOptions {
    if (!adapters && film != null) {
      throw new IllegalArgumentException("FiLM modulation given with adapters off: the base (reference) forward must not be conditioned");
    }
  }

  public ForwardOptions withFilm(FilmModulation modulation) {
    return new ForwardOptions(adapters, modulation, cache, nativeDecodeAttention);
  }

  public ForwardOptions withCache(KvCache kvCache) {
    return new ForwardOptions(adapters, film, kvCache, nativeDecodeAttention);
  }

  /** The same forward with the decode step's attention native (true) or eager (false). */
  public ForwardOptions withNativeDecodeAttention(boolean enabled) {
    return new ForwardOptions(adapters, film, cache, enabled);
  }

  /** The same forward without adapters or FiLM (the reference policy), keeping the cache. */
  public ForwardOptions base() {
    return new ForwardOptions(false, null, cache, nativeDecodeAttention);
  }
}
