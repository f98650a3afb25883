package org.steer4j.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * The tensors of a (conditioned) reward decoder {@code r = W2 . relu(BN(W1 . [t ; z])) + b2},
 * with W1 split into its t half {@code w1t [H, Dt]} and z half {@code w1z [H, Dz]} (null for
 * the unconditioned decoder of BTL / DPL), BN affine {@code gamma, beta [H]} and running
 * statistics, and the output layer {@code w2 [O, H]}, {@code b2 [O]}. With a folded target
 * projection ({@code projW [Dt, Du]}, {@code projB [Dt]}: the target encoder's last Linear),
 * the decoder's input is that layer's input u [.., Du] and t = u projW^T + projB is implicit.
 */
public record DecoderWeights(
    Tensor w1t,
    Tensor w1z,
    Tensor gamma,
    Tensor beta,
    Tensor w2,
    Tensor b2,
    Tensor runningMean,
    Tensor runningVar,
    double momentum,
    double eps,
    Tensor projW,
    Tensor projB) {

  /** Weights without a folded projection. */
  public DecoderWeights(Tensor w1t, Tensor w1z, Tensor gamma, Tensor beta, Tensor w2, Tensor b2,
      Tensor runningMean, Tensor runningVar, double momentum, double eps) {
    this(w1t, w1z, gamma, beta, w2, b2, runningMean, runningVar, momentum, eps, null, null);
  }

  /** The same weights with the target encoder's last Linear folded in. */
  public DecoderWeights withProjection(Tensor weight, Tensor bias) {
    return new DecoderWeights(w1t, w1z, gamma, beta, w2, b2, runningMean, runningVar, momentum, eps, weight, bias);
  }

  /** The width of the decoder's input: Du with a projection, else Dt. */
  public long inputWidth() {
    return projW == null ? targetWidth() : projW.size(1);
  }

  public long hidden() {
    return w1t.size(0);
  }

  public long targetWidth() {
    return w1t.size(1);
  }

  public long latentWidth() {
    return w1z == null ? 0 : w1z.size(1);
  }

  public long outputs() {
    return w2.size(0);
  }
}
