package org.steer4j.reward;

import static org.bytedeco.pytorch.global.torch.log;
import static org.bytedeco.pytorch.global.torch.softplus;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.steer4j.reward.RewardModelConfig.Latent;
import org.steer4j.data.Batch;
import org.steer4j.kernels.BatchNormSync;
import org.steer4j.kernels.Tape;
import org.steer4j.nn.BatchSlice;
import org.steer4j.nn.ContextEncoder;
import org.steer4j.nn.Mlp;
import org.steer4j.nn.RewardDecoder;

/**
 * BTL, DPL and NP-BTL as one network (docs/method.md section 2): a target encoder over each option
 * alone, an optional NP context encoder giving one latent z per task, the reward decoder
 * (conditioned on z when there is one; the fused native op by default) and a choice head.
 *
 * <ul>
 *   <li>BTL: no context, BTL head. DPL: no context, mean-variance or categorical head.
 *   <li>NP-BTL: context encoder + BTL head; deterministic z, or stochastic q(z|C) with S
 *       reparameterised samples and KL(q(z|T) || q(z|C)) in training (posterior mean at
 *       evaluation).
 * </ul>
 */
public final class RewardNet extends Module {
  private final RewardModelConfig config;
  private final long inputWidth;
  private final Mlp targetEncoder;
  private final ContextEncoder contextEncoder;
  private final RewardDecoder decoder;
  private final ChoiceHead head;

  /**
   * @param inputWidth D, the width of an option's features
   * @param bf16 run the wide input layers (over raw D-wide features) in bfloat16
   */
  public RewardNet(long inputWidth, RewardModelConfig config, TensorOptions options, boolean bf16) {
    super("RewardNet");
    this.config = config;
    this.inputWidth = inputWidth;
    long h = config.hidden();
    targetEncoder = config.targetEncoder() == ContextEncoder.Encoder.MLP
        ? new Mlp(inputWidth, h, h, options)
        : Mlp.linear(inputWidth, h, options);
    targetEncoder.bf16InputLayer(bf16);
    register_module("target_encoder", targetEncoder);
    if (config.conditional()) {
      contextEncoder = new ContextEncoder(inputWidth, config.contextEncoderSettings(), options);
      contextEncoder.bf16InputLayer(bf16);
      register_module("context_encoder", contextEncoder);
    } else {
      contextEncoder = null;
    }
    head = ChoiceHead.of(config);
    decoder = new RewardDecoder(h, config.conditional() ? h : 0, h, head.outputs(), config.fusedDecoder(), options);
    register_module("decoder", decoder);
  }

  public RewardModelConfig config() {
    return config;
  }

  public long inputWidth() {
    return inputWidth;
  }

  public ChoiceHead head() {
    return head;
  }

  /** The decoder's BatchNorm running statistics (mean, variance) and the momentum a training forward updates them with. */
  public record RunningStatistics(java.util.List<Tensor> buffers, double momentum) {}

  /**
   * Synchronised BatchNorm (PyTorch's SyncBatchNorm) for data-parallel training: while set, a
   * training forward normalises with the statistics of the whole batch spread over the
   * processes, {@code sync} summing them; null: each forward's own rows (BatchNorm1d).
   */
  public void synchroniseBatchNorm(BatchNormSync sync) {
    decoder.synchronise(sync);
  }

  public RunningStatistics runningStatistics() {
    org.steer4j.kernels.DecoderWeights w = decoder.weights();
    return new RunningStatistics(java.util.List.of(w.runningMean(), w.runningVar()), w.momentum());
  }

  /**
   * log P(choice) {@code [S, B, T, 2]} for the batch's targets given its context, and the KL
   * term (training with a stochastic latent; else null).
   */
  public record Output(Tensor logp, Tensor kl) {}

  public Output forward(Batch batch, Tape tape) {
    return forward(batch, BatchSlice.whole(batch.tasks()), tape);
  }

  /**
   * The same for a batch that is the tasks {@code slice} of a step's batch (a micro-batch, or a
   * data-parallel rank's share): its latent noise and dropout are that slice of the whole batch's
   * draws, so the slices together compute what one forward over the whole batch does (BatchNorm
   * aside: see {@link #synchroniseBatchNorm}).
   */
  public Output forward(Batch batch, BatchSlice slice, Tape tape) {
    Tensor targets = batch.targets();                          // [B, T, 2, D]
    long b = targets.size(0), t = targets.size(1);
    // The fused decoder folds the target encoder's output layer into its own first layer (no
    // nonlinearity sits between them), so it takes the encoder's hidden activations instead.
    boolean fold = foldsTargetOutput();
    Tensor encoded = fold ? targetEncoder.hidden(targets) : targetEncoder.forward(targets);
    encoded = encoded.view(b, 2 * t, encoded.size(-1));
    Tensor z = null, kl = null;
    long samples = 1;
    if (contextEncoder != null) {
      Tensor params = contextEncoder.forward(batch.contextRows(), slice);
      if (config.latent() == Latent.DETERMINISTIC) {
        z = params;
      } else {
        Tensor[] q = meanStd(params);
        if (is_training()) {
          samples = config.latentSamples();
          Tensor eps = slice.randn(new long[] {samples, b, config.hidden()}, 1, new TensorOptions(q[0].scalar_type()));
          z = q[0].unsqueeze(0).add(q[1].unsqueeze(0).mul(eps)).reshape(samples * b, config.hidden());
          Tensor[] qt = meanStd(contextEncoder.forward(batch.targetRows(), slice));
          kl = klNormal(qt[0], qt[1], q[0], q[1]);
        } else {
          z = q[0];
        }
      }
    }
    if (samples > 1) {
      long width = encoded.size(-1);
      encoded = encoded.unsqueeze(0).expand(samples, b, 2 * t, width).reshape(samples * b, 2 * t, width);
    }
    Tensor r = fold ? decoder.forward(encoded, z, targetEncoder.output(), tape) : decoder.forward(encoded, z, tape);  // [S*B, 2T, O]
    Tensor logp = head.logProbs(r.view(samples, b, t, 2, head.outputs()));
    return new Output(logp, kl);
  }

  /** The latent of a user from context pairs {@code [B, C, 2, D]}: z, or the posterior mean. */
  public Tensor latent(Tensor context, Tensor choices) {
    if (contextEncoder == null) return null;
    Tensor params = contextEncoder.forward(org.steer4j.nn.PairRows.of(context, choices));
    return config.latent() == Latent.DETERMINISTIC ? params : params.narrow(-1, 0, config.hidden());
  }

  /**
   * The user's posterior over the latent from context pairs {@code [B, C, 2, D]} with choices
   * {@code [B, C]}: {mean [B, H], std [B, H]} for a stochastic latent q(z|C); {z, null} for a
   * deterministic one; null for models without a context encoder.
   */
  public Tensor[] posterior(Tensor context, Tensor choices) {
    if (contextEncoder == null) return null;
    Tensor params = contextEncoder.forward(org.steer4j.nn.PairRows.of(context, choices));
    return config.latent() == Latent.DETERMINISTIC ? new Tensor[] {params, null} : meanStd(params);
  }

  /** Decoder outputs {@code [B, M, O]} for options {@code [B, M, D]} given z {@code [B, H]} (or null). */
  public Tensor decode(Tensor options, Tensor z) {
    return foldsTargetOutput()
        ? decoder.forward(targetEncoder.hidden(options), z, targetEncoder.output(), null)
        : decoder.forward(targetEncoder.forward(options), z, null);
  }

  /**
   * Whether the decoder folds the target encoder's output layer: with the fused decoder and an
   * mlp encoder (its output layer is H x H). A linear encoder's only layer reads the raw D-wide
   * features: folding it would cost more (W1t . W is H x H x D) than it saves.
   */
  private boolean foldsTargetOutput() {
    return decoder.fused() && targetEncoder.deep();
  }

  private Tensor[] meanStd(Tensor params) {
    long h = config.hidden();
    return new Tensor[] {params.narrow(-1, 0, h), softplus(params.narrow(-1, h, h)).add(new Scalar(1e-6))};
  }

  /** KL(N(m1, s1^2) || N(m2, s2^2)) summed over dimensions, averaged over tasks. */
  static Tensor klNormal(Tensor m1, Tensor s1, Tensor m2, Tensor s2) {
    Tensor var1 = s1.mul(s1), var2 = s2.mul(s2), d = m1.sub(m2);
    Tensor kl = log(s2.div(s1)).add(var1.add(d.mul(d)).div(var2.mul(new Scalar(2)))).sub(new Scalar(0.5));
    return kl.sum(new long[] {-1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()).mean();
  }
}
