package org.steer4j.llm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Feature-wise linear modulation of the decoder layers' outputs for one forward (NP-DPO's
 * conditioning, docs/method.md section 6): for each layer l, {@code h -> gamma_l * h + beta_l} on the
 * hidden states that layer returns, with {@code gamma_l}, {@code beta_l} of shape [N, H_llm],
 * one row per sequence, broadcast over positions. A layer whose pair is null is left alone.
 *
 * <p>The tensors typically come from Linear(H, H_llm) maps of a latent z and carry gradients;
 * they are cast to the model's dtype where they are applied, so autograd reaches them from a
 * bf16 model too.
 */
public final class FilmModulation {
  private final List<Tensor> gammas, betas;

  private FilmModulation(List<Tensor> gammas, List<Tensor> betas) {
    this.gammas = gammas;
    this.betas = betas;
  }

  /**
   * Modulation of layers 0..n-1 by {@code gammas.get(l)}, {@code betas.get(l)} (null entries:
   * that layer unmodulated). The lists must have one entry per decoder layer.
   */
  public static FilmModulation of(List<Tensor> gammas, List<Tensor> betas) {
    if (gammas.size() != betas.size()) {
      throw new IllegalArgumentException("FiLM: " + gammas.size() + " gammas but " + betas.size() + " betas");
    }
    for (int l = 0; l < gammas.size(); ++l) {
      Tensor g = gammas.get(l), b = betas.get(l);
      if ((g == null) != (b == null)) throw new IllegalArgumentException("FiLM layer " + l + ": gamma and beta must both be given or both null");
      if (g != null && (g.dim() != 2 || !Arrays.equals(g.sizes().vec().get(), b.sizes().vec().get()))) {
        throw new IllegalArgumentException("FiLM layer " + l + ": gamma " + Arrays.toString(g.sizes().vec().get()) + " and beta "
            + Arrays.toString(b.sizes().vec().get()) + " must both be [N, H_llm]");
      }
    }
    return new FilmModulation(Collections.unmodifiableList(new ArrayList<>(gammas)), Collections.unmodifiableList(new ArrayList<>(betas)));
  }

  public int layers() {
    return gammas.size();
  }

  public Tensor gamma(int layer) {
    return gammas.get(layer);
  }

  public Tensor beta(int layer) {
    return betas.get(layer);
  }

  /** Checks the modulation against a model and a batch before the forward runs. */
  void check(ModelConfig config, long batch) {
    if (gammas.size() != config.numLayers()) {
      throw new IllegalArgumentException("FiLM has " + gammas.size() + " layers, the model " + config.numLayers());
    }
    for (int l = 0; l < gammas.size(); ++l) {
      Tensor g = gammas.get(l);
      if (g != null && (g.size(0) != batch || g.size(1) != config.hiddenSize())) {
        throw new IllegalArgumentException("FiLM layer " + l + ": gamma is " + Arrays.toString(g.sizes().vec().get()) + ", expected ["
            + batch + ", " + config.hiddenSize() + "]");
      }
    }
  }

  /** {@code h [N, S, H]} modulated for {@code layer}. */
  Tensor apply(int layer, Tensor h) {
    Tensor g = gammas.get(layer);
    if (g == null) return h;
    return h.mul(g.unsqueeze(1).to(h.scalar_type())).add(betas.get(layer).unsqueeze(1).to(h.scalar_type()));
  }
}
