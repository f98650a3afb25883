package org.steer4j.config;

/**
 * Where and how a run computes.
 *
 * @param seed the one seed of a run: with a fixed thread count a CPU run is bitwise repeatable
 * @param threads threads for LibTorch, OpenBLAS and the steer4j kernels together; 0 = all cores
 * @param device cpu or cuda
 * @param dtype float32, or bfloat16 for the matrix products of the big layers (CPU with
 *     AVX512-BF16 / AMX, or CUDA); parameters and optimiser state stay float32
 * @param microBatches reward models, M: how each step's batch of tasks meets BatchNorm. M = 1 (the
 *     default): one BatchNorm batch, the whole batch; W data-parallel ranks each run 1/W of it
 *     with the statistics synchronised across them (SyncBatchNorm), so the result is one
 *     process's at any world size (to float rounding). M > 1: M micro-batches, each through the
 *     network on its own (BatchNorm normalises each by itself: DDP's local BatchNorm), their
 *     gradients summed weighted by tasks; ranks run M / W each, so the result is the same at any
 *     world size W dividing M (bit for bit). 0 = one per rank of the run's first session,
 *     recorded in its config.yaml then
 */
public record RuntimeConfig(long seed, int threads, Device device, Precision dtype, int microBatches) {
  public RuntimeConfig {
    if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0 = all cores), got " + threads);
    if (microBatches < 0) throw new IllegalArgumentException("micro_batches must be >= 0 (0 = one per rank), got " + microBatches);
  }

  public static RuntimeConfig defaults() {
    return new RuntimeConfig(0, 0, Device.CPU, Precision.FLOAT32, 1);
  }

  /** The micro-batches of a step; a run recorded with 0 (before data parallel existed) had one. */
  public int microBatchesOrOne() {
    return microBatches == 0 ? 1 : microBatches;
  }

  public enum Device {
    CPU,
    CUDA;

    /**
     * The LibTorch device ({@code cuda:0} for cuda).
     *
     * @throws ConfigException for cuda where LibTorch sees no CUDA device (a CPU-only build, or no
     *     GPU): one line, rather than the dispatcher's error at the first tensor moved there
     */
    public org.bytedeco.pytorch.Device torch() {
      return torch(0);
    }

    /**
     * The device of the process with local rank {@code localRank} on its machine: {@code
     * cuda:<localRank>} for cuda (one GPU per process, as torchrun jobs use them; narrow the GPUs
     * a job sees with CUDA_VISIBLE_DEVICES), {@code cpu} for cpu.
     */
    public org.bytedeco.pytorch.Device torch(int localRank) {
      if (this == CUDA && !org.bytedeco.pytorch.global.torch.cuda_is_available()) {
        throw new ConfigException("runtime.device: cuda, but LibTorch sees no CUDA device here (a CPU-only LibTorch, or no GPU): set runtime.device=cpu");
      }
      return new org.bytedeco.pytorch.Device(name(localRank));
    }

    /** The device's name, as {@link #torch(int)} makes it. */
    public String name(int localRank) {
      return this == CUDA ? "cuda:" + localRank : "cpu";
    }
  }

  public enum Precision {
    FLOAT32,
    BFLOAT16
  }
}
