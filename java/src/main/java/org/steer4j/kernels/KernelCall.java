package org.steer4j.kernels;

import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Argument checks and status handling shared by the typed wrappers of the native kernels. */
final class KernelCall {
  private KernelCall() {}

  /** Which instantiation of a kernel a call uses. */
  enum Variant {
    F32,
    F64,
    F32_CUDA
  }

  static Variant variant(String op, Tensor reference) {
    ScalarType type = reference.scalar_type().intern();  // native enums are not interned
    boolean cuda = reference.is_cuda();
    if (type == ScalarType.Float) return cuda ? Variant.F32_CUDA : Variant.F32;
    if (type == ScalarType.Double && !cuda) return Variant.F64;
    throw new IllegalArgumentException(
        op + ": unsupported dtype " + type + " on " + (cuda ? "CUDA" : "CPU")
            + " (float32 everywhere, float64 on CPU)");
  }

  /** Checks dtype and device (those of {@code reference}) and shape of an argument; returns it contiguous. */
  static Tensor arg(String op, String name, Tensor t, Tensor reference, long... shape) {
    return arg(op, name, t, reference.scalar_type().intern(), reference, shape);
  }

  /**
   * Checks a tensor argument of dtype {@code type} (e.g. int64 labels) which must live on the
   * device of {@code reference}; returns it contiguous.
   */
  static Tensor arg(String op, String name, Tensor t, ScalarType type, Tensor reference, long... shape) {
    if (t == null || !t.defined()) throw new IllegalArgumentException(op + ": " + name + " is missing");
    if (t.scalar_type().value != type.value || t.is_cuda() != reference.is_cuda()) {
      throw new IllegalArgumentException(
          op + ": " + name + " is " + describe(t) + " but must be " + type
              + (reference.is_cuda() ? " on CUDA" : " on CPU") + " (the device of the inputs)");
    }
    long[] actual = shape(t);
    if (!Arrays.equals(actual, shape)) {
      throw new IllegalArgumentException(
          op + ": " + name + " has shape " + Arrays.toString(actual) + ", expected "
              + Arrays.toString(shape));
    }
    return t.is_contiguous() ? t : t.contiguous();
  }

  /** dtype and device of a tensor, for messages: "BFloat16 on CUDA". */
  static String describe(Tensor t) {
    return t.scalar_type().intern() + (t.is_cuda() ? " on CUDA" : " on CPU");
  }

  static boolean is(Tensor t, ScalarType type) {
    return t.scalar_type().value == type.value;
  }

  static long[] shape(Tensor t) {
    return t.sizes().vec().get();
  }

  /** The raw data address of a tensor, or 0 (NULL) for a missing one. */
  static long address(Tensor t) {
    return t == null ? 0L : t.data_ptr().address();
  }

  static void check(String op, int status) {
    if (status != 0) {
      throw new KernelException(op, status, NativeKernels.s4j_last_error().getString());
    }
  }
}
