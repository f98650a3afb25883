package org.steer4j.kernels;

import static org.steer4j.kernels.KernelCall.address;
import static org.steer4j.kernels.KernelCall.check;

import org.bytedeco.pytorch.Tensor;

/**
 * The fused Adam / AdamW update (native/optimizer.cpp|.cu) of one parameter tensor in place:
 * one pass over parameter, gradient and moments instead of the eager update's seven.
 */
public final class AdamStep {
  private static final String OP = "adam_step";

  private AdamStep() {}

  /** Hyper-parameters; {@code decoupled} = AdamW's weight decay, else Adam's L2 term. */
  public record Settings(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {}

  /**
   * Updates contiguous {@code param} (and its moments) with {@code grad} for step {@code step}
   * (1-based). All four tensors share dtype, device and number of elements.
   */
  public static void apply(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Settings s, long step) {
    long n = param.numel();
    for (Tensor t : new Tensor[] {grad, expAvg, expAvgSq}) {
      if (t.numel() != n) throw new IllegalArgumentException(OP + ": " + t.numel() + " elements, the parameter has " + n);
    }
    if (!param.is_contiguous() || !expAvg.is_contiguous() || !expAvgSq.is_contiguous()) {
      throw new IllegalArgumentException(OP + ": parameter and moments must be contiguous (they are updated in place)");
    }
    Tensor p = param, g = KernelCall.arg(OP, "grad", grad, param, KernelCall.shape(param));
    KernelCall.arg(OP, "exp_avg", expAvg, param, KernelCall.shape(param));
    KernelCall.arg(OP, "exp_avg_sq", expAvgSq, param, KernelCall.shape(param));
    int decoupled = s.decoupled() ? 1 : 0;
    int status =
        switch (KernelCall.variant(OP, param)) {
          case F32 -> NativeKernels.s4j_adam_step_f32(address(p), address(g), address(expAvg), address(expAvgSq), n,
              s.lr(), s.beta1(), s.beta2(), s.eps(), s.weightDecay(), decoupled, step);
          case F64 -> NativeKernels.s4j_adam_step_f64(address(p), address(g), address(expAvg), address(expAvgSq), n,
              s.lr(), s.beta1(), s.beta2(), s.eps(), s.weightDecay(), decoupled, step);
          case F32_CUDA -> NativeKernels.s4j_adam_step_f32_cuda(address(p), address(g), address(expAvg), address(expAvgSq), n,
              s.lr(), s.beta1(), s.beta2(), s.eps(), s.weightDecay(), decoupled, step);
        };
    check(OP, status);
  }
}
