package org.steer4j.config;

/**
 * Where and how a run computes.
 *
 * @param seed the one seed of a run: with a fixed thread count a CPU run is bitwise repeatable
 * @param threads threads for LibTorch, OpenBLAS and the steer4j kernels together; 0 = all cores
 * @param device cpu or cuda
 * @param dtype float32, or bfloat16 for the matrix products of the big layers (CPU with
 *     AVX512-BF16 / AMX, or CUDA); parameters and optimiser state stay float32
 */
public record RuntimeConfig(long seed, int threads, Device device, Precision dtype) {
  public RuntimeConfig {
    if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0 = all cores), got " + threads);
  }

  public static RuntimeConfig defaults() {
    return new RuntimeConfig(0, 0, Device.CPU, Precision.FLOAT32);
  }

  public enum Device {
    CPU,
    CUDA;

    /** The LibTorch device ({@code cuda:0} for cuda). */
    public org.bytedeco.pytorch.Device torch() {
      return new org.bytedeco.pytorch.Device(this == CUDA ? "cuda:0" : "cpu");
    }
  }

  public enum Precision {
    FLOAT32,
    BFLOAT16
  }
}
