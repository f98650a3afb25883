package org.steer4j.kernels;

import static org.bytedeco.pytorch.global.torch.linear;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.steer4j.kernels.RewardDecoderArgs.Field;
import org.steer4j.runtime.Native;

/**
 * Every implementation of the reward decoder (eager composition, native float32 and float64,
 * CUDA) computes the function and gradients of the eager composition in float64.
 */
class RewardDecoderOpTest {
  @BeforeAll
  static void init() {
    Native.init(2);
    torch.manual_seed(7);
  }

  record Shape(long b, long n, long dt, long dz, long h, long o, boolean training, long du) {
    Shape(long b, long n, long dt, long dz, long h, long o, boolean training) {
      this(b, n, dt, dz, h, o, training, 0);
    }

    /** The width of the op's input: u with a folded projection, else t. */
    long input() {
      return du > 0 ? du : dt;
    }
  }

  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of(new Shape(3, 4, 5, 3, 6, 1, true)),      // odd sizes
        Arguments.of(new Shape(7, 11, 13, 9, 17, 3, true)),   // odd sizes, three outputs
        Arguments.of(new Shape(2, 6, 4, 0, 5, 2, true)),      // unconditioned (BTL / DPL)
        Arguments.of(new Shape(1, 1, 3, 2, 4, 1, false)),     // one row, evaluation statistics
        Arguments.of(new Shape(1, 1, 3, 2, 4, 1, true)),      // one row, batch statistics
        Arguments.of(new Shape(4, 3, 7, 5, 9, 2, false)),     // evaluation
        Arguments.of(new Shape(64, 40, 256, 256, 256, 1, true)),   // UltraFeedback batch
        Arguments.of(new Shape(3, 4, 5, 3, 6, 1, true, 7)),       // folded target projection
        Arguments.of(new Shape(2, 6, 4, 0, 5, 2, false, 3)),      // projection, unconditioned, evaluation
        Arguments.of(new Shape(64, 40, 256, 256, 256, 1, true, 256)));  // NP-BTL's mlp target encoder folded
  }

  static DecoderWeights weights(Shape s, ScalarType type) {
    TensorOptions o = new TensorOptions(type);
    return new DecoderWeights(
        randn(new long[] {s.h(), s.dt()}, o).mul(new org.bytedeco.pytorch.Scalar(0.3)),
        s.dz() > 0 ? randn(new long[] {s.h(), s.dz()}, o).mul(new org.bytedeco.pytorch.Scalar(0.3)) : null,
        randn(new long[] {s.h()}, o).abs().add(new org.bytedeco.pytorch.Scalar(0.5)),
        randn(new long[] {s.h()}, o).mul(new org.bytedeco.pytorch.Scalar(0.2)),
        randn(new long[] {s.o(), s.h()}, o),
        randn(new long[] {s.o()}, o),
        randn(new long[] {s.h()}, o).mul(new org.bytedeco.pytorch.Scalar(0.1)),
        torch.rand(new long[] {s.h()}, o).add(new org.bytedeco.pytorch.Scalar(0.5)),
        0.1,
        1e-5,
        s.du() > 0 ? randn(new long[] {s.dt(), s.du()}, o).mul(new org.bytedeco.pytorch.Scalar(0.3)) : null,
        s.du() > 0 ? randn(new long[] {s.dt()}, o).mul(new org.bytedeco.pytorch.Scalar(0.1)) : null);
  }

  /** Leaves that require grad, cloned from {@code w} so two runs start from equal values. */
  static DecoderWeights leaves(DecoderWeights w) {
    return new DecoderWeights(
        leaf(w.w1t()), w.w1z() == null ? null : leaf(w.w1z()), leaf(w.gamma()), leaf(w.beta()),
        leaf(w.w2()), leaf(w.b2()), w.runningMean().clone(), w.runningVar().clone(), w.momentum(), w.eps(),
        w.projW() == null ? null : leaf(w.projW()), w.projB() == null ? null : leaf(w.projB()));
  }

  static Tensor leaf(Tensor t) {
    return t.detach().clone().requires_grad_(true);
  }

  /** r, running statistics and the gradients of sum(r * g) for all inputs and weights. */
  static Map<String, Tensor> run(boolean fused, Shape s, Tensor t0, Tensor z0, DecoderWeights w0, Tensor g) {
    DecoderWeights w = leaves(w0);
    Tensor t = leaf(t0), z = z0 == null ? null : leaf(z0);
    Tensor r;
    Tape tape = new Tape();
    if (fused) {
      RewardDecoderOp.Forward f = RewardDecoderOp.forward(t.detach(), z == null ? null : z.detach(), w, s.training());
      r = tape.record(
          grad -> {
            var gr = RewardDecoderOp.backward(grad, t.detach(), z == null ? null : z.detach(), w, f, true);
            return java.util.Arrays.asList(gr.t(), gr.z(), gr.w1t(), gr.w1z(), gr.gamma(), gr.beta(), gr.w2(), gr.b2(), gr.projW(), gr.projB());
          },
          f.r(),
          java.util.Arrays.asList(t, z, w.w1t(), w.w1z(), w.gamma(), w.beta(), w.w2(), w.b2(), w.projW(), w.projB()));
    } else {
      r = EagerRewardDecoder.forward(t, z, w, s.training());
    }
    tape.backward(r.mul(g).sum());
    Map<String, Tensor> out = new LinkedHashMap<>();
    out.put("r", r.detach());
    out.put("running_mean", w.runningMean());
    out.put("running_var", w.runningVar());
    out.put("dt", t.grad());
    if (z != null) out.put("dz", z.grad());
    out.put("dw1t", w.w1t().grad());
    if (w.w1z() != null) out.put("dw1z", w.w1z().grad());
    out.put("dgamma", w.gamma().grad());
    out.put("dbeta", w.beta().grad());
    out.put("dw2", w.w2().grad());
    out.put("db2", w.b2().grad());
    if (w.projW() != null) {
      out.put("dproj_w", w.projW().grad());
      out.put("dproj_b", w.projB().grad());
    }
    return out;
  }

  static Tensor toDouble(Tensor t) {
    return t == null ? null : t.to(ScalarType.Double);
  }

  static DecoderWeights toDouble(DecoderWeights w) {
    return convert(w, RewardDecoderOpTest::toDouble);
  }

  /** Every tensor of {@code w} through {@code f} (null stays null). */
  static DecoderWeights convert(DecoderWeights w, UnaryOperator<Tensor> f) {
    return new DecoderWeights(f.apply(w.w1t()), f.apply(w.w1z()), f.apply(w.gamma()), f.apply(w.beta()),
        f.apply(w.w2()), f.apply(w.b2()), f.apply(w.runningMean()), f.apply(w.runningVar()), w.momentum(), w.eps(),
        f.apply(w.projW()), f.apply(w.projB()));
  }

  static double relativeError(Tensor a, Tensor b) {
    Tensor x = a.to(ScalarType.Double).cpu(), y = b.to(ScalarType.Double).cpu();
    double norm = y.norm().item_double();
    double diff = x.sub(y).norm().item_double();
    return norm == 0 ? diff : diff / norm;
  }

  static Stream<Arguments> implementationsAndShapes() {
    return Implementation.times(shapes());
  }

  /** Each implementation's bound on ||x - ref|| / ||ref|| against the eager composition in float64. */
  static double tolerance(Implementation impl) {
    return switch (impl) {
      // Float32 with sums over up to 2560 rows: ||a-b||/||b|| stays near 1e-7 on random
      // data; 1e-5 is the bound the issue sets (and check_kernels.py's on the GPU).
      case NATIVE_F32, CUDA_F32 -> 1e-5;
      // Float64: the reference's folded batch norm (a * gamma * invstd - mean * gamma * invstd)
      // scales its rounding by invstd, up to 1 / sqrt(eps) = 316 with one row; measured 3e-13.
      case NATIVE_F64 -> 1e-10;
      // The composition's own float32 rounding: measured up to 7.5e-6 (one row in training);
      // ATen's folded batch norm alone has been seen off by 4e-5 there.
      case EAGER -> 1e-4;
    };
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("implementationsAndShapes")
  void matchesTheEagerCompositionInFloat64(Implementation impl, Shape s) {
    impl.assumeAvailable();
    try (PointerScope scope = new PointerScope()) {
      TensorOptions o = new TensorOptions(ScalarType.Float);
      DecoderWeights w = weights(s, ScalarType.Float);
      Tensor t = randn(new long[] {s.b(), s.n(), s.input()}, o);
      Tensor z = s.dz() > 0 ? randn(new long[] {s.b(), s.dz()}, o) : null;
      Tensor g = randn(new long[] {s.b(), s.n(), s.o()}, o);
      // The reference is the eager composition on the same (float32) values, evaluated in
      // float64: eager float32 carries its own rounding (with one row in training, ATen's
      // folded batch norm alone is off by 4e-5), and we want each implementation's error.
      Map<String, Tensor> actual = run(impl.fused(), s, impl.place(t), impl.place(z), convert(w, impl::place), impl.place(g));
      Map<String, Tensor> eager = run(false, s, toDouble(t), toDouble(z), toDouble(w), toDouble(g));
      if (s.b() * s.n() == 1) eager.remove("running_var");  // PyTorch stores NaN (0/0); we keep it
      if (s.training()) eager.remove("dproj_b");  // exactly zero before batch norm: rounding only, checked below
      for (String key : eager.keySet()) {
        double e = relativeError(actual.get(key), eager.get(key));
        assertTrue(e < tolerance(impl), impl + " " + s + " " + key + ": relative error " + e);
      }
      if (s.du() > 0 && s.training()) {
        // A bias added before training-mode batch norm gets exactly zero gradient.
        double scale = eager.get("dproj_w").norm().item_double();
        assertTrue(actual.get("dproj_b").cpu().norm().item_double() < 1e-5 * Math.max(scale, 1), "dproj_b is zero up to rounding");
      }
      if (impl.fused() && s.b() * s.n() == 1 && s.training()) {
        // The unbiased variance of one row is 0/0: the kernels leave the running variance as it was.
        assertTrue(torch.equal(actual.get("running_var").cpu().to(ScalarType.Float), w.runningVar()), "running_var unchanged");
      }
    }
  }

  static Stream<Arguments> gradientShapes() {
    return Stream.of(Arguments.of(new Shape(3, 4, 5, 3, 6, 2, true)), Arguments.of(new Shape(3, 4, 5, 3, 6, 2, false, 4)));
  }

  @ParameterizedTest
  @MethodSource("gradientShapes")
  void gradientsMatchFiniteDifferencesInFloat64(Shape s) {
    try (PointerScope scope = new PointerScope()) {
      TensorOptions o = new TensorOptions(ScalarType.Double);
      DecoderWeights w = weights(s, ScalarType.Double);
      // Batch statistics without running-stat updates: forward is then a pure function.
      DecoderWeights pure = s.training()
          ? new DecoderWeights(w.w1t(), w.w1z(), w.gamma(), w.beta(), w.w2(), w.b2(), null, null, 0.1, 1e-5, w.projW(), w.projB())
          : w;  // evaluation reads the running statistics and leaves them alone
      Tensor t = randn(new long[] {s.b(), s.n(), s.input()}, o);
      Tensor z = randn(new long[] {s.b(), s.dz()}, o);
      Tensor g = randn(new long[] {s.b(), s.n(), s.o()}, o);
      RewardDecoderOp.Forward f = RewardDecoderOp.forward(t, z, pure, s.training());
      RewardDecoderOp.Gradients grads = RewardDecoderOp.backward(g, t, z, pure, f, true);
      Map<String, Tensor[]> checks = new LinkedHashMap<>();
      checks.put("t", new Tensor[] {t, grads.t()});
      checks.put("z", new Tensor[] {z, grads.z()});
      checks.put("w1t", new Tensor[] {w.w1t(), grads.w1t()});
      checks.put("w1z", new Tensor[] {w.w1z(), grads.w1z()});
      checks.put("gamma", new Tensor[] {w.gamma(), grads.gamma()});
      checks.put("beta", new Tensor[] {w.beta(), grads.beta()});
      checks.put("w2", new Tensor[] {w.w2(), grads.w2()});
      checks.put("b2", new Tensor[] {w.b2(), grads.b2()});
      if (s.du() > 0) {
        checks.put("proj_w", new Tensor[] {w.projW(), grads.projW()});
        checks.put("proj_b", new Tensor[] {w.projB(), grads.projB()});
      }
      double eps = 1e-6;
      for (var e : checks.entrySet()) {
        Tensor x = e.getValue()[0], analytic = e.getValue()[1];
        var flat = x.view(-1);
        Tensor numeric = torch.zeros_like(flat);
        try (NoGradGuard guard = new NoGradGuard()) {
          for (long i = 0; i < flat.numel(); ++i) {
            double saved = flat.select(0, i).item_double();
            flat.select(0, i).fill_(new org.bytedeco.pytorch.Scalar(saved + eps));
            double up = RewardDecoderOp.forward(t, z, pure, s.training()).r().mul(g).sum().item_double();
            flat.select(0, i).fill_(new org.bytedeco.pytorch.Scalar(saved - eps));
            double down = RewardDecoderOp.forward(t, z, pure, s.training()).r().mul(g).sum().item_double();
            flat.select(0, i).fill_(new org.bytedeco.pytorch.Scalar(saved));
            numeric.select(0, i).fill_(new org.bytedeco.pytorch.Scalar((up - down) / (2 * eps)));
          }
        }
        // Central differences in float64: absolute error ~1e-10, hence 1e-6 relative to the
        // gradient's norm.
        double err = relativeError(analytic.reshape(-1), numeric);
        assertTrue(err < 1e-6, e.getKey() + ": analytic vs finite-difference relative error " + err);
      }
    }
  }

  static Stream<Arguments> fusedImplementations() {
    return Implementation.fusedTimes(Stream.of(Arguments.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fusedImplementations")
  void gradientsFlowIntoTheGraphBelowTheOp(Implementation impl) {
    // t comes from an encoder; the tape must carry dL/dt on into the encoder's weight.
    impl.assumeAvailable();
    try (PointerScope scope = new PointerScope()) {
      Shape s = new Shape(4, 6, 8, 5, 7, 1, true);
      TensorOptions o = new TensorOptions(ScalarType.Float);
      DecoderWeights w = convert(weights(s, ScalarType.Float), impl::place);
      Tensor x = impl.place(randn(new long[] {s.b(), s.n(), 3}, o));
      Tensor encoder0 = impl.place(randn(new long[] {s.dt(), 3}, o));
      Tensor z = impl.place(randn(new long[] {s.b(), s.dz()}, o));
      Tensor[] grads = new Tensor[2];
      for (int k = 0; k < 2; ++k) {
        Tensor encoder = leaf(encoder0);
        Tensor t = linear(x, encoder);
        DecoderWeights wl = leaves(w);
        Tape tape = new Tape();
        Tensor r;
        if (k == 0) {
          RewardDecoderOp.Forward f = RewardDecoderOp.forward(t.detach(), z, wl, true);
          r = tape.record(grad -> java.util.Arrays.asList(RewardDecoderOp.backward(grad, t.detach(), z, wl, f, true).t()), f.r(), java.util.List.of(t));
        } else {
          r = EagerRewardDecoder.forward(t, z, wl, true);
        }
        tape.backward(r.pow(new org.bytedeco.pytorch.Scalar(2)).sum());
        grads[k] = encoder.grad();
      }
      // Float32 bound (float64 is held to it too): fused and eager in the implementation's dtype.
      double e = relativeError(grads[0], grads[1]);
      assertTrue(e < 1e-5, impl + ": encoder gradient relative error " + e);
    }
  }

  @Test
  void refusesMismatchedShapesAndDtypes() {
    Shape s = new Shape(2, 3, 4, 5, 6, 1, true);
    DecoderWeights w = weights(s, ScalarType.Float);
    Tensor t = randn(new long[] {2, 3, 4}, new TensorOptions(ScalarType.Float));
    var wrongZ = randn(new long[] {2, 4}, new TensorOptions(ScalarType.Float));
    var e = assertThrows(IllegalArgumentException.class, () -> RewardDecoderOp.forward(t, wrongZ, w, true));
    assertTrue(e.getMessage().contains("z has shape [2, 4], expected [2, 5]"), e.getMessage());
    var doubleZ = randn(new long[] {2, 5}, new TensorOptions(ScalarType.Double));
    e = assertThrows(IllegalArgumentException.class, () -> RewardDecoderOp.forward(t, doubleZ, w, true));
    assertTrue(e.getMessage().contains("z is Double"), e.getMessage());
  }

  @Test
  void cudaEntryPointReportsUnavailableWithoutCudaKernels() {
    // CI has no GPU: the CUDA path must fail with a clear status, never crash.
    RewardDecoderArgs args = RewardDecoderArgs.begin()  // every pointer NULL
        .size(Field.SIZE_B, 1).size(Field.SIZE_N, 1).size(Field.SIZE_DT, 1).size(Field.SIZE_DU, 1)
        .size(Field.SIZE_H, 1).size(Field.SIZE_O, 1)
        .real(Field.MOMENTUM, 0.1).real(Field.EPS, 1e-5).flag(Field.TRAINING, true);
    int status = NativeKernels.s4j_reward_decoder_forward_f32_cuda(args.address());
    if (status == -2) {
      assertTrue(NativeKernels.s4j_last_error().getString().contains("CUDA"));
    } else {
      assertEquals(-3, status, "with CUDA kernels but no GPU the runtime reports a device error");
    }
  }

  @Test
  void descriptorLayoutMatchesTheLibrary() {
    // sizeof, every offsetof and the field order of s4j_reward_decoder_args as compiled,
    // against the Java mirror.
    long[] layout = RewardDecoderArgs.nativeLayout();
    assertEquals(Field.values().length + 1, layout.length, "one entry per field, after sizeof");
    assertArrayEquals(RewardDecoderArgs.javaLayout(), layout);
    assertEquals(RewardDecoderArgs.javaNames(), RewardDecoderArgs.nativeNames());
    RewardDecoderArgs.checkLayout();
  }

  @Test
  void descriptorStartsZeroedAndRefusesAValueOfTheWrongKind() {
    RewardDecoderArgs.begin().size(Field.SIZE_H, 7).set(Field.T, torch.ones(2));
    RewardDecoderArgs args = RewardDecoderArgs.begin();  // the same buffer, reused
    assertEquals(0, args.get(Field.SIZE_H));
    assertEquals(0, args.get(Field.T));
    var e = assertThrows(IllegalArgumentException.class, () -> args.size(Field.GRAD_T, 3));
    assertTrue(e.getMessage().contains("dt is a POINTER field"), e.getMessage());
  }
}
