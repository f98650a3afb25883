package org.steer4j.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.steer4j.config.Configs;
import org.steer4j.runtime.Native;

/** Each choice head and the loss agree with a hand computation. */
class ChoiceHeadTest {
  @BeforeAll
  static void init() {
    Native.init(1);
  }

  /** A float64 tensor: the hand computations below are in double. */
  static Tensor t(double... v) {
    try (var p = new org.bytedeco.javacpp.DoublePointer(v)) {
      return org.bytedeco.pytorch.global.torch.from_blob(p, new long[] {v.length},
          new org.bytedeco.pytorch.TensorOptions(org.bytedeco.pytorch.global.torch.ScalarType.Double)).clone();
    }
  }

  static RewardModelConfig model(String... overrides) {
    return Configs.defaults(RewardModelConfig.class, List.of(overrides));
  }

  @Test
  void btlIsTheSigmoidOfTheRewardDifference() {
    Tensor logp = ChoiceHead.of(model("type=btl")).logProbs(t(1.5, 0.25).view(2, 1));
    assertEquals(Math.log(1 / (1 + Math.exp(-1.25))), logp.select(0, 0).item_double(), 1e-12);
    assertEquals(Math.log(1 / (1 + Math.exp(1.25))), logp.select(0, 1).item_double(), 1e-12);
  }

  @Test
  void meanVarianceDplScalesTheMeanGapByTheCombinedStd() {
    double k = Math.sqrt(2 * Math.PI);
    // a: mu 1, raw std 0.3; b: mu 0.2, raw std -0.4; s = softplus(raw)
    Tensor logp = ChoiceHead.of(model("type=dpl")).logProbs(t(1.0, 0.3, 0.2, -0.4).view(2, 2));
    double sa = Math.log1p(Math.exp(0.3)), sb = Math.log1p(Math.exp(-0.4));
    double z = k * (1.0 - 0.2) / Math.sqrt(sa * sa + sb * sb);
    assertEquals(-Math.log1p(Math.exp(-z)), logp.select(0, 0).item_double(), 1e-12);
    assertEquals(-Math.log1p(Math.exp(z)), logp.select(0, 1).item_double(), 1e-12);
  }

  @Test
  void categoricalDplCountsWinsAndHalfTheTies() {
    ChoiceHead head = ChoiceHead.of(model("type=dpl", "dpl_variant=categorical", "dpl_buckets=3"));
    double[] ra = {0.1, -0.5, 0.7}, rb = {0.3, 0.2, -1.0};
    Tensor logp = head.logProbs(t(ra[0], ra[1], ra[2], rb[0], rb[1], rb[2]).view(2, 3));
    double[] pa = softmax(ra), pb = softmax(rb);
    double win = 0;
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) win += pa[i] * pb[j] * (i > j ? 1 : i == j ? 0.5 : 0);
    }
    assertEquals(Math.log(win), logp.select(0, 0).item_double(), 1e-12);
    assertEquals(Math.log(1 - win), logp.select(0, 1).item_double(), 1e-12);
  }

  static double[] softmax(double[] x) {
    double s = 0;
    double[] e = new double[x.length];
    for (int i = 0; i < x.length; ++i) s += e[i] = Math.exp(x[i]);
    for (int i = 0; i < x.length; ++i) e[i] /= s;
    return e;
  }

  @Test
  void lossIsTheMeanNegativeLogLikelihoodOfTheChoicesPlusBetaKl() {
    // S=1, B=1, T=2: log P for (a, b) of each target; choices 1 then 0.
    Tensor logp = t(Math.log(0.7), Math.log(0.3), Math.log(0.2), Math.log(0.8)).view(1, 1, 2, 2);
    Tensor choices = org.bytedeco.pytorch.global.torch.tensor(new long[] {1, 0}).view(1, 2);
    var parts = RewardLoss.of(new RewardNet.Output(logp, t(0.5).squeeze()), choices, 0.1);
    double nll = -(Math.log(0.3) + Math.log(0.2)) / 2;
    assertEquals(nll, parts.nll().item_double(), 1e-12);
    assertEquals(nll + 0.05, parts.loss().item_double(), 1e-12);
  }

  @Test
  void klOfDiagonalNormalsMatchesTheClosedForm() {
    Tensor kl = RewardNet.klNormal(t(0.5, -1.0).view(1, 2), t(1.2, 0.5).view(1, 2), t(0.0, 0.3).view(1, 2), t(0.8, 2.0).view(1, 2));
    double expected = 0;
    double[][] v = {{0.5, 1.2, 0.0, 0.8}, {-1.0, 0.5, 0.3, 2.0}};
    for (double[] d : v) {
      expected += Math.log(d[3] / d[1]) + (d[1] * d[1] + (d[0] - d[2]) * (d[0] - d[2])) / (2 * d[3] * d[3]) - 0.5;
    }
    assertEquals(expected, kl.item_double(), 1e-12);
  }
}
