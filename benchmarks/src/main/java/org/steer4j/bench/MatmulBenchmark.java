package org.steer4j.bench;

import static org.bytedeco.pytorch.global.torch.mm;
import static org.bytedeco.pytorch.global.torch.randn;

import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.steer4j.runtime.Native;

/**
 * The machine's matrix-product rate, the ceiling the other benchmarks are compared with:
 * LibTorch {@code mm} of n x n by n x n (2 n^3 flops per call) in float32 and bfloat16.
 * {@code n = 4096} is the roof; {@code n = 256} x 2560 rows is the reward decoder's GEMM.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MatmulBenchmark {
  @Param({"4096x4096x4096", "2560x256x256"})
  public String mnk;

  @Param({"float32", "bfloat16"})
  public String dtype;

  @Param({"2"})
  public int threads;

  Tensor a, b;

  @Setup(Level.Trial)
  public void setup() {
    Native.init(threads);
    torch.manual_seed(0);
    String[] s = mnk.split("x");
    long m = Long.parseLong(s[0]), n = Long.parseLong(s[1]), k = Long.parseLong(s[2]);
    ScalarType type = dtype.equals("bfloat16") ? ScalarType.BFloat16 : ScalarType.Float;
    a = randn(new long[] {m, k}, new TensorOptions(ScalarType.Float)).to(type);
    b = randn(new long[] {k, n}, new TensorOptions(ScalarType.Float)).to(type);
  }

  /** 2 m n k flops. */
  public static double flops(String mnk) {
    String[] s = mnk.split("x");
    return 2.0 * Double.parseDouble(s[0]) * Double.parseDouble(s[1]) * Double.parseDouble(s[2]);
  }

  @Benchmark
  public long matmul() {
    try (PointerScope scope = new PointerScope()) {
      return mm(a, b).numel();
    }
  }
}
