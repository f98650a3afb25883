package org.steer4j.nn;

import static org.bytedeco.pytorch.global.torch.linear;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code y = x W^T + b} with PyTorch's default initialisation. With {@code bf16Compute} the
 * product runs in bfloat16 (AVX512-BF16 / AMX on CPU, tensor cores on CUDA) on float32 master
 * weights, as autocast would: worth it for the wide input layers over LLM embeddings.
 */
public final class Linear extends Module {
  private final Tensor weight, bias;
  private boolean bf16Compute;

  public Linear(long in, long out, boolean withBias, TensorOptions options) {
    super("Linear");
    weight = Params.parameter(this, "weight", Init.linearUniform(in, options, out, in));
    bias = withBias ? Params.parameter(this, "bias", Init.linearUniform(in, options, out)) : null;
  }

  /** Computes the product in bfloat16 (inputs and weight cast per call; output float32). */
  public Linear bf16Compute(boolean enabled) {
    this.bf16Compute = enabled;
    return this;
  }

  public Tensor forward(Tensor x) {
    boolean bf16Input = x.scalar_type().value == ScalarType.BFloat16.value;
    if (bf16Compute) {
      Tensor y = linear(bf16Input ? x : x.to(ScalarType.BFloat16), weight.to(ScalarType.BFloat16),
          bias == null ? new TensorOptional() : new TensorOptional(bias.to(ScalarType.BFloat16)));
      return y.to(ScalarType.Float);
    }
    if (bf16Input) x = x.to(ScalarType.Float);  // bf16-stored features into a float32 layer
    return bias == null ? linear(x, weight) : linear(x, weight, new TensorOptional(bias));
  }

  public Tensor weight() {
    return weight;
  }

  public Tensor bias() {
    return bias;
  }
}
