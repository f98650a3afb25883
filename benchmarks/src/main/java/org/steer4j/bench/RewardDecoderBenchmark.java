package org.steer4j.bench;

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
import org.steer4j.kernels.Tape;
import org.steer4j.nn.RewardDecoder;
import org.steer4j.runtime.Native;

/**
 * The fused conditioned reward decoder against the eager LibTorch composition (concat [t ; z]
 * per row, Linear, BatchNorm1d, ReLU, Linear), forward and forward+backward, in training mode.
 *
 * <p>Shapes: {@code np_btl} is B = 64 tasks x T = 20 targets x 2 options, Dt = Dz = H = 256, the
 * decoder of NP-BTL in both the UltraFeedback and the synthetic configuration (the target and
 * latent widths are H in both, so the decoder's shape is the same); {@code btl} is the same
 * rows without z (the BTL / DPL decoder).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
public class RewardDecoderBenchmark {
  @Param({"np_btl", "btl"})
  public String shape;

  @Param({"fused", "eager"})
  public String impl;

  @Param({"2"})
  public int threads;

  RewardDecoder decoder;
  Tensor t, z;

  @Setup(Level.Trial)
  public void setup() {
    Native.init(threads);
    torch.manual_seed(0);
    long b = 64, n = 40, h = 256, dz = shape.equals("np_btl") ? 256 : 0;
    TensorOptions o = new TensorOptions(ScalarType.Float);
    decoder = new RewardDecoder(h, dz, h, 1, impl.equals("fused"), o);
    t = randn(new long[] {b, n, h}, o).requires_grad_(true);
    z = dz > 0 ? randn(new long[] {b, dz}, o).requires_grad_(true) : null;
  }

  @Benchmark
  public double forward() {
    try (PointerScope scope = new PointerScope();
        org.bytedeco.pytorch.NoGradGuard guard = new org.bytedeco.pytorch.NoGradGuard()) {
      return decoder.forward(t, z, null).sum().item_double();
    }
  }

  @Benchmark
  public double forwardBackward() {
    try (PointerScope scope = new PointerScope()) {
      Tape tape = new Tape();
      Tensor loss = decoder.forward(t, z, tape).sum();
      tape.backward(loss);
      return loss.item_double();
    }
  }
}
