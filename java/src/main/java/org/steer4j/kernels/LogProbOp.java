package org.steer4j.kernels;

import static org.steer4j.kernels.KernelCall.address;
import static org.steer4j.kernels.KernelCall.arg;
import static org.steer4j.kernels.KernelCall.check;
import static org.steer4j.kernels.KernelCall.describe;
import static org.steer4j.kernels.KernelCall.is;
import static org.steer4j.runtime.Tensors.empty;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Fused sequence log-probability of a causal LM's responses (native/logprob.cpp|.cu), the
 * quantity the DPO loss compares between policy and reference:
 *
 * <pre>logp[n] = sum_t mask[n, t] * log_softmax(logits[n, t, :])[labels[n, t]]</pre>
 *
 * <p>Why fused: eager LibTorch writes the whole {@code [N, L, V]} log-softmax (1.2 GB at N=4,
 * L=512, V=152k in float32) and its backward writes two more of that size. The native forward
 * streams each scored row once and keeps one log-sum-exp per position; the backward writes the
 * logits' gradient directly, if asked into the logits' own buffer ({@link
 * GradientBuffer#OVERWRITE_LOGITS}).
 *
 * <p>Labels are aligned with the logits: position t scores {@code labels[n, t]}. A causal LM's
 * logits at t predict token t + 1, so the caller shifts; {@link ResponseLabels} does that for a
 * right-padded batch of (prompt, response) sequences. Positions with {@code mask == 0} are not
 * read and their labels are ignored (padding may carry -100); a scored label outside [0, V)
 * fails with a {@link KernelException} that names the position.
 *
 * <p>dtypes: logits float32 (CPU, CUDA), float64 (CPU) or bfloat16 (CPU, CUDA). {@code logp} and
 * the arithmetic are float64 for float64 logits and float32 otherwise (a sum of hundreds of
 * log-probs in bfloat16 would drown the DPO margin). The mask may be any real or bool dtype (an
 * int64 attention mask works) and is converted; labels are int64 (int32 is converted). The
 * logits' gradient has the logits' dtype. CUDA tensors must be on the current device; the
 * kernels run on the default stream, and the CUDA forward synchronises once to report bad labels.
 *
 * <p>{@link EagerLogProb} is the same function composed of LibTorch ops, the reference of the
 * tests and benchmarks.
 */
public final class LogProbOp {
  private static final String OP = "logprob";

  private LogProbOp() {}

  /** Where backward writes the logits' gradient. */
  public enum GradientBuffer {
    /** A new {@code [N, L, V]} tensor. */
    NEW,
    /**
     * Over the logits themselves, saving an {@code [N, L, V]} allocation. Only when nothing reads
     * the logits after this op's backward: true for logits straight out of an LM head (a Linear's
     * backward needs its input and weight, not its output), false if another loss or a saved
     * softmax also uses them.
     */
    OVERWRITE_LOGITS
  }

  /** The result, and what backward needs: the inputs as the kernel read them and each row's log-sum-exp. */
  public record Forward(Tensor logp, Tensor logits, Tensor labels, Tensor mask, Tensor lse) {}

  /**
   * {@code logp [N]} of {@code logits [N, L, V]} at {@code labels [N, L]} weighted by {@code mask
   * [N, L]}, recorded on {@code tape} when the logits require grad (a fresh gradient buffer).
   */
  public static Tensor forward(Tensor logits, Tensor labels, Tensor mask, Tape tape) {
    return forward(logits, labels, mask, tape, GradientBuffer.NEW);
  }

  /** As {@link #forward(Tensor, Tensor, Tensor, Tape)}, choosing where backward writes. */
  public static Tensor forward(Tensor logits, Tensor labels, Tensor mask, Tape tape, GradientBuffer buffer) {
    Forward f = forward(logits.detach(), labels, mask);
    if (!logits.requires_grad() || !GradMode.is_enabled()) return f.logp();
    if (tape == null) throw new IllegalStateException(OP + ": logits require grad but no Tape was given");
    return tape.record(gradient -> Collections.singletonList(backward(gradient, f, buffer)), f.logp(), List.of(logits));
  }

  /** The forward kernel alone, outside autograd. */
  public static Forward forward(Tensor logits, Tensor labels, Tensor mask) {
    if (logits == null || !logits.defined()) throw new IllegalArgumentException(OP + ": logits is missing");
    long[] shape = KernelCall.shape(logits);
    if (shape.length != 3) {
      throw new IllegalArgumentException(OP + ": logits must be [N, L, V], got shape " + Arrays.toString(shape));
    }
    final long n = shape[0], l = shape[1], v = shape[2];
    Kind kind = Kind.of(logits);
    Tensor x = logits.is_contiguous() ? logits : logits.contiguous();
    Tensor y = labels(labels, x, n, l);
    Tensor m = mask(mask, kind, x, n, l);
    TensorOptions options = x.options().dtype(new ScalarTypeOptional(kind.arithmetic));
    Tensor logp = empty(options, n);
    Tensor lse = empty(options, n, l);
    long lx = address(x), ly = address(y), lm = address(m), lp = address(logp), ls = address(lse);
    int status =
        switch (kind) {
          case F32 -> NativeKernels.s4j_logprob_forward_f32(lx, ly, lm, lp, ls, n, l, v);
          case F64 -> NativeKernels.s4j_logprob_forward_f64(lx, ly, lm, lp, ls, n, l, v);
          case BF16 -> NativeKernels.s4j_logprob_forward_bf16(lx, ly, lm, lp, ls, n, l, v);
          case F32_CUDA -> NativeKernels.s4j_logprob_forward_f32_cuda(lx, ly, lm, lp, ls, n, l, v);
          case BF16_CUDA -> NativeKernels.s4j_logprob_forward_bf16_cuda(lx, ly, lm, lp, ls, n, l, v);
        };
    check(OP + " forward", status);
    return new Forward(logp, x, y, m, lse);
  }

  /**
   * The logits' gradient of {@code sum(dlogp * logp)}: {@code dlogp[n] * mask[n, t] *
   * (onehot(labels[n, t]) - softmax(logits[n, t]))}, zero where the mask is.
   */
  public static Tensor backward(Tensor dlogp, Forward f, GradientBuffer buffer) {
    Tensor x = f.logits();
    final long n = x.size(0), l = x.size(1), v = x.size(2);
    Kind kind = Kind.of(x);
    if (dlogp == null || !dlogp.defined()) throw new IllegalArgumentException(OP + ": dlogp is missing");
    Tensor g = arg(OP, "dlogp", dlogp.to(kind.arithmetic), kind.arithmetic, x, n);
    Tensor out = buffer == GradientBuffer.OVERWRITE_LOGITS ? x : empty(x.options(), n, l, v);
    long lg = address(g), lx = address(x), ly = address(f.labels()), lm = address(f.mask());
    long ls = address(f.lse()), lo = address(out);
    int status =
        switch (kind) {
          case F32 -> NativeKernels.s4j_logprob_backward_f32(lg, lx, ly, lm, ls, lo, n, l, v);
          case F64 -> NativeKernels.s4j_logprob_backward_f64(lg, lx, ly, lm, ls, lo, n, l, v);
          case BF16 -> NativeKernels.s4j_logprob_backward_bf16(lg, lx, ly, lm, ls, lo, n, l, v);
          case F32_CUDA -> NativeKernels.s4j_logprob_backward_f32_cuda(lg, lx, ly, lm, ls, lo, n, l, v);
          case BF16_CUDA -> NativeKernels.s4j_logprob_backward_bf16_cuda(lg, lx, ly, lm, ls, lo, n, l, v);
        };
    check(OP + " backward", status);
    return out;
  }

  /** Which kernel instantiation runs, from the logits' dtype and device. */
  private enum Kind {
    F32(ScalarType.Float),
    F64(ScalarType.Double),
    BF16(ScalarType.Float),
    F32_CUDA(ScalarType.Float),
    BF16_CUDA(ScalarType.Float);

    /** dtype of logp, lse, mask and dlogp. */
    final ScalarType arithmetic;

    Kind(ScalarType arithmetic) {
      this.arithmetic = arithmetic;
    }

    static Kind of(Tensor logits) {
      boolean cuda = logits.is_cuda();
      if (is(logits, ScalarType.Float)) return cuda ? F32_CUDA : F32;
      if (is(logits, ScalarType.BFloat16)) return cuda ? BF16_CUDA : BF16;
      if (is(logits, ScalarType.Double) && !cuda) return F64;
      throw new IllegalArgumentException(
          OP + ": unsupported logits dtype " + describe(logits)
              + " (float32 and bfloat16 on CPU and CUDA, float64 on CPU)");
    }
  }

  private static Tensor labels(Tensor labels, Tensor logits, long n, long l) {
    if (labels != null && labels.defined() && is(labels, ScalarType.Int)) labels = labels.to(ScalarType.Long);
    return arg(OP, "labels", labels, ScalarType.Long, logits, n, l);
  }

  private static Tensor mask(Tensor mask, Kind kind, Tensor logits, long n, long l) {
    if (mask == null || !mask.defined()) throw new IllegalArgumentException(OP + ": mask is missing");
    if (mask.is_cuda() != logits.is_cuda()) {
      throw new IllegalArgumentException(OP + ": mask is " + describe(mask) + " but the logits are " + describe(logits));
    }
    return arg(OP, "mask", mask.to(kind.arithmetic), kind.arithmetic, logits, n, l);
  }
}
