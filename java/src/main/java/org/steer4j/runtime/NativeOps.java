package org.steer4j.runtime;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The process-wide functions of the steer4j op library ({@code native/include/steer4j/status.h}):
 * its ABI version, its threads (OpenMP and every OpenBLAS in the process) and the allocator
 * setting. Its JNI methods and the kernels' ({@code kernels.NativeKernels}) are generated into
 * one library, {@code libjnisteer4j}, which this class loads after LibTorch and OpenBLAS: so
 * native loading happens here, in the lowest layer, and the kernels never call back up.
 */
@Platform(include = "steer4j/status.h", library = "jnisteer4j")
final class NativeOps {
  static {
    Native.loadLibraries();  // the op library links OpenBLAS by its soname
    Loader.load();
  }

  private NativeOps() {}

  static native void s4j_set_num_threads(int threads);

  static native int s4j_get_num_threads();

  static native int s4j_abi_version();

  static native int s4j_tune_allocator();
}
