package org.steer4j.bench;

import static org.bytedeco.pytorch.global.torch.tensor;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.Family;
import org.steer4j.llm.ForwardOptions;
import org.steer4j.llm.ModelConfig;
import org.steer4j.llm.ModelDtype;
import org.steer4j.llm.WeightLayout;
import org.steer4j.runtime.Native;

/**
 * Embedding throughput, in tokens per second (the score, via {@code @OperationsPerInvocation}):
 * one call is the embedding forward of {@code embed}, a right-padded batch of BATCH texts of
 * lengths 128, 112, 96, 80 tokens (EOS included) through a random Llama-family model, returning
 * the final hidden state at each text's last token. Padding is not counted as tokens.
 *
 * <ul>
 *   <li>{@code model=tiny}: 2 layers, hidden 64 (the test models' size: overheads dominate);
 *   <li>{@code model=100m}: 12 layers, hidden 768, 12/4 heads of 64, MLP 2048, vocab 16000,
 *       untied: 100.1M parameters (GPT-2-small class).
 * </ul>
 *
 * Run: see benchmarks/README.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
public class EmbeddingBenchmark {
  static final long[] LENGTHS = {128, 112, 96, 80};
  static final int TOKENS = 416;  // sum of LENGTHS

  @Param({"tiny", "100m"})
  public String model;

  @Param({"float32", "bfloat16"})
  public String dtype;

  /** LibTorch + OpenBLAS threads (0 = all cores). */
  @Param({"0"})
  public int threads;

  private DecoderLm lm;
  private Tensor ids, mask;

  @Setup(Level.Trial)
  public void setup() {
    Native.init(threads);
    ModelConfig config = switch (model) {
      case "tiny" -> ModelConfig.of(Family.LLAMA, 352, 64, 128, 2, 4, 2, 16);
      case "100m" -> ModelConfig.of(Family.LLAMA, 16000, 768, 2048, 12, 12, 4, 64).with("tie_word_embeddings", false);
      default -> throw new IllegalArgumentException("model must be tiny or 100m, got " + model);
    };
    lm = DecoderLm.random(config, 0, ModelDtype.valueOf(dtype.toUpperCase(Locale.ROOT)), new Device("cpu"));
    int n = LENGTHS.length, width = (int) LENGTHS[0];
    long[] flatIds = new long[n * width], flatMask = new long[n * width];
    SplittableRandom random = new SplittableRandom(0);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < LENGTHS[i]; ++j) {
        flatIds[i * width + j] = 3 + random.nextInt(config.vocabSize() - 3);
        flatMask[i * width + j] = 1;
      }
    }
    ids = tensor(flatIds).view(n, width);
    mask = tensor(flatMask).view(n, width);
    System.out.printf("%n%s: %s, %.1fM parameters, %s, %d threads%n", model, config, WeightLayout.parameterCount(config) / 1e6, dtype, Native.threads());
  }

  @Benchmark
  @OperationsPerInvocation(TOKENS)
  public float embed() {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      Tensor h = lm.lastTokenHidden(ids, mask, ForwardOptions.BASE);
      return h.select(0, 0).select(0, 0).item_float();
    }
  }
}
