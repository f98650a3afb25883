package org.steer4j.nn;

import static org.bytedeco.pytorch.global.torch.relu;
import static org.bytedeco.pytorch.global.torch.zeros;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;

/**
 * The NP context encoder: each context pair ordered [chosen ; rejected] (2D) -> inner encoder
 * (mlp or linear) -> aggregation over the C pairs (self-attention then sum, mean, or sum) ->
 * outer MLP -> the latent's parameters [B, H] (deterministic) or [B, 2H] (mean, raw std).
 * With C = 0 the aggregate is the zero vector, so an empty context gives a learned prior z.
 */
public final class ContextEncoder extends Module {
  /** The inner encoder of a pair (and the reward models' target encoder of an option). */
  public enum Encoder {
    /** Linear -> ReLU -> Linear(H, H) (the synthetic world's). */
    MLP,
    /** One Linear (over LLM embeddings). */
    LINEAR
  }

  /** How the C pair encodings become one. */
  public enum Aggregator {
    /** Multi-head self-attention over the C encodings, then their sum (the paper's). */
    SELF_ATTENTION,
    MEAN,
    SUM
  }

  /**
   * The encoder's architecture.
   *
   * @param hidden H, the width of encodings and latent
   * @param encoder the inner encoder of a [chosen ; rejected] pair
   * @param aggregator how the C encodings combine
   * @param heads attention heads (self_attention)
   * @param attentionDropout dropout on the attention weights
   * @param stochastic output the mean and raw std of q(z|C) ([B, 2H]) instead of z ([B, H])
   */
  public record Settings(int hidden, Encoder encoder, Aggregator aggregator, int heads, double attentionDropout, boolean stochastic) {}

  private final PairLinear input;   // first layer, over [chosen ; rejected]
  private final Linear innerOutput;  // second layer of the mlp encoder (null: linear)
  private final Mlp outer;
  private final SelfAttention attention;
  private final Aggregator aggregator;
  private final long hidden;
  private final TensorOptions options;

  public ContextEncoder(long inputWidth, Settings c, TensorOptions options) {
    super("ContextEncoder");
    hidden = c.hidden();
    this.options = options;
    input = new PairLinear(inputWidth, c.hidden(), options);
    register_module("input", input);
    innerOutput = c.encoder() == Encoder.MLP ? new Linear(c.hidden(), c.hidden(), true, options) : null;
    if (innerOutput != null) register_module("inner_output", innerOutput);
    aggregator = c.aggregator();
    attention = aggregator == Aggregator.SELF_ATTENTION ? new SelfAttention(c.hidden(), c.heads(), c.attentionDropout(), options) : null;
    if (attention != null) register_module("attention", attention);
    long outputs = c.stochastic() ? 2L * c.hidden() : c.hidden();
    outer = new Mlp(c.hidden(), c.hidden(), outputs, options);
    register_module("outer", outer);
  }

  /** Runs the wide inner layer over raw features in bfloat16. */
  public void bf16InputLayer(boolean enabled) {
    input.bf16Compute(enabled);
  }

  /** Latent parameters [B, H] (or [B, 2H]) for the context pairs of each of B tasks. */
  public Tensor forward(PairRows pairs) {
    return forward(pairs, BatchSlice.whole(pairs.tasks()));
  }

  /** The same for the B tasks {@code slice} of a batch (its attention dropout is that slice of the batch's). */
  public Tensor forward(PairRows pairs, BatchSlice slice) {
    long b = pairs.tasks(), c = pairs.pairs();
    Tensor aggregate;
    if (c == 0) {
      aggregate = zeros(new long[] {b, hidden}, options);  // on the parameters' device
    } else {
      Tensor x = input.forward(pairs.chosenFeatures(), pairs.rejectedFeatures());
      if (innerOutput != null) x = innerOutput.forward(relu(x));
      x = x.view(b, c, hidden);
      if (attention != null) x = attention.forward(x, slice);
      aggregate = aggregator == Aggregator.MEAN ? x.mean(1) : x.sum(1);
    }
    return outer.forward(aggregate);
  }
}
