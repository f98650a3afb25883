package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.bytedeco.pytorch.global.torch.zeros;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Random weights as transformers initialises a fresh model ({@code initializer_range} 0.02):
 * matrices ~ N(0, std), biases 0, norm weights 1 (0 for Gemma's (1 + w) norms). Reproducible:
 * each tensor is drawn from a generator seeded by {@code seed} and its position in the layout.
 */
public final class RandomWeights implements WeightSource {
  private final ModelConfig config;
  private final long seed;
  private final double std;

  public RandomWeights(ModelConfig config, long seed) {
    this(config, seed, 0.02);
  }

  public RandomWeights(ModelConfig config, long seed, double std) {
    this.config = config;
    this.seed = seed;
    this.std = std;
  }

  @Override
  public Tensor get(String name, long[] shape) {
    TensorOptions f32 = new TensorOptions(ScalarType.Float);
    if (name.endsWith("norm.weight")) return config.family().unitOffsetNorm() ? zeros(shape, f32) : ones(shape, f32);
    if (name.endsWith(".bias")) return zeros(shape, f32);
    org.bytedeco.pytorch.global.torch.manual_seed(seed * 1_000_003L + name.hashCode());
    return randn(shape, f32).mul(new Scalar(std));
  }
}
