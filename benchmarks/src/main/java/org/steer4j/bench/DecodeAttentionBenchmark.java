package org.steer4j.bench;

import static org.bytedeco.pytorch.global.torch.randn;

import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
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
import org.steer4j.kernels.DecodeAttentionOp;
import org.steer4j.kernels.EagerDecodeAttention;
import org.steer4j.runtime.Native;

/**
 * One decode step of attention over a KV cache, {@link DecodeAttentionOp} against the eager
 * LibTorch composition ({@link EagerDecodeAttention}: grouped matmul, masked softmax, matmul),
 * float32, at the attention shape of Qwen2.5-1.5B: Hq = 12 query heads, Hkv = 2 kv heads (GQA
 * ratio 6), Dh = 128, a cache of {@code cache} positions all valid, N = 1, 2 or 4 sequences.
 * The cache is 4 MiB per sequence and layer for keys and values together at 4096 positions, so
 * the step reads memory; one layer is timed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecodeAttentionBenchmark {
  static final long HQ = 12, HKV = 2, DH = 128;

  @Param({"1", "2", "4"})
  public long batch;

  @Param({"4096"})
  public long cache;

  @Param({"fused", "eager"})
  public String impl;

  @Param({"2"})
  public int threads;

  Tensor q, k, v, lengths;
  double scale;

  @Setup(Level.Trial)
  public void setup() {
    Native.init(threads);
    torch.manual_seed(0);
    TensorOptions floats = new TensorOptions(ScalarType.Float);
    q = randn(new long[] {batch, HQ, DH}, floats);
    k = randn(new long[] {batch, HKV, cache, DH}, floats);
    v = randn(new long[] {batch, HKV, cache, DH}, floats);
    lengths = torch.full(new long[] {batch}, new Scalar(cache), new TensorOptions(ScalarType.Long));
    scale = 1 / Math.sqrt(DH);
  }

  @Benchmark
  public double step() {
    try (PointerScope scope = new PointerScope();
        NoGradGuard guard = new NoGradGuard()) {
      Tensor out = impl.equals("fused")
          ? DecodeAttentionOp.forward(q, k, v, lengths, scale)
          : EagerDecodeAttention.forward(q, k, v, lengths, scale);
      return out.select(0, 0).select(0, 0).select(0, 0).item_double();
    }
  }
}
