package org.steer4j.policy;

import static org.bytedeco.pytorch.global.torch.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.steer4j.runtime.Native;

/** The DPO loss and implicit rewards against numbers computed by hand. */
class DpoLossTest {
  @BeforeAll
  static void init() {
    Native.init(1);
  }

  @Test
  void lossRewardsMarginsAndAccuracyMatchAHandComputation() {
    // pair 0: policy prefers chosen by 3 nats more than the reference does
    // pair 1: policy moved towards the rejected one by 1 nat
    Tensor policyChosen = tensor(new float[] {-10f, -20f}), policyRejected = tensor(new float[] {-12f, -15f});
    Tensor refChosen = tensor(new float[] {-11f, -19f}), refRejected = tensor(new float[] {-10f, -15f});
    double beta = 0.1;
    DpoLoss.Output out = DpoLoss.of(policyChosen, policyRejected, refChosen, refRejected, beta);
    // logits: beta * ((pc - pr) - (rc - rr)) = 0.1 * ((2) - (-1)) = 0.3 and 0.1 * ((-5) - (-4)) = -0.1
    double l0 = Math.log1p(Math.exp(-0.3)), l1 = Math.log1p(Math.exp(0.1));  // -log sigmoid(x) = log(1 + e^-x)
    assertEquals((l0 + l1) / 2, out.loss().item_double(), 1e-6);  // float32 arithmetic
    // implicit rewards: beta (policy - reference)
    assertEquals(0.1, out.chosenRewards().select(0, 0).item_double(), 1e-6);
    assertEquals(-0.2, out.rejectedRewards().select(0, 0).item_double(), 1e-6);
    assertEquals(-0.1, out.chosenRewards().select(0, 1).item_double(), 1e-6);
    assertEquals(0.0, out.rejectedRewards().select(0, 1).item_double(), 1e-6);
    assertEquals(0.3, out.margins().select(0, 0).item_double(), 1e-6);
    assertEquals(0.5, out.accuracy(), 0.0);  // pair 0 right, pair 1 wrong
  }

  @Test
  void aPolicyEqualToItsReferenceHasLossLog2AndNoCorrectPair() {
    Tensor lp = tensor(new float[] {-3f, -4f, -5f});
    DpoLoss.Output out = DpoLoss.of(lp, lp.add(new org.bytedeco.pytorch.Scalar(1)), lp, lp.add(new org.bytedeco.pytorch.Scalar(1)), 0.05);
    assertEquals(Math.log(2), out.loss().item_double(), 1e-6);
    assertEquals(0.0, out.accuracy(), 0.0, "ties count as wrong, as TRL counts them");
  }

  @Test
  void gradientsFlowToThePolicyOnlyAndBetaMustBePositive() {
    Tensor pc = tensor(new float[] {-1f}).requires_grad_(true), pr = tensor(new float[] {-2f}).requires_grad_(true);
    DpoLoss.Output out = DpoLoss.of(pc, pr, tensor(new float[] {-1.5f}), tensor(new float[] {-1.5f}), 0.5);
    out.loss().backward();
    // d/dpc of -log sigmoid(beta (pc - pr)) = -beta * sigmoid(-beta (pc - pr)); here beta (pc - pr) = 0.5
    double expected = -0.5 / (1 + Math.exp(0.5));
    assertEquals(expected, pc.grad().item_double(), 1e-6);
    assertEquals(-expected, pr.grad().item_double(), 1e-6);
    assertThrows(IllegalArgumentException.class, () -> DpoLoss.of(pc, pr, pc, pr, 0));
  }
}
