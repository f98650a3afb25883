package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.dropout;
import static org.bytedeco.pytorch.global.torch.linear;
import static org.bytedeco.pytorch.global.torch.zeros;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.steer4j.nn.Init;

/**
 * One linear projection of a decoder layer ({@code q_proj}, {@code up_proj}, ...): a frozen
 * weight [out, in], an optional frozen bias, and optionally a LoRA adapter whose parameters
 * ({@code lora_A}, {@code lora_B}) are the only trainable ones. The adapter is kept in float32
 * whatever the base dtype, so that a bf16 model trains its adapters at full precision.
 */
final class Projection extends Module {
  private final Tensor weight, bias;
  private Tensor loraA, loraB;
  private double scaling, dropout;

  Projection(Tensor weight, Tensor bias) {
    super("Projection");
    this.weight = weight.requires_grad_(false);
    register_parameter("weight", this.weight, false);
    this.bias = bias == null ? null : bias.requires_grad_(false);
    if (this.bias != null) register_parameter("bias", this.bias, false);
  }

  Tensor forward(Tensor x, boolean adapters, boolean training) {
    Tensor y = bias == null ? linear(x, weight) : linear(x, weight, new TensorOptional(bias));
    if (loraA == null || !adapters) return y;
    Tensor in = x.to(loraA.scalar_type());
    if (training && dropout > 0) in = dropout(in, dropout, true);
    Tensor update = linear(linear(in, loraA), loraB).mul(new Scalar(scaling));
    return y.add(update.to(y.scalar_type()));
  }

  void attachLora(LoraConfig config) {
    if (loraA != null) throw new IllegalStateException("a LoRA adapter is already attached");
    long out = weight.size(0), in = weight.size(1);
    TensorOptions options = new TensorOptions(org.bytedeco.pytorch.global.torch.ScalarType.Float).device(new org.bytedeco.pytorch.DeviceOptional(weight.device()));
    loraA = Init.linearUniform(in, options, config.rank(), in).requires_grad_(true);
    loraB = zeros(new long[] {out, config.rank()}, options).requires_grad_(true);
    register_parameter("lora_A", loraA, true);
    register_parameter("lora_B", loraB, true);
    scaling = config.scaling();
    dropout = config.dropout();
  }

  boolean hasLora() {
    return loraA != null;
  }

  Tensor weight() {
    return weight;
  }

  Tensor bias() {
    return bias;
  }

  Tensor loraA() {
    return loraA;
  }

  Tensor loraB() {
    return loraB;
  }
}
