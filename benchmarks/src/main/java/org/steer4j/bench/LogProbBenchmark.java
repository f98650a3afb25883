package org.steer4j.bench;

import static org.bytedeco.pytorch.global.torch.randint;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.steer4j.kernels.EagerLogProb;
import org.steer4j.kernels.LogProbOp;
import org.steer4j.kernels.LogProbOp.GradientBuffer;
import org.steer4j.kernels.Tape;
import org.steer4j.runtime.Native;

/**
 * The fused sequence log-prob ({@link LogProbOp}) against the eager LibTorch composition
 * (log_softmax, gather, masked sum), forward alone (the reference policy's pass) and forward +
 * backward to the logits (the policy's), float32 logits.
 *
 * <p>Shapes, chosen to fit a 24 GiB, 2-core machine: V = 32000 (Llama-2 / Mistral vocabulary)
 * with N = 2 sequences of L = 512 positions (logits 125 MiB), and V = 152064 (Qwen2.5) with N =
 * 2, L = 256 (logits 297 MiB). The first quarter of each sequence is prompt (not scored), as in
 * a DPO batch. {@code impl}: {@code fused} writes the gradient into a new buffer, {@code
 * fused_in_place} over the logits ({@link GradientBuffer#OVERWRITE_LOGITS}; the logits are
 * restored before each call, outside the timing), {@code eager} is LibTorch autograd.
 *
 * <p>Peak memory: before the measurements of each configuration, one call runs under {@link
 * PeakMemory} (the process's resident high-water mark, reset through /proc/self/clear_refs) and
 * the peak above the resident baseline, which already holds the logits, is printed. {@link
 * #main} prints that table alone for all configurations without JMH. See benchmarks/README.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class LogProbBenchmark {
  @Param({"32000", "152064"})
  public long vocab;

  @Param({"fused", "fused_in_place", "eager"})
  public String impl;

  @Param({"2"})
  public int threads;

  Tensor pristine, logits, labels, mask, dlogp;

  /** N = 2 sequences; L = 512 positions at V = 32k, 256 at V = 152k (about 0.1 and 0.3 GiB of logits). */
  static long[] shape(long vocab) {
    return new long[] {2, vocab > 100_000 ? 256 : 512, vocab};
  }

  @Setup(Level.Trial)
  public void setup(BenchmarkParams params) {
    makeInputs();
    String pass = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
    long[] s = shape(vocab);
    System.out.printf("%n[peak memory] %s %s V=%d N=%d L=%d: %s above baseline (logits: %s)%n",
        pass, impl, vocab, s[0], s[1], PeakMemory.mebibytes(peak(pass)), PeakMemory.mebibytes(logits.nbytes()));
  }

  private void makeInputs() {
    Native.init(threads);
    torch.manual_seed(0);
    long[] s = shape(vocab);
    TensorOptions floats = new TensorOptions(ScalarType.Float);
    pristine = randn(s, floats).mul(new Scalar(2.0));
    logits = pristine.clone();
    labels = randint(vocab, new long[] {s[0], s[1]}, new TensorOptions(ScalarType.Long));
    mask = torch.ones(new long[] {s[0], s[1]}, floats);
    mask.narrow(1, 0, s[1] / 4).fill_(new Scalar(0.0));  // the prompt
    dlogp = torch.ones(new long[] {s[0]}, floats);
  }

  /** Peak memory of one call of {@code pass}, after a warm-up call (LibTorch's and the JIT's first-use allocations). */
  private long peak(String pass) {
    Runnable once = pass.equals("forward") ? this::forward : this::forwardBackward;
    once.run();
    restore();
    long peak = PeakMemory.measure(once);
    restore();
    return peak;
  }

  @Setup(Level.Invocation)
  public void restore() {
    if (impl.equals("fused_in_place")) logits.copy_(pristine);
  }

  @Benchmark
  public double forward() {
    try (PointerScope scope = new PointerScope();
        NoGradGuard guard = new NoGradGuard()) {
      Tensor logp = impl.equals("eager")
          ? EagerLogProb.forward(logits, labels, mask)
          : LogProbOp.forward(logits, labels, mask).logp();
      return logp.sum().item_double();
    }
  }

  @Benchmark
  public double forwardBackward() {
    try (PointerScope scope = new PointerScope()) {
      Tensor leaf = logits.detach().requires_grad_(true);  // fresh leaf: no gradient accumulation
      // The op sees a view of the leaf, not the leaf: as in a model, where logits come out of
      // the LM head, the gradient is then handed on without a copy. Given straight to a leaf,
      // an explicit gradient that its caller still references (the Tape's) is cloned into
      // .grad by PyTorch's AccumulateGrad, one more [N, L, V] that no model would pay.
      Tensor x = leaf.view(shape(vocab));
      Tensor logp;
      Tape tape = new Tape();
      switch (impl) {
        case "eager" -> logp = EagerLogProb.forward(x, labels, mask);
        case "fused" -> logp = LogProbOp.forward(x, labels, mask, tape, GradientBuffer.NEW);
        default -> logp = LogProbOp.forward(x, labels, mask, tape, GradientBuffer.OVERWRITE_LOGITS);
      }
      tape.backward(logp.mul(dlogp).sum());
      return leaf.grad().select(0, 0).select(0, 0).select(0, 0).item_double();
    }
  }

  /** Prints the peak-memory table for every configuration, without JMH. Argument: threads (2). */
  public static void main(String[] args) {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    System.out.println("| V | N x L | impl | pass | peak above baseline | logits |");
    System.out.println("|---|---|---|---|---|---|");
    for (long vocab : new long[] {32000, 152064}) {
      for (String impl : new String[] {"fused", "fused_in_place", "eager"}) {
        for (String pass : new String[] {"forward", "forwardBackward"}) {
          if (pass.equals("forward") && impl.equals("fused_in_place")) continue;  // same as fused
          try (PointerScope scope = new PointerScope()) {
            LogProbBenchmark b = new LogProbBenchmark();
            b.vocab = vocab;
            b.impl = impl;
            b.threads = threads;
            b.makeInputs();
            long[] s = shape(vocab);
            System.out.printf("| %d | %d x %d | %s | %s | %s | %s |%n", vocab, s[0], s[1], impl, pass,
                PeakMemory.mebibytes(b.peak(pass)), PeakMemory.mebibytes(b.logits.nbytes()));
          }
        }
      }
    }
  }
}
