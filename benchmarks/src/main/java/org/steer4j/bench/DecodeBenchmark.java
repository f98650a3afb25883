package org.steer4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
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
import org.steer4j.policy.SampledGenerator;
import org.steer4j.policy.Sampling;
import org.steer4j.runtime.Native;

/**
 * Decoding throughput in generated tokens per second (the score, via {@code
 * @OperationsPerInvocation}): one call greedily decodes NEW tokens for each of BATCH prompts of
 * PROMPT random tokens through a random Llama-family model, float32 on the CPU.
 *
 * <ul>
 *   <li>{@code decoding=cached}: the policy generator's default, a KV cache with the native
 *       decode-step attention ({@code DecodeAttentionOp});
 *   <li>{@code cached_eager}: the KV cache with LibTorch's masked attention over it;
 *   <li>{@code uncached}: every step re-encodes each whole prefix (the naive loop).
 * </ul>
 *
 * Models as {@link EmbeddingBenchmark}: {@code tiny} (2 layers, hidden 64) and {@code 100m}
 * (12 layers, hidden 768, 100.1M parameters). Run: see benchmarks/README.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
public class DecodeBenchmark {
  static final int BATCH = 2, PROMPT = 64, NEW = 32;
  static final int TOKENS = BATCH * NEW;

  @Param({"tiny", "100m"})
  public String model;

  @Param({"cached", "cached_eager", "uncached"})
  public String decoding;

  /** LibTorch + OpenBLAS threads (0 = all cores). */
  @Param({"0"})
  public int threads;

  private DecoderLm lm;
  private SampledGenerator generator;
  private List<long[]> prompts;
  private final Sampling greedy = Sampling.greedy(NEW);  // no stop token: exactly NEW tokens each

  @Setup(Level.Trial)
  public void setup() {
    Native.init(threads);
    ModelConfig config = switch (model) {
      case "tiny" -> ModelConfig.of(Family.LLAMA, 352, 64, 128, 2, 4, 2, 16);
      case "100m" -> ModelConfig.of(Family.LLAMA, 16000, 768, 2048, 12, 12, 4, 64).with("tie_word_embeddings", false);
      default -> throw new IllegalArgumentException("model must be tiny or 100m, got " + model);
    };
    lm = DecoderLm.random(config, 0, ModelDtype.FLOAT32, new Device("cpu"));
    generator = switch (decoding) {
      case "cached" -> new SampledGenerator(lm, true, true);
      case "cached_eager" -> new SampledGenerator(lm, true, false);
      case "uncached" -> new SampledGenerator(lm, false, true);
      default -> throw new IllegalArgumentException("decoding must be cached, cached_eager or uncached, got " + decoding);
    };
    SplittableRandom random = new SplittableRandom(0);
    prompts = new ArrayList<>();
    for (int i = 0; i < BATCH; ++i) {
      long[] p = new long[PROMPT];
      for (int j = 0; j < PROMPT; ++j) p[j] = 3 + random.nextInt(config.vocabSize() - 3);
      prompts.add(p);
    }
    System.out.printf("%n%s: %s, %.1fM parameters, %s, %d threads, %d prompts of %d tokens, %d new tokens each%n", model, config,
        WeightLayout.parameterCount(config) / 1e6, decoding, Native.threads(), BATCH, PROMPT, NEW);
  }

  @Benchmark
  @OperationsPerInvocation(TOKENS)
  public long decode() {
    try (PointerScope scope = new PointerScope()) {
      return generator.generate(prompts, ForwardOptions.BASE, greedy).get(0).tokens()[NEW - 1];
    }
  }
}
