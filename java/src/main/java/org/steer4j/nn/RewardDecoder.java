package org.steer4j.nn;

import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.zeros;

import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.steer4j.kernels.BatchNormSync;
import org.steer4j.kernels.DecoderWeights;
import org.steer4j.kernels.EagerRewardDecoder;
import org.steer4j.kernels.RewardDecoderOp;
import org.steer4j.kernels.Tape;

/**
 * Reward decoder {@code Linear(Dt + Dz, H, no bias) -> BatchNorm1d(H) -> ReLU -> Linear(H, O)}
 * over every (task, target, option) row, conditioned on one latent z per task (Dz = 0: the
 * unconditioned decoder of BTL / DPL). Runs the fused native op by default, recorded on a
 * {@link Tape} when gradients are needed; {@code fused = false} runs the eager LibTorch
 * composition instead (the reference).
 *
 * <p>Parameters: {@code w1t [H, Dt]}, {@code w1z [H, Dz]} (the two halves of the first layer's
 * weight), {@code bn_weight}, {@code bn_bias} [H], {@code w2 [O, H]}, {@code b2 [O]}; buffers
 * {@code bn_running_mean}, {@code bn_running_var}.
 */
public final class RewardDecoder extends Module {
  private static final double BN_MOMENTUM = 0.1, BN_EPS = 1e-5;

  private final Tensor w1t, w1z, gamma, beta, w2, b2, runningMean, runningVar;
  private final boolean fused;
  private BatchNormSync sync;

  public RewardDecoder(long targetWidth, long latentWidth, long hidden, long outputs, boolean fused, TensorOptions options) {
    super("RewardDecoder");
    long fanIn = targetWidth + latentWidth;  // one Linear over the concat in the reference
    w1t = Params.parameter(this, "w1t", Init.linearUniform(fanIn, options, hidden, targetWidth));
    w1z = latentWidth > 0 ? Params.parameter(this, "w1z", Init.linearUniform(fanIn, options, hidden, latentWidth)) : null;
    gamma = Params.parameter(this, "bn_weight", ones(new long[] {hidden}, options));
    beta = Params.parameter(this, "bn_bias", zeros(new long[] {hidden}, options));
    w2 = Params.parameter(this, "w2", Init.linearUniform(hidden, options, outputs, hidden));
    b2 = Params.parameter(this, "b2", Init.linearUniform(hidden, options, outputs));
    runningMean = Params.buffer(this, "bn_running_mean", zeros(new long[] {hidden}, options));
    runningVar = Params.buffer(this, "bn_running_var", ones(new long[] {hidden}, options));
    this.fused = fused;
  }

  /**
   * Synchronised BatchNorm while {@code sync} is set (null: off): training forwards normalise with
   * the statistics of the batch spread over the processes {@code sync} sums over. Fused op only.
   */
  public void synchronise(BatchNormSync sync) {
    this.sync = sync;
  }

  public DecoderWeights weights() {
    return new DecoderWeights(w1t, w1z, gamma, beta, w2, b2, runningMean, runningVar, BN_MOMENTUM, BN_EPS);
  }

  /**
   * Rewards {@code [B, N, O]} for targets {@code t [B, N, Dt]} and latents {@code z [B, Dz]}
   * (null when unconditioned). In training mode BN uses batch statistics and updates its
   * running ones. {@code tape} receives the fused op when any input needs a gradient; it may
   * be null when none does (evaluation).
   */
  public Tensor forward(Tensor t, Tensor z, Tape tape) {
    return run(t, z, weights(), Arrays.asList(t, z, w1t, w1z, gamma, beta, w2, b2), tape);
  }

  /**
   * The same with the target encoder's last layer folded in: {@code u [B, N, Du]} is that
   * layer's input and t = projection(u) is never formed (one R x H x Du product forward
   * instead of two, two backward instead of four). Only the fused op folds; the eager path
   * applies the projection first.
   */
  public Tensor forward(Tensor u, Tensor z, Linear projection, Tape tape) {
    DecoderWeights w = weights().withProjection(projection.weight(), projection.bias());
    return run(u, z, w, Arrays.asList(u, z, w1t, w1z, gamma, beta, w2, b2, projection.weight(), projection.bias()), tape);
  }

  private Tensor run(Tensor t, Tensor z, DecoderWeights w, List<Tensor> inputs, Tape tape) {
    boolean training = is_training();
    BatchNormSync synchronised = training ? sync : null;
    if (!fused) {
      if (synchronised != null) {
        throw new IllegalStateException("synchronised BatchNorm runs in the fused reward decoder: set model.fused_decoder: true");
      }
      return EagerRewardDecoder.forward(t, z, w, training);
    }
    boolean grad = Tape.anyRequiresGrad(inputs) && GradMode.is_enabled();
    Tensor td = t.detach(), zd = z == null ? null : z.detach();
    RewardDecoderOp.Forward f = RewardDecoderOp.forward(td, zd, w, training, synchronised);
    if (!grad) return f.r();
    if (tape == null) throw new IllegalStateException("RewardDecoder: gradients needed but no Tape given");
    boolean inputGrads = t.requires_grad() || (z != null && z.requires_grad());
    return tape.record(
        gradient -> {
          RewardDecoderOp.Gradients g = RewardDecoderOp.backward(gradient, td, zd, w, f, inputGrads);
          return Arrays.asList(g.t(), g.z(), g.w1t(), g.w1z(), g.gamma(), g.beta(), g.w2(), g.b2(), g.projW(), g.projB());
        },
        f.r(),
        inputs);
  }

  public boolean fused() {
    return fused;
  }
}
