package org.steer4j.nn;

import static org.bytedeco.pytorch.global.torch.relu;
import static org.bytedeco.pytorch.global.torch.zeros;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.steer4j.reward.RewardModelConfig;
import org.steer4j.reward.RewardModelConfig.Aggregator;
import org.steer4j.reward.RewardModelConfig.Encoder;

/**
 * The NP context encoder: each context pair ordered [chosen ; rejected] (2D) -> inner encoder
 * (mlp or linear) -> aggregation over the C pairs (self-attention then sum, mean, or sum) ->
 * outer MLP -> the latent's parameters [B, H] (deterministic) or [B, 2H] (mean, raw std).
 * With C = 0 the aggregate is the zero vector, so an empty context gives a learned prior z.
 */
public final class ContextEncoder extends Module {
  private final PairLinear input;   // first layer, over [chosen ; rejected]
  private final Linear innerOutput;  // second layer of the mlp encoder (null: linear)
  private final Mlp outer;
  private final SelfAttention attention;
  private final Aggregator aggregator;
  private final long hidden;
  private final TensorOptions options;

  public ContextEncoder(long inputWidth, RewardModelConfig c, TensorOptions options) {
    super("ContextEncoder");
    hidden = c.hidden();
    this.options = options;
    input = new PairLinear(inputWidth, c.hidden(), options);
    register_module("input", input);
    innerOutput = c.contextEncoder() == Encoder.MLP ? new Linear(c.hidden(), c.hidden(), true, options) : null;
    if (innerOutput != null) register_module("inner_output", innerOutput);
    aggregator = c.aggregator();
    attention = aggregator == Aggregator.SELF_ATTENTION ? new SelfAttention(c.hidden(), c.heads(), c.attentionDropout(), options) : null;
    if (attention != null) register_module("attention", attention);
    long outputs = c.latent() == RewardModelConfig.Latent.STOCHASTIC ? 2L * c.hidden() : c.hidden();
    outer = new Mlp(c.hidden(), c.hidden(), outputs, options);
    register_module("outer", outer);
  }

  /** Runs the wide inner layer over raw features in bfloat16. */
  public void bf16InputLayer(boolean enabled) {
    input.bf16Compute(enabled);
  }

  /** Latent parameters [B, H] (or [B, 2H]) for the context pairs of each of B tasks. */
  public Tensor forward(PairRows pairs) {
    long b = pairs.tasks(), c = pairs.pairs();
    Tensor aggregate;
    if (c == 0) {
      aggregate = zeros(new long[] {b, hidden}, options);  // on the parameters' device
    } else {
      Tensor x = input.forward(pairs.chosenFeatures(), pairs.rejectedFeatures());
      if (innerOutput != null) x = innerOutput.forward(relu(x));
      x = x.view(b, c, hidden);
      if (attention != null) x = attention.forward(x);
      aggregate = aggregator == Aggregator.MEAN ? x.mean(1) : x.sum(1);
    }
    return outer.forward(aggregate);
  }
}
