package org.steer4j.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The implementations of an op that the kernel tests run one test body over (as Jlama's kernel
 * tests do): the eager LibTorch composition, the native kernels in float32 and float64 on the
 * CPU, and the native float32 kernels on CUDA, skipped with the reason where there is no GPU.
 */
enum Implementation {
  /** The eager composition of LibTorch ops (the {@code Eager*} classes), float32 on the CPU. */
  EAGER(ScalarType.Float, false),
  NATIVE_F32(ScalarType.Float, false),
  NATIVE_F64(ScalarType.Double, false),
  /** The native float32 kernels on device pointers (libsteer4j_cuda). */
  CUDA_F32(ScalarType.Float, true);

  final ScalarType dtype;
  final boolean cuda;

  Implementation(ScalarType dtype, boolean cuda) {
    this.dtype = dtype;
    this.cuda = cuda;
  }

  /** Whether this is one of the fused native kernels (not the eager composition). */
  boolean fused() {
    return this != EAGER;
  }

  /** Skips the calling test, naming why, where this implementation can't run. */
  void assumeAvailable() {
    if (cuda) {
      assumeTrue(torch.cuda_is_available(),
          name() + ": LibTorch sees no CUDA device (no GPU, or the CPU build of the presets)");
    }
  }

  /** {@code t} in this implementation's dtype on its device; null stays null. May alias {@code t}. */
  Tensor place(Tensor t) {
    return t == null ? null : onDevice(t.to(dtype));
  }

  /** {@code t} (any dtype: labels, lengths) on this implementation's device. May alias {@code t}. */
  Tensor onDevice(Tensor t) {
    return t == null || !cuda ? t : t.cuda();
  }

  /** Every implementation with every argument list of {@code cases}: (implementation, case...). */
  static Stream<Arguments> times(Stream<Arguments> cases) {
    return cases.flatMap(c -> Arrays.stream(values()).map(i -> Arguments.of(prepend(i, c.get()))));
  }

  /** The fused implementations only, with every argument list of {@code cases}. */
  static Stream<Arguments> fusedTimes(Stream<Arguments> cases) {
    return times(cases).filter(a -> ((Implementation) a.get()[0]).fused());
  }

  private static Object[] prepend(Object first, Object[] rest) {
    Object[] all = new Object[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }
}
