package org.steer4j.bench;

import static org.bytedeco.pytorch.global.torch.randn;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
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
import org.steer4j.config.Configs;
import org.steer4j.reward.RewardConfig;
import org.steer4j.data.LabelUsers;
import org.steer4j.data.PairsDataset;
import org.steer4j.runtime.Rng;
import org.steer4j.data.Split;
import org.steer4j.data.SyntheticWorld;
import org.steer4j.reward.RewardData;
import org.steer4j.runtime.Native;
import org.steer4j.reward.RewardStep;

/**
 * One NP-BTL training step (sample tasks, forward, backward, Adam) at the two shapes of the
 * paper, C = 10 context pairs:
 *
 * <ul>
 *   <li>{@code synthetic}: D = 1, mlp target and context encoders, B = 64, T = 20, H = 256;
 *   <li>{@code uf}: D = 4096 (Llama-3-8B embeddings), mlp target encoder, linear context
 *       encoder, B = 64, T = 20, H = 256 (about 19.2 GFLOP per step, {@link StepFlops}).
 * </ul>
 *
 * The floor is {@link StepFlops} over the matmul rate of {@link MatmulBenchmark} measured in the
 * same run ({@link Report} prints it). {@code dtype = bfloat16} stores the features in bf16 and
 * runs the two wide input layers in bf16; {@code decoder = eager} runs the reference decoder.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 8, time = 2)
@Fork(1)
public class RewardStepBenchmark {
  @Param({"synthetic", "uf"})
  public String shape;

  @Param({"float32", "bfloat16"})
  public String dtype;

  @Param({"fused"})
  public String decoder;

  @Param({"2"})
  public int threads;

  RewardStep step;
  long counter;

  /** The benchmark's model config for a shape (also used to count its flops). */
  public static RewardConfig config(String shape, String dtype, String decoder) {
    boolean uf = shape.equals("uf");
    return Configs.defaults(RewardConfig.class, List.of(
        "model.type=np_btl", "model.context_encoder=" + (uf ? "linear" : "mlp"), "model.fused_decoder=" + decoder.equals("fused"),
        "sampler.min_context=10", "sampler.max_context=10", "runtime.dtype=" + dtype, "train.steps=1"));
  }

  public static long width(String shape) {
    return shape.equals("uf") ? 4096 : 1;
  }

  @Setup(Level.Trial)
  public void setup() {
    Native.init(threads);
    torch.manual_seed(0);
    RewardConfig c = config(shape, dtype, decoder);
    PairsDataset data;
    if (shape.equals("uf")) {
      int n = 4000;  // random 4096-d "embeddings"; only the shapes matter for speed
      TensorOptions f = new TensorOptions(ScalarType.Float);
      Split[] splits = new Split[n];
      java.util.Arrays.fill(splits, Split.TRAIN);
      byte[][] choices = new byte[2][n];
      Rng rng = new Rng(1);
      for (byte[] col : choices) for (int i = 0; i < n; ++i) col[i] = (byte) rng.nextInt(2);
      data = PairsDataset.of(randn(new long[] {n, 4096}, f), randn(new long[] {n, 4096}, f), List.of("a", "b"), splits, choices);
    } else {
      data = SyntheticWorld.generate(20000, 0);
    }
    step = RewardStep.create(c, new RewardData(data, new LabelUsers(data, List.of()), shape, java.util.Map.of()));
  }

  @Benchmark
  public double trainingStep() {
    try (PointerScope scope = new PointerScope()) {
      return step.run(Rng.derive(0, "bench", counter++)).get("loss");
    }
  }

  /** Quick manual run: prints the median step time of a few hundred steps. */
  public static void main(String[] args) {
    RewardStepBenchmark b = new RewardStepBenchmark();
    b.shape = args.length > 0 ? args[0] : "uf";
    b.dtype = args.length > 1 ? args[1] : "float32";
    b.decoder = args.length > 2 ? args[2] : "fused";
    b.threads = 2;
    b.setup();
    int n = args.length > 3 ? Integer.parseInt(args[3]) : 30;
    double[] ms = new double[n];
    for (int i = -5; i < n; ++i) {
      long t0 = System.nanoTime();
      b.trainingStep();
      if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    java.util.Arrays.sort(ms);
    double flops = StepFlops.rewardStep(config(b.shape, b.dtype, b.decoder).model(), 64, 20, 10, width(b.shape));
    System.out.printf("%s %s %s: median %.2f ms (min %.2f), %.2f GFLOP/step -> %.1f GFLOP/s%n", b.shape, b.dtype, b.decoder,
        ms[n / 2], ms[0], flops / 1e9, flops / (ms[n / 2] * 1e-3) / 1e9);
  }

}
