package org.steer4j.runtime;

import static org.bytedeco.pytorch.global.torch.get_num_threads;
import static org.bytedeco.pytorch.global.torch.set_num_threads;

import java.io.IOException;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.bytedeco.pytorch.global.torch;

/**
 * The one place that loads native code (LibTorch, OpenBLAS, the steer4j op library) and sets
 * the thread counts of all three together.
 *
 * <p>Two measured traps decide the shape of this class (docs/DEVELOPING.md, "Presets pitfalls seen here"): JavaCPP
 * extracts libraries one at a time, so on a cold cache {@code libtorch.so} could be opened
 * before {@code libtorch_cpu.so} is extracted and resolve to a system LibTorch of another
 * version (a crash); we unpack the whole preset first. And LibTorch's OpenMP threads plus
 * OpenBLAS's own pool oversubscribed 2 cores, making small steps 30x slower; we set both.
 */
public final class Native {
  private static final Object LOCK = new Object();
  private static volatile boolean librariesLoaded;
  private static volatile int threads = -1;

  /** The native ABI version this Java code was written against (native/internal.h). */
  static final int ABI_VERSION = 5;

  private Native() {}

  /** Loads LibTorch and OpenBLAS (idempotent); the op library needs them loaded first. */
  public static void loadLibraries() {
    if (librariesLoaded) return;
    synchronized (LOCK) {
      if (librariesLoaded) return;
      try {
        // LibTorch's OpenMP spins its idle threads by default, starving OpenBLAS's pool on few
        // cores (a small step ran 30x slower); libgomp reads this once, when it loads.
        if (ProcessEnv.getenv("OMP_WAIT_POLICY") == null) ProcessEnv.setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        // OpenBLAS's idle worker spins for ~2^28 cycles before it sleeps; between GEMMs (and
        // through all of oneDNN's bf16 GEMMs) it took ~30 % of a core from the threads doing the
        // work: a bf16 UltraFeedback step went from 71 to 52 ms with the shortest timeout.
        if (ProcessEnv.getenv("OPENBLAS_THREAD_TIMEOUT") == null) ProcessEnv.setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
        Loader.cacheResources("/org/bytedeco/pytorch/" + Loader.getPlatform() + "/");
        // LibTorch brings the preset's libopenblas_nolapack (soname libopenblas.so.0), the one
        // OpenBLAS of the process: its GEMMs, our kernels' and the thread count we set. (Loading
        // the openblas class too would map a second OpenBLAS with its own thread pool.)
        Loader.load(torch.class);
        Loader.load(openblas_nolapack.class);
      } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
        throw new NativeLoadException(
            "could not load LibTorch / OpenBLAS from the JavaCPP presets for platform "
                + Loader.getPlatform()
                + " (is the org.bytedeco:pytorch:"
                + Loader.getPlatform()
                + " jar on the class path?)",
            e);
      }
      librariesLoaded = true;
    }
  }

  /**
   * Loads everything and sets LibTorch intra-op, OpenBLAS and steer4j kernel threads to
   * {@code count} (0 = the number of available processors). Safe to call again.
   */
  public static void init(int count) {
    loadLibraries();
    int n = count > 0 ? count : Runtime.getRuntime().availableProcessors();
    synchronized (LOCK) {
      try {
        int abi = NativeOps.s4j_abi_version();
        if (abi != ABI_VERSION) {
          throw new NativeLoadException(
              "steer4j op library has ABI " + abi + " but this code expects " + ABI_VERSION
                  + ": rebuild with mvn package",
              null);
        }
      } catch (UnsatisfiedLinkError e) {
        throw new NativeLoadException(
            "could not load the steer4j op library (libjnisteer4j.so); build it with"
                + " 'mvn -B package' (CMake and a C++ compiler are needed)",
            e);
      }
      if (threads < 0) NativeOps.s4j_tune_allocator();
      if (threads != n) {
        set_num_threads(n);
        NativeOps.s4j_set_num_threads(n);  // our OpenMP threads and OpenBLAS's pool
        threads = n;
      }
    }
  }

  /**
   * Loads LibTorch, OpenBLAS and the steer4j op library, without changing any thread count
   * (idempotent). The kernels' JNI methods live in the op library: {@code kernels.NativeKernels}
   * calls this before its first native call.
   */
  public static void loadOpLibrary() {
    NativeOps.s4j_abi_version();  // initialising the class loads the library
  }

  /** Initialises with the default thread count if nothing was initialised yet. */
  public static void ensureInit() {
    if (threads < 0) init(0);
  }

  /** The thread count set by {@link #init}, as LibTorch reports it. */
  public static int threads() {
    ensureInit();
    return get_num_threads();
  }

  /** Raised when native code can't be loaded; the message says what to do. */
  public static final class NativeLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NativeLoadException(String message, Throwable cause) {
      super(message + (cause != null ? ": " + cause.getMessage() : ""), cause);
    }
  }
}
