package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.linear;
import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.zeros;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.steer4j.nn.Params;

/**
 * The FiLM maps of NP-DPO (method.md section 6): for each decoder layer two Linear(latent,
 * hidden_llm) maps of the user's latent z, gamma_l(z) and beta_l(z), initialised to the identity
 * modulation (weights 0, gamma bias 1, beta bias 0) so that training starts from the base policy.
 * Parameters {@code gamma_<l>_weight}, {@code gamma_<l>_bias}, {@code beta_<l>_weight},
 * {@code beta_<l>_bias}, in float32.
 */
public final class FilmHead extends Module {
  private final List<Tensor> gammaWeights = new ArrayList<>(), gammaBiases = new ArrayList<>();
  private final List<Tensor> betaWeights = new ArrayList<>(), betaBiases = new ArrayList<>();

  /** Maps for every one of {@code layers} layers. */
  public FilmHead(int latentWidth, int hiddenWidth, int layers, TensorOptions options) {
    super("FilmHead");
    for (int l = 0; l < layers; ++l) {
      gammaWeights.add(Params.parameter(this, "gamma_" + l + "_weight", zeros(new long[] {hiddenWidth, latentWidth}, options)));
      gammaBiases.add(Params.parameter(this, "gamma_" + l + "_bias", ones(new long[] {hiddenWidth}, options)));
      betaWeights.add(Params.parameter(this, "beta_" + l + "_weight", zeros(new long[] {hiddenWidth, latentWidth}, options)));
      betaBiases.add(Params.parameter(this, "beta_" + l + "_bias", zeros(new long[] {hiddenWidth}, options)));
    }
  }

  /** The modulation for latents {@code z [N, latent]}: gamma_l, beta_l [N, hidden_llm] per layer. */
  public FilmModulation modulation(Tensor z) {
    List<Tensor> gammas = new ArrayList<>(), betas = new ArrayList<>();
    for (int l = 0; l < gammaWeights.size(); ++l) {
      gammas.add(linear(z, gammaWeights.get(l), new TensorOptional(gammaBiases.get(l))));
      betas.add(linear(z, betaWeights.get(l), new TensorOptional(betaBiases.get(l))));
    }
    return FilmModulation.of(gammas, betas);
  }
}
