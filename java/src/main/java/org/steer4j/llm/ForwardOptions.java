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
 * </ul>
 */
public record ForwardOptions(boolean adapters, FilmModulation film, KvCache cache) {
  /** Adapters on (if any are attached), no FiLM, no cache. */
  public static final ForwardOptions DEFAULT = new ForwardOptions(true, null, null);
  /** The frozen base model: no LoRA, no FiLM, no cache. */
  public static final ForwardOptions BASE = new ForwardOptions(false, null, null);

  public ForwardOptions {
    if (!adapters && film != null) {
      throw new IllegalArgumentException("FiLM modulation given with adapters off: the base (reference) forward must not be conditioned");
    }
  }

  public ForwardOptions withFilm(FilmModulation modulation) {
    return new ForwardOptions(adapters, modulation, cache);
  }

  public ForwardOptions withCache(KvCache kvCache) {
    return new ForwardOptions(adapters, film, kvCache);
  }

  /** The same forward without adapters or FiLM (the reference policy), keeping the cache. */
  public ForwardOptions base() {
    return new ForwardOptions(false, null, cache);
  }
}
