package org.steer4j.kernels;

import static org.steer4j.runtime.Tensors.empty;
import static org.steer4j.kernels.KernelCall.arg;
import static org.steer4j.kernels.KernelCall.check;
import static org.steer4j.kernels.RewardDecoderArgs.Field.*;

import org.bytedeco.pytorch.Tensor;
import org.steer4j.kernels.KernelCall.Variant;

/**
 * The fused conditioned reward decoder (native/reward_decoder.cpp|.cu) on LibTorch tensors:
 * {@code r[b, n] = W2 . relu(BN(W1t . t[b, n] + W1z . z[b])) + b2} over all rows of all tasks,
 * with z projected once per task and broadcast instead of concatenated to every row.
 *
 * <p>Forward and backward are explicit calls outside LibTorch's autograd; {@link Tape} joins
 * them to it. {@link EagerRewardDecoder} is the same function composed of LibTorch ops, the
 * reference the tests and benchmarks compare against.
 */
public final class RewardDecoderOp {
  private static final String OP = "reward_decoder";
  /** The stages of a synchronised call: S4J_RD_LOCAL_SUMS, S4J_RD_FROM_SUMS (native/include/steer4j/reward_decoder.h). */
  private static final long LOCAL_SUMS = 1, FROM_SUMS = 2;

  private RewardDecoderOp() {}

  /**
   * Output {@code r [B, N, O]} and what backward needs; with synchronised BatchNorm, {@code sync}
   * and the rows of the whole batch the statistics were over (else null and this call's rows).
   */
  public record Forward(Tensor r, Tensor pre, Tensor mean, Tensor invstd, boolean training, BatchNormSync sync, long batchRows) {}

  /**
   * Gradients; a field is null when it was not asked for (or, projW / projB, when there is no
   * folded projection). {@code t} is the gradient of the input (u with a projection).
   */
  public record Gradients(
      Tensor t, Tensor z, Tensor w1t, Tensor w1z, Tensor gamma, Tensor beta, Tensor w2, Tensor b2,
      Tensor projW, Tensor projB) {}

  /**
   * Runs the decoder on targets {@code t [B, N, Dt]} (or, with a folded projection, on the
   * projection's input {@code u [B, N, Du]}) and latents {@code z [B, Dz]} (null when
   * unconditioned). Training normalises with batch statistics over all B*N rows and updates
   * the running statistics in place; evaluation uses the running statistics.
   */
  public static Forward forward(Tensor t, Tensor z, DecoderWeights w, boolean training) {
    return forward(t, z, w, training, null);
  }

  /**
   * The same; in training with {@code sync} (synchronised BatchNorm) the statistics are those of
   * the rows of every process {@code sync} sums over: the op runs in two stages around one sum of
   * 2H + 1 doubles (the per-feature sums of x and x^2, and the row count). Every process updates
   * its running statistics to the same values. CPU only (native/include/steer4j/reward_decoder.h).
   */
  public static Forward forward(Tensor t, Tensor z, DecoderWeights w, boolean training, BatchNormSync sync) {
    if (t.dim() != 3) throw new IllegalArgumentException(OP + ": t must be [B, N, D], got dim " + t.dim());
    final long b = t.size(0), n = t.size(1), dt = w.targetWidth(), du = w.inputWidth(), dz = w.latentWidth();
    final long h = w.hidden(), o = w.outputs();
    Variant variant = KernelCall.variant(OP, t);
    Tensor tc = arg(OP, w.projW() == null ? "t" : "u", t, t, b, n, du);
    Tensor projW = w.projW() == null ? null : arg(OP, "proj_w", w.projW(), t, dt, du);
    Tensor projB = w.projW() == null ? null : arg(OP, "proj_b", w.projB(), t, dt);
    Tensor zc = dz > 0 ? arg(OP, "z", z, t, b, dz) : null;
    Tensor w1t = arg(OP, "w1t", w.w1t(), t, h, dt);
    Tensor w1z = dz > 0 ? arg(OP, "w1z", w.w1z(), t, h, dz) : null;
    Tensor gamma = arg(OP, "gamma", w.gamma(), t, h);
    Tensor beta = arg(OP, "beta", w.beta(), t, h);
    Tensor w2 = arg(OP, "w2", w.w2(), t, o, h);
    Tensor b2 = arg(OP, "b2", w.b2(), t, o);
    Tensor runningMean = w.runningMean(), runningVar = w.runningVar();
    if (runningMean != null) arg(OP, "running_mean", runningMean, t, h);  // updated in place
    if (runningVar != null) arg(OP, "running_var", runningVar, t, h);
    if (runningMean != null && !runningMean.is_contiguous() || runningVar != null && !runningVar.is_contiguous()) {
      throw new IllegalArgumentException(OP + ": running statistics must be contiguous");
    }

    Tensor r = empty(t.options(), b, n, o);
    Tensor pre = empty(t.options(), b * n, h);
    Tensor zproj = empty(t.options(), Math.max(dz > 0 ? b : 0, 1), h);
    Tensor mean = empty(t.options(), h);
    Tensor invstd = empty(t.options(), h);
    Tensor work = projW == null ? null : empty(t.options(), h, du);
    RewardDecoderArgs args = RewardDecoderArgs.begin()
        .set(T, tc).set(Z, zc).set(W1T, w1t).set(W1Z, w1z).set(GAMMA, gamma).set(BETA, beta)
        .set(W2, w2).set(B2, b2).set(PROJ_W, projW).set(PROJ_B, projB)
        .set(RUNNING_MEAN, runningMean).set(RUNNING_VAR, runningVar)
        .set(R, r).set(PRE, pre).set(MEAN, mean).set(INVSTD, invstd).set(ZPROJ, zproj).set(WORK, work)
        .real(MOMENTUM, w.momentum()).real(EPS, w.eps()).flag(TRAINING, training);
    sizes(args, b, n, dt, du, dz, h, o);
    if (sync == null || !training) {
      forwardCall(variant, args);
      return new Forward(r, pre, mean, invstd, training, null, b * n);
    }
    Tensor stats = org.bytedeco.pytorch.global.torch.zeros(new long[] {2 * h + 1}, doubles(t));  // sums | row count
    args.set(STATS, stats).size(STAGE, LOCAL_SUMS);
    forwardCall(variant, args);
    stats.select(0, 2 * h).fill_(new org.bytedeco.pytorch.Scalar((double) (b * n)));
    sync.sumInPlace(stats);
    long rows = Math.round(stats.select(0, 2 * h).item_double());
    args.size(STAGE, FROM_SUMS).size(BATCH_ROWS, rows);
    forwardCall(variant, args);
    return new Forward(r, pre, mean, invstd, true, sync, rows);
  }

  private static void forwardCall(Variant variant, RewardDecoderArgs args) {
    int status =
        switch (variant) {
          case F32 -> NativeKernels.s4j_reward_decoder_forward_f32(args.address());
          case F64 -> NativeKernels.s4j_reward_decoder_forward_f64(args.address());
          case F32_CUDA -> NativeKernels.s4j_reward_decoder_forward_f32_cuda(args.address());
        };
    check(OP + " forward", status);
  }

  private static void backwardCall(Variant variant, RewardDecoderArgs args) {
    int status =
        switch (variant) {
          case F32 -> NativeKernels.s4j_reward_decoder_backward_f32(args.address());
          case F64 -> NativeKernels.s4j_reward_decoder_backward_f64(args.address());
          case F32_CUDA -> NativeKernels.s4j_reward_decoder_backward_f32_cuda(args.address());
        };
    check(OP + " backward", status);
  }

  private static org.bytedeco.pytorch.TensorOptions doubles(Tensor like) {
    return new org.bytedeco.pytorch.TensorOptions(like.device()).dtype(new org.bytedeco.pytorch.ScalarTypeOptional(org.bytedeco.pytorch.global.torch.ScalarType.Double));
  }

  /**
   * Gradients of {@code sum(dr * r)} for the forward {@code f}. Input gradients (t, z) are
   * computed only when {@code inputGradients}; weight gradients always.
   */
  public static Gradients backward(
      Tensor dr, Tensor t, Tensor z, DecoderWeights w, Forward f, boolean inputGradients) {
    final long b = t.size(0), n = t.size(1), dt = w.targetWidth(), du = w.inputWidth(), dz = w.latentWidth();
    final long h = w.hidden(), o = w.outputs();
    final boolean project = w.projW() != null;
    Variant variant = KernelCall.variant(OP, t);
    Tensor g = arg(OP, "dr", dr, t, b, n, o);
    Tensor tc = arg(OP, project ? "u" : "t", t, t, b, n, du);
    Tensor projW = project ? arg(OP, "proj_w", w.projW(), t, dt, du) : null;
    Tensor projB = project ? arg(OP, "proj_b", w.projB(), t, dt) : null;
    Tensor zc = dz > 0 ? arg(OP, "z", z, t, b, dz) : null;
    Tensor w1t = arg(OP, "w1t", w.w1t(), t, h, dt);
    Tensor w1z = dz > 0 ? arg(OP, "w1z", w.w1z(), t, h, dz) : null;
    Tensor gamma = arg(OP, "gamma", w.gamma(), t, h);
    Tensor beta = arg(OP, "beta", w.beta(), t, h);
    Tensor w2 = arg(OP, "w2", w.w2(), t, o, h);

    Tensor gt = inputGradients ? empty(t.options(), b, n, du) : null;
    Tensor gz = inputGradients && dz > 0 ? empty(t.options(), b, dz) : null;
    Tensor gw1t = empty(t.options(), h, dt);
    Tensor gw1z = dz > 0 ? empty(t.options(), h, dz) : null;
    Tensor ggamma = empty(t.options(), h);
    Tensor gbeta = empty(t.options(), h);
    Tensor gw2 = empty(t.options(), o, h);
    Tensor gb2 = empty(t.options(), o);
    Tensor da = empty(t.options(), Math.max(b * n, 1), h);
    Tensor taskSums = empty(t.options(), Math.max(b, 1), h);
    Tensor gProjW = project ? empty(t.options(), dt, du) : null;
    Tensor gProjB = project ? empty(t.options(), dt) : null;
    Tensor work = project ? empty(t.options(), 2, h, du) : null;
    RewardDecoderArgs args = RewardDecoderArgs.begin()
        .set(DR, g).set(T, tc).set(Z, zc).set(W1T, w1t).set(W1Z, w1z).set(GAMMA, gamma).set(BETA, beta)
        .set(W2, w2).set(PROJ_W, projW).set(PROJ_B, projB)
        .set(PRE, f.pre()).set(MEAN, f.mean()).set(INVSTD, f.invstd()).flag(TRAINING, f.training())
        .set(GRAD_T, gt).set(GRAD_Z, gz).set(GRAD_W1T, gw1t).set(GRAD_W1Z, gw1z).set(GRAD_GAMMA, ggamma)
        .set(GRAD_BETA, gbeta).set(GRAD_W2, gw2).set(GRAD_B2, gb2).set(GRAD_PROJ_W, gProjW).set(GRAD_PROJ_B, gProjB)
        .set(DA, da).set(DU, taskSums).set(WORK, work);
    sizes(args, b, n, dt, du, dz, h, o);
    if (f.sync() == null) {
      backwardCall(variant, args);
    } else {  // synchronised BatchNorm: the sums of dx * xhat and dx over every process's rows
      Tensor stats = org.bytedeco.pytorch.global.torch.zeros(new long[] {2 * h}, doubles(t));
      args.set(STATS, stats).size(STAGE, LOCAL_SUMS);
      backwardCall(variant, args);
      f.sync().sumInPlace(stats);
      args.size(STAGE, FROM_SUMS).size(BATCH_ROWS, f.batchRows());
      backwardCall(variant, args);
    }
    return new Gradients(gt, gz, gw1t, gw1z, ggamma, gbeta, gw2, gb2, gProjW, gProjB);
  }

  private static void sizes(RewardDecoderArgs args, long b, long n, long dt, long du, long dz, long h, long o) {
    args.size(SIZE_B, b).size(SIZE_N, n).size(SIZE_DT, dt).size(SIZE_DU, du).size(SIZE_DZ, dz)
        .size(SIZE_H, h).size(SIZE_O, o);
  }
}
