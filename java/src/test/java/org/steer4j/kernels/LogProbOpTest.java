package org.steer4j.kernels;

import static org.bytedeco.pytorch.global.torch.randint;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.steer4j.kernels.LogProbOp.GradientBuffer;
import org.steer4j.runtime.Native;

/**
 * Every implementation of the sequence log-prob (eager composition, native float32 and float64,
 * CUDA) computes the eager composition's values and logits gradient.
 */
class LogProbOpTest {
  @BeforeAll
  static void init() {
    Native.init(2);
    torch.manual_seed(11);
  }

  record Shape(long n, long l, long v, String what) {
    @Override
    public String toString() {
      return what + " [" + n + ", " + l + ", " + v + "]";
    }
  }

  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of(new Shape(2, 5, 11, "V odd")),
        Arguments.of(new Shape(3, 1, 7, "L = 1")),
        Arguments.of(new Shape(4, 9, 2049, "V just over one CPU chunk")),
        Arguments.of(new Shape(3, 6, 1001, "a fully masked sequence")),
        Arguments.of(new Shape(2, 7, 32000, "Llama vocabulary")));
  }

  /** Labels, a mask scoring a span per sequence (sequence 1 of 3+ scores nothing), -100 elsewhere. */
  record Batch(Tensor logits, Tensor labels, Tensor mask, Tensor dlogp) {}

  static Batch batch(Shape s, ScalarType type) {
    TensorOptions floats = new TensorOptions(ScalarType.Float);
    Tensor logits = randn(new long[] {s.n(), s.l(), s.v()}, floats).mul(new Scalar(2.0)).to(type);
    Tensor labels = randint(s.v(), new long[] {s.n(), s.l()}, new TensorOptions(ScalarType.Long));
    Tensor mask = torch.zeros(new long[] {s.n(), s.l()}, floats);
    for (long i = 0; i < s.n(); ++i) {
      if (s.n() >= 3 && i == 1) continue;
      long begin = s.l() > 1 ? i % s.l() : 0, end = Math.max(begin + 1, s.l() - (i % 2));
      mask.select(0, i).narrow(0, begin, end - begin).fill_(new Scalar(1.0));
    }
    labels.masked_fill_(mask.eq(new Scalar(0)), new Scalar(-100));
    return new Batch(logits, labels, mask, randn(new long[] {s.n()}, floats));
  }

  /** logp and the gradient of sum(dlogp * logp) with respect to the logits. */
  record Result(Tensor logp, Tensor grad) {}

  static Result fused(Batch b, GradientBuffer buffer) {
    Tensor logits = b.logits().clone().requires_grad_(true);
    Tape tape = new Tape();
    Tensor logp = LogProbOp.forward(logits, b.labels(), b.mask(), tape, buffer);
    tape.backward(logp.mul(b.dlogp()).sum());
    return new Result(logp.detach(), logits.grad());
  }

  static Result eager(Batch b, ScalarType type) {
    Tensor logits = b.logits().detach().to(type).clone().requires_grad_(true);  // a fresh leaf, even in b's dtype
    Tensor logp = EagerLogProb.forward(logits, b.labels(), b.mask());
    logp.mul(b.dlogp().to(logp.scalar_type())).sum().backward();
    return new Result(logp.detach(), logits.grad());
  }

  /** {@code b}'s tensors in an implementation's dtype (logits, dlogp) on its device. */
  static Batch place(Batch b, Implementation impl) {
    return new Batch(impl.place(b.logits()), impl.onDevice(b.labels()), impl.onDevice(b.mask()), impl.place(b.dlogp()));
  }

  /** logp and the logits' gradient from an implementation, on the CPU. */
  static Result run(Implementation impl, Batch b) {
    Result r = impl.fused() ? fused(place(b, impl), GradientBuffer.NEW) : eager(b, impl.dtype);
    return new Result(r.logp().cpu(), r.grad().cpu());
  }

  static double relativeError(Tensor a, Tensor b) {
    Tensor x = a.to(ScalarType.Double).cpu(), y = b.to(ScalarType.Double).cpu();
    double norm = y.norm().item_double(), diff = x.sub(y).norm().item_double();
    double e = norm == 0 ? diff : diff / norm;
    return Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
  }

  static Stream<Arguments> implementationsAndShapes() {
    return Implementation.times(shapes());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("implementationsAndShapes")
  void matchesTheEagerComposition(Implementation impl, Shape s) {
    impl.assumeAvailable();
    try (PointerScope scope = new PointerScope()) {
      Batch b = batch(s, ScalarType.Float);
      Result actual = run(impl, b);
      // References: eager on the same float32 values, in float64 (the implementation's own
      // error) and in float32 (what a PyTorch user would compare against; not for EAGER, which
      // is that). Measured ~1e-7; the bound is 1e-5. Float64 against float64 agrees to
      // rounding (measured 2e-16).
      ScalarType[] references = impl.fused()
          ? new ScalarType[] {ScalarType.Double, ScalarType.Float} : new ScalarType[] {ScalarType.Double};
      for (ScalarType type : references) {
        Result eager = eager(b, type);
        double bound = impl == Implementation.NATIVE_F64 && type == ScalarType.Double ? 1e-12 : 1e-5;
        double ev = relativeError(actual.logp(), eager.logp()), eg = relativeError(actual.grad(), eager.grad());
        assertTrue(ev < bound, impl + " " + s + " logp vs eager " + type + ": relative error " + ev);
        assertTrue(eg < bound, impl + " " + s + " dlogits vs eager " + type + ": relative error " + eg);
      }
      // Sequences with nothing to score: logp exactly 0, gradient exactly 0.
      Tensor unscored = b.mask().sum(1).eq(new Scalar(0));
      if (unscored.any().item_bool()) {
        assertEquals(0.0, actual.logp().masked_select(unscored).abs().sum().item_double());
        assertEquals(0.0, actual.grad().sum(2).masked_select(b.mask().eq(new Scalar(0))).abs().sum().item_double());
      }
    }
  }

  @Test
  void overwritingTheLogitsGivesTheSameGradient() {
    try (PointerScope scope = new PointerScope()) {
      Batch b = batch(new Shape(3, 6, 1001, "in place"), ScalarType.Float);
      Result fresh = fused(b, GradientBuffer.NEW);
      Result inPlace = fused(b, GradientBuffer.OVERWRITE_LOGITS);
      assertTrue(torch.equal(fresh.logp(), inPlace.logp()));
      assertTrue(torch.equal(fresh.grad(), inPlace.grad()), "bitwise: same arithmetic, other buffer");
    }
  }

  @Test
  void bfloat16LogitsMatchEagerOnTheSameValues() {
    try (PointerScope scope = new PointerScope()) {
      Shape s = new Shape(3, 6, 2049, "bf16");
      Batch b = batch(s, ScalarType.BFloat16);
      Result fused = fused(b, GradientBuffer.NEW);
      Result exact = eager(b, ScalarType.Double);
      assertEquals(ScalarType.Float, fused.logp().scalar_type().intern(), "logp is float32 for bf16 logits");
      assertEquals(ScalarType.BFloat16, fused.grad().scalar_type().intern());
      // logp: float32 arithmetic on exact bf16 inputs. Gradient: rounded to bf16 on output
      // (unit roundoff 2^-8 = 3.9e-3 per element), hence 4e-3.
      assertTrue(relativeError(fused.logp(), exact.logp()) < 1e-5);
      double eg = relativeError(fused.grad(), exact.grad());
      assertTrue(eg < 4e-3, "bf16 gradient relative error " + eg);
      Result inPlace = fused(b, GradientBuffer.OVERWRITE_LOGITS);
      assertTrue(torch.equal(fused.grad(), inPlace.grad()));
    }
  }

  @Test
  void gradientMatchesFiniteDifferencesInFloat64() {
    try (PointerScope scope = new PointerScope()) {
      Batch b = batch(new Shape(2, 3, 5, "finite differences"), ScalarType.Double);
      Tensor dlogp = b.dlogp().to(ScalarType.Double);
      LogProbOp.Forward f = LogProbOp.forward(b.logits(), b.labels(), b.mask());
      Tensor analytic = LogProbOp.backward(dlogp, f, GradientBuffer.NEW).reshape(-1);
      Tensor flat = b.logits().view(-1);
      Tensor numeric = torch.zeros_like(flat);
      double eps = 1e-6;
      try (NoGradGuard guard = new NoGradGuard()) {
        for (long i = 0; i < flat.numel(); ++i) {
          double saved = flat.select(0, i).item_double();
          flat.select(0, i).fill_(new Scalar(saved + eps));
          double up = LogProbOp.forward(b.logits(), b.labels(), b.mask()).logp().mul(dlogp).sum().item_double();
          flat.select(0, i).fill_(new Scalar(saved - eps));
          double down = LogProbOp.forward(b.logits(), b.labels(), b.mask()).logp().mul(dlogp).sum().item_double();
          flat.select(0, i).fill_(new Scalar(saved));
          numeric.select(0, i).fill_(new Scalar((up - down) / (2 * eps)));
        }
      }
      // Central differences in float64: absolute error ~1e-10 against gradients of order 0.1-1.
      double err = relativeError(analytic, numeric);
      assertTrue(err < 1e-6, "analytic vs finite-difference relative error " + err);
    }
  }

  /**
   * A right-padded batch, V = 3, every position's logits [0, ln 2, ln 3] (softmax 1/6, 1/3,
   * 1/2). Sequence 0: prompt [1, 0], response [2, 1], one pad. Sequence 1: prompt [0], response
   * [2, 2, 0, 1]. Only response tokens are scored, each predicted from the position before it.
   */
  @Test
  void scoresOnlyTheResponseTokensOfARightPaddedBatch() {
    try (PointerScope scope = new PointerScope()) {
      Tensor inputIds = torch.tensor(1L, 0L, 2L, 1L, 0L, 0L, 2L, 2L, 0L, 1L).reshape(2, 5);
      ResponseLabels shifted = ResponseLabels.of(inputIds, new long[] {2, 1}, new long[] {4, 5});
      assertArrayEquals(new long[] {0, 2, 1, 0, 0, 2, 2, 0, 1, 0}, longs(shifted.labels()));
      assertArrayEquals(new float[] {0, 1, 1, 0, 0, 1, 1, 1, 1, 0}, floats(shifted.mask()));

      double l2 = Math.log(2), l3 = Math.log(3);
      Tensor logits = torch.tensor(0f, (float) l2, (float) l3).reshape(1, 1, 3).expand(2, 5, 3).contiguous().requires_grad_(true);
      Tape tape = new Tape();
      Tensor logp = LogProbOp.forward(logits, shifted.labels(), shifted.mask(), tape);
      double half = Math.log(0.5), third = Math.log(1 / 3.0), sixth = Math.log(1 / 6.0);
      // Sequence 0 scores tokens 2 (position 1) and 1 (position 2); sequence 1 scores 2, 2, 0, 1.
      double[] expected = {half + third, half + half + sixth + third};
      double[] actual = {logp.select(0, 0).item_double(), logp.select(0, 1).item_double()};
      assertArrayEquals(expected, actual, 1e-6);  // float32 logits

      tape.backward(logp.sum());
      Tensor grad = logits.grad();
      // Prompt position 0 and padding position 4 of sequence 0 get no gradient; position 1
      // (label 2) gets onehot - softmax = [-1/6, -1/3, 1/2].
      assertEquals(0.0, grad.select(0, 0).select(0, 0).abs().sum().item_double());
      assertEquals(0.0, grad.select(0, 0).select(0, 4).abs().sum().item_double());
      assertArrayEquals(new float[] {-1 / 6f, -1 / 3f, 0.5f}, floats(grad.select(0, 0).select(0, 1)), 1e-6f);
    }
  }

  @Test
  void responseLabelsRefuseInconsistentLengths() {
    Tensor ids = torch.zeros(new long[] {2, 4}, new TensorOptions(ScalarType.Long));
    var e = assertThrows(IllegalArgumentException.class, () -> ResponseLabels.of(ids, new long[] {0, 1}, new long[] {3, 4}));
    assertTrue(e.getMessage().contains("sequence 0 has prompt length 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ResponseLabels.of(ids, new long[] {1, 1}, new long[] {3, 5}));
    assertTrue(e.getMessage().contains("<= T = 4"), e.getMessage());
  }

  @Test
  void refusesLabelsOutsideTheVocabularyAtScoredPositions() {
    Tensor logits = randn(new long[] {1, 3, 7}, new TensorOptions(ScalarType.Float));
    Tensor labels = torch.tensor(0L, 7L, -100L).reshape(1, 3);
    Tensor mask = torch.tensor(1f, 1f, 0f).reshape(1, 3);
    var e = assertThrows(KernelException.class, () -> LogProbOp.forward(logits, labels, mask));
    assertTrue(e.getMessage().contains("labels[0, 1] = 7 is outside [0, V=7)"), e.getMessage());
  }

  @Test
  void refusesMismatchedShapesAndDtypes() {
    TensorOptions floats = new TensorOptions(ScalarType.Float);
    Tensor logits = randn(new long[] {2, 3, 5}, floats);
    Tensor labels = torch.zeros(new long[] {2, 3}, new TensorOptions(ScalarType.Long));
    Tensor mask = torch.ones(new long[] {2, 3}, floats);
    var e = assertThrows(IllegalArgumentException.class, () -> LogProbOp.forward(logits.reshape(6, 5), labels, mask));
    assertTrue(e.getMessage().contains("logits must be [N, L, V], got shape [6, 5]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LogProbOp.forward(logits, labels.to(ScalarType.Float), mask));
    assertTrue(e.getMessage().contains("labels is Float on CPU but must be Long on CPU"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LogProbOp.forward(logits, labels, mask.reshape(3, 2)));
    assertTrue(e.getMessage().contains("mask has shape [3, 2], expected [2, 3]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LogProbOp.forward(logits.to(ScalarType.Half), labels, mask));
    assertTrue(e.getMessage().contains("unsupported logits dtype Half on CPU"), e.getMessage());
    // An int64 attention-style mask and int32 labels are converted, not refused.
    Tensor logp = LogProbOp.forward(logits, labels.to(ScalarType.Int), mask.to(ScalarType.Long)).logp();
    assertTrue(torch.allclose(logp, EagerLogProb.forward(logits, labels, mask)));
  }

  @Test
  void cudaEntryPointsReportUnavailableWithoutCudaKernels() {
    // CI has no GPU: the CUDA path must fail with a clear status, never crash.
    int status = NativeKernels.s4j_logprob_forward_f32_cuda(0, 0, 0, 0, 0, 1, 1, 1);
    if (status == -2) {
      assertTrue(NativeKernels.s4j_last_error().getString().contains("CUDA"));
    } else {
      assertEquals(-3, status, "with CUDA kernels but no GPU the runtime reports a device error");
    }
  }

  static long[] longs(Tensor t) {
    Tensor c = t.contiguous();
    long[] out = new long[(int) c.numel()];
    c.data_ptr_long().get(out);
    return out;
  }

  static float[] floats(Tensor t) {
    Tensor c = t.to(ScalarType.Float).contiguous();
    float[] out = new float[(int) c.numel()];
    c.data_ptr_float().get(out);
    return out;
  }
}
