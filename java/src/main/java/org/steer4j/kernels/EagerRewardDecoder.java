package org.steer4j.kernels;

import static org.bytedeco.pytorch.global.torch.batch_norm;
import static org.bytedeco.pytorch.global.torch.cat;
import static org.bytedeco.pytorch.global.torch.linear;
import static org.bytedeco.pytorch.global.torch.relu;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;

/**
 * The reward decoder as the reference writes it, composed of LibTorch ops under autograd:
 * concatenate [t ; z] for every row (z repeated per target), Linear(Dt + Dz, H, no bias) ->
 * BatchNorm1d -> ReLU -> Linear(H, O). The reference for {@link RewardDecoderOp} in tests and
 * the baseline of its benchmark.
 */
public final class EagerRewardDecoder {
  private EagerRewardDecoder() {}

  /**
   * {@code t [B, N, Dt]} (with a folded projection: its input {@code u [B, N, Du]}, t =
   * Linear(u)), {@code z [B, Dz]} or null; returns {@code r [B, N, O]}.
   */
  public static Tensor forward(Tensor t, Tensor z, DecoderWeights w, boolean training) {
    if (w.projW() != null) t = linear(t, w.projW(), new TensorOptional(w.projB()));
    long b = t.size(0), n = t.size(1);
    Tensor rows = t.reshape(b * n, t.size(2));
    Tensor w1 = w.w1t();
    if (z != null && w.w1z() != null) {
      Tensor zRows = z.unsqueeze(1).expand(b, n, z.size(1)).reshape(b * n, z.size(1));
      rows = cat(new TensorVector(rows, zRows), 1);
      w1 = cat(new TensorVector(w.w1t(), w.w1z()), 1);
    }
    Tensor a = linear(rows, w1);
    Tensor normalised =
        batch_norm(
            a,
            new TensorOptional(w.gamma()),
            new TensorOptional(w.beta()),
            w.runningMean() == null ? new TensorOptional() : new TensorOptional(w.runningMean()),
            w.runningVar() == null ? new TensorOptional() : new TensorOptional(w.runningVar()),
            training,
            w.momentum(),
            w.eps(),
            false);
    Tensor r = linear(relu(normalised), w.w2(), new TensorOptional(w.b2()));
    return r.reshape(b, n, w.outputs());
  }
}
