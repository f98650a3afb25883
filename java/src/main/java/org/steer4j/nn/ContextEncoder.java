package org.steer4j.nn;

import static org.bytedeco.pytorch.global.torch.cat;
import static org.bytedeco.pytorch.global.torch.where;
import static org.bytedeco.pytorch.global.torch.zeros;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.steer4j.config.ModelConfig;
import org.steer4j.config.ModelConfig.Aggregator;
import org.steer4j.config.ModelConfig.Encoder;

/**
 * The NP context encoder: each context pair ordered [chosen ; rejected] (2D) -> inner encoder
 * (mlp or linear) -> aggregation over the C pairs (self-attention then sum, mean, or sum) ->
 * outer MLP -> the latent's parameters [B, H] (deterministic) or [B, 2H] (mean, raw std).
 * With C = 0 the aggregate is the zero vector, so an empty context gives a learned prior z.
 */
public final class ContextEncoder extends Module {
  private final Mlp inner, outer;
  private final SelfAttention attention;
  private final Aggregator aggregator;
  private final long hidden;

  public ContextEncoder(long inputWidth, ModelConfig c, TensorOptions options) {
    super("ContextEncoder");
    hidden = c.hidden();
    inner = c.contextEncoder() == Encoder.MLP
        ? new Mlp(2 * inputWidth, c.hidden(), c.hidden(), options)
        : Mlp.linear(2 * inputWidth, c.hidden(), options);
    register_module("inner", inner);
    aggregator = c.aggregator();
    attention = aggregator == Aggregator.SELF_ATTENTION ? new SelfAttention(c.hidden(), c.heads(), c.attentionDropout(), options) : null;
    if (attention != null) register_module("attention", attention);
    long outputs = c.latent() == ModelConfig.Latent.STOCHASTIC ? 2L * c.hidden() : c.hidden();
    outer = new Mlp(c.hidden(), c.hidden(), outputs, options);
    register_module("outer", outer);
  }

  /** Runs the wide inner layer over raw features in bfloat16. */
  public void bf16InputLayer(boolean enabled) {
    inner.bf16InputLayer(enabled);
  }

  /**
   * Latent parameters for context pairs {@code pairs [B, C, 2, D]} with choices {@code choices
   * [B, C]} (0 = the first option was chosen).
   */
  public Tensor forward(Tensor pairs, Tensor choices) {
    long b = pairs.size(0), c = pairs.size(1);
    Tensor aggregate;
    if (c == 0) {
      aggregate = zeros(new long[] {b, hidden}, new TensorOptions(pairs.scalar_type()));
    } else {
      Tensor a = pairs.select(2, 0), bb = pairs.select(2, 1);          // [B, C, D]
      Tensor firstChosen = choices.eq(new Scalar(0)).unsqueeze(-1);    // [B, C, 1]
      Tensor chosen = where(firstChosen, a, bb), rejected = where(firstChosen, bb, a);
      Tensor x = inner.forward(cat(new TensorVector(chosen, rejected), -1));  // [B, C, H]
      if (attention != null) x = attention.forward(x);
      aggregate = aggregator == Aggregator.MEAN ? x.mean(1) : x.sum(1);
    }
    return outer.forward(aggregate);
  }
}
