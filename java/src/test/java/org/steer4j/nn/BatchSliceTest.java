package org.steer4j.nn;

import static org.bytedeco.pytorch.global.torch.cat;
import static org.bytedeco.pytorch.global.torch.manual_seed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.steer4j.runtime.Native;

/**
 * Slices of a batch draw what the whole batch draws: the union of the slices' dropout masks and
 * latent noise is one forward's over the whole batch, bit for bit, so micro-batches and
 * data-parallel ranks see the random numbers of one process.
 */
class BatchSliceTest {
  @BeforeAll
  static void init() {
    Native.init(1);
  }

  static Tensor joined(Tensor a, Tensor b, long dim) {
    return cat(new TensorVector(a, b), dim);
  }

  @Test
  void slicesOfSelfAttentionWithDropoutJoinToTheWholeBatch() {
    TensorOptions options = new TensorOptions();
    manual_seed(3);
    SelfAttention attention = new SelfAttention(8, 2, 0.5, options);
    attention.train(true);
    Tensor x = org.bytedeco.pytorch.global.torch.randn(new long[] {5, 4, 8}, options);
    manual_seed(11);
    Tensor whole = attention.forward(x);
    manual_seed(11);
    Tensor first = attention.forward(x.narrow(0, 0, 2), new BatchSlice(0, 2, 5));
    manual_seed(11);
    Tensor second = attention.forward(x.narrow(0, 2, 3), new BatchSlice(2, 3, 5));
    // Same masks; the products of 2 or 3 tasks round apart from those of 5 (GEMM blocking).
    assertTrue(joined(first, second, 0).sub(whole).abs().max().item_double() < 1e-6, "dropout of the slices vs the whole batch");
    manual_seed(12);
    Tensor other = attention.forward(x);
    assertTrue(other.sub(whole).abs().max().item_double() > 1e-2, "another seed, another mask (the test can fail)");
  }

  @Test
  void slicesOfADropoutMaskJoinToTorchDropoutOfTheWholeBatch() {
    TensorOptions options = new TensorOptions();
    Tensor x = org.bytedeco.pytorch.global.torch.ones(new long[] {5, 2, 3, 3}, options);
    manual_seed(21);
    Tensor whole = org.bytedeco.pytorch.global.torch.dropout(x, 0.3, true);  // torch.nn.functional.dropout
    manual_seed(21);
    Tensor first = new BatchSlice(0, 3, 5).dropout(x.narrow(0, 0, 3), 0.3);
    manual_seed(21);
    Tensor second = new BatchSlice(3, 2, 5).dropout(x.narrow(0, 3, 2), 0.3);
    assertEquals(0, joined(first, second, 0).sub(whole).abs().max().item_double(), "the slices' masks vs torch's for the whole batch");
    assertTrue(whole.eq(new org.bytedeco.pytorch.Scalar(0)).sum().item_long() > 0, "some dropped");
  }

  @Test
  void slicesOfNoiseJoinToTheWholeBatch() {
    TensorOptions options = new TensorOptions();
    manual_seed(5);
    Tensor whole = BatchSlice.whole(6).randn(new long[] {2, 6, 3}, 1, options);
    manual_seed(5);
    Tensor a = new BatchSlice(0, 4, 6).randn(new long[] {2, 4, 3}, 1, options);
    manual_seed(5);
    Tensor b = new BatchSlice(4, 2, 6).randn(new long[] {2, 2, 3}, 1, options);
    assertEquals(0, joined(a, b, 1).sub(whole).abs().max().item_double());
  }

  @Test
  void aSliceRefusesTensorsOfAnotherSizeAndTasksOutsideTheBatch() {
    assertThrows(IllegalArgumentException.class, () -> new BatchSlice(4, 3, 6));
    assertThrows(IllegalArgumentException.class, () -> new BatchSlice(0, 2, 6).randn(new long[] {3, 4}, 0, new TensorOptions()));
  }
}
