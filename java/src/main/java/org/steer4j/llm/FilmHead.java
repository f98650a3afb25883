package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.linear;
import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.zeros;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.steer4j.nn.Params;

/**
 * The FiLM maps of NP-DPO (docs/method.md section 6): for each modulated decoder layer two
 * Linear(latent, hidden_llm) maps of the user's latent z, gamma_l(z) and beta_l(z), initialised
 * to the identity modulation (weights 0, gamma bias 1, beta bias 0) so that training starts from
 * the base policy. Parameters {@code gamma_<l>_weight}, {@code gamma_<l>_bias}, {@code
 * beta_<l>_weight}, {@code beta_<l>_bias} (l = the layer's index in the model), in the dtype of
 * {@code options} (float32 in practice, whatever the model's dtype).
 */
public final class FilmHead extends Module {
  private final int layers;
  private final SortedSet<Integer> modulated;
  private final List<Tensor> gammaWeights = new ArrayList<>(), gammaBiases = new ArrayList<>();
  private final List<Tensor> betaWeights = new ArrayList<>(), betaBiases = new ArrayList<>();

  /** Maps for every one of {@code layers} layers. */
  public FilmHead(int latentWidth, int hiddenWidth, int layers, TensorOptions options) {
    this(latentWidth, hiddenWidth, layers, IntStream.range(0, layers).boxed().toList(), options);
  }

  /** Maps for the layers in {@code modulated} (indices in [0, layers)); the others are left alone. */
  public FilmHead(int latentWidth, int hiddenWidth, int layers, List<Integer> modulated, TensorOptions options) {
    super("FilmHead");
    if (modulated.isEmpty()) throw new IllegalArgumentException("FiLM: no layer to modulate");
    this.layers = layers;
    this.modulated = Collections.unmodifiableSortedSet(new TreeSet<>(modulated));
    for (int l : this.modulated) {
      if (l < 0 || l >= layers) throw new IllegalArgumentException("FiLM layer " + l + " is outside the model's " + layers + " layers");
      gammaWeights.add(Params.parameter(this, "gamma_" + l + "_weight", zeros(new long[] {hiddenWidth, latentWidth}, options)));
      gammaBiases.add(Params.parameter(this, "gamma_" + l + "_bias", ones(new long[] {hiddenWidth}, options)));
      betaWeights.add(Params.parameter(this, "beta_" + l + "_weight", zeros(new long[] {hiddenWidth, latentWidth}, options)));
      betaBiases.add(Params.parameter(this, "beta_" + l + "_bias", zeros(new long[] {hiddenWidth}, options)));
    }
  }

  /** The indices of the modulated layers, ascending. */
  public SortedSet<Integer> modulatedLayers() {
    return modulated;
  }

  /** The modulation for latents {@code z [N, latent]}: gamma_l, beta_l [N, hidden_llm] per modulated layer. */
  public FilmModulation modulation(Tensor z) {
    List<Tensor> gammas = new ArrayList<>(Collections.nCopies(layers, (Tensor) null));
    List<Tensor> betas = new ArrayList<>(Collections.nCopies(layers, (Tensor) null));
    int i = 0;
    for (int l : modulated) {
      gammas.set(l, linear(z, gammaWeights.get(i), new TensorOptional(gammaBiases.get(i))));
      betas.set(l, linear(z, betaWeights.get(i), new TensorOptional(betaBiases.get(i))));
      ++i;
    }
    return FilmModulation.of(gammas, betas);
  }
}
