package org.steer4j.nn;

import static org.bytedeco.pytorch.global.torch.linear;
import static org.bytedeco.pytorch.global.torch.matmul;
import static org.bytedeco.pytorch.global.torch.softmax;
import static org.bytedeco.pytorch.global.torch.zeros;

import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;

/**
 * Multi-head self-attention as torch.nn.MultiheadAttention computes it with Q = K = V = x
 * (batch first, no mask): packed input projection [3H, H] (Xavier-uniform, zero bias), softmax
 * of scaled dot products, dropout on the attention weights in training, output projection.
 */
public final class SelfAttention extends Module {
  private final Tensor inWeight, inBias;
  private final Linear out;
  private final int heads;
  private final double dropout;

  public SelfAttention(long width, int heads, double dropout, TensorOptions options) {
    super("SelfAttention");
    if (width % heads != 0) throw new IllegalArgumentException("width " + width + " is not a multiple of " + heads + " heads");
    double bound = Math.sqrt(6.0 / (width + 3 * width));  // xavier_uniform on [3H, H]
    inWeight = Params.parameter(this, "in_proj_weight",
        org.steer4j.runtime.Tensors.empty(options, 3 * width, width).uniform_(-bound, bound, new GeneratorOptional()));
    inBias = Params.parameter(this, "in_proj_bias", zeros(new long[] {3 * width}, options));
    out = new Linear(width, width, true, options);
    register_module("out_proj", out);
    try (var guard = new org.bytedeco.pytorch.NoGradGuard()) {
      out.bias().zero_();
    }
    this.heads = heads;
    this.dropout = dropout;
  }

  /** x [B, C, H] -> [B, C, H]. */
  public Tensor forward(Tensor x) {
    return forward(x, BatchSlice.whole(x.size(0)));
  }

  /** The same for the B tasks {@code slice} of a batch: its dropout masks are that slice of the batch's. */
  public Tensor forward(Tensor x, BatchSlice slice) {
    long b = x.size(0), c = x.size(1), h = x.size(2), d = h / heads;
    Tensor qkv = linear(x, inWeight, new TensorOptional(inBias)).view(b, c, 3, heads, d).permute(2, 0, 3, 1, 4);
    Tensor q = qkv.select(0, 0), k = qkv.select(0, 1), v = qkv.select(0, 2);  // [B, heads, C, d]
    Tensor scores = matmul(q, k.transpose(-2, -1)).mul(new org.bytedeco.pytorch.Scalar(1.0 / Math.sqrt(d)));
    Tensor weights = softmax(scores, -1);
    if (is_training() && dropout > 0) weights = slice.dropout(weights, dropout);
    Tensor context = matmul(weights, v).permute(0, 2, 1, 3).reshape(b, c, h);
    return out.forward(context);
  }
}
