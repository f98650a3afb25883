package org.steer4j.kernels;

import static org.bytedeco.pytorch.global.torch.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
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
import org.steer4j.runtime.Native;

/**
 * Every implementation of decode attention over a right-padded KV cache (eager composition,
 * native float32 and float64, CUDA) equals the eager masked-softmax composition in float64.
 */
class DecodeAttentionOpTest {
  @BeforeAll
  static void init() {
    Native.init(2);
    torch.manual_seed(13);
  }

  /** {@code scale}: NaN for the op's default, 1 / sqrt(Dh). */
  record Shape(long n, long hq, long hkv, long lmax, long dh, long[] lengths, double scale) {
    Shape(long n, long hq, long hkv, long lmax, long dh, long[] lengths) {
      this(n, hq, hkv, lmax, dh, lengths, Double.NaN);
    }

    /** The scale the scores are multiplied by. */
    double effectiveScale() {
      return Double.isNaN(scale) ? 1 / Math.sqrt(dh) : scale;
    }

    @Override
    public String toString() {
      return "N=" + n + " Hq=" + hq + " Hkv=" + hkv + " Lmax=" + lmax + " Dh=" + dh + " lengths=" + Arrays.toString(lengths)
          + (Double.isNaN(scale) ? "" : " scale=" + scale);
    }
  }

  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of(new Shape(2, 4, 4, 9, 64, new long[] {1, 9})),             // GQA ratio 1, length 1
        Arguments.of(new Shape(3, 4, 2, 37, 33, new long[] {5, 37, 17})),      // ratio 2, odd Dh and lengths
        Arguments.of(new Shape(2, 14, 2, 301, 64, new long[] {299, 151})),     // ratio 7, split over threads
        Arguments.of(new Shape(4, 7, 1, 5, 3, new long[] {1, 2, 3, 5})),       // ratio 7, one kv head
        Arguments.of(new Shape(1, 12, 2, 1030, 128, new long[] {1027})),       // Qwen2.5-1.5B heads
        Arguments.of(new Shape(3, 6, 2, 70, 17, new long[] {70, 1, 33}, 0.3)));  // explicit scale
  }

  record Inputs(Tensor q, Tensor k, Tensor v, Tensor lengths) {}

  /**
   * Random q, k, v; cache positions past each length hold large garbage (the eager reference
   * masks them out; the fused op must never read them).
   */
  static Inputs inputs(Shape s, ScalarType type) {
    TensorOptions o = new TensorOptions(type);
    Tensor q = randn(new long[] {s.n(), s.hq(), s.dh()}, o);
    Tensor k = randn(new long[] {s.n(), s.hkv(), s.lmax(), s.dh()}, o);
    Tensor v = randn(new long[] {s.n(), s.hkv(), s.lmax(), s.dh()}, o);
    for (int i = 0; i < s.n(); ++i) {
      long pad = s.lmax() - s.lengths()[i];
      if (pad == 0) continue;
      k.select(0, i).narrow(1, s.lengths()[i], pad).fill_(new Scalar(1e3));
      v.select(0, i).narrow(1, s.lengths()[i], pad).fill_(new Scalar(-1e3));
    }
    return new Inputs(q, k, v, torch.tensor(s.lengths().clone()));
  }

  static double relativeError(Tensor a, Tensor b) {
    Tensor x = a.to(ScalarType.Double).cpu(), y = b.to(ScalarType.Double).cpu();
    double e = x.sub(y).norm().item_double() / y.norm().item_double();
    return Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
  }

  static Stream<Arguments> implementationsAndShapes() {
    return Implementation.times(shapes());
  }

  /** out from an implementation on float32 inputs (converted to its dtype, on its device). */
  static Tensor run(Implementation impl, Shape s, Inputs in) {
    if (!impl.fused()) return EagerDecodeAttention.forward(in.q(), in.k(), in.v(), in.lengths(), s.effectiveScale());
    Tensor q = impl.place(in.q()), k = impl.place(in.k()), v = impl.place(in.v()), lengths = impl.onDevice(in.lengths());
    Tensor out = Double.isNaN(s.scale())
        ? DecodeAttentionOp.forward(q, k, v, lengths)  // the default scale
        : DecodeAttentionOp.forward(q, k, v, lengths, s.scale());
    return out.cpu();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("implementationsAndShapes")
  void matchesTheEagerComposition(Implementation impl, Shape s) {
    impl.assumeAvailable();
    try (PointerScope scope = new PointerScope()) {
      Inputs in = inputs(s, ScalarType.Float);
      double scale = s.effectiveScale();
      Tensor actual = run(impl, s, in);
      Tensor exact = EagerDecodeAttention.forward(
          in.q().to(ScalarType.Double), in.k().to(ScalarType.Double), in.v().to(ScalarType.Double), in.lengths(), scale);
      // Float32 dot products over Dh and sums over up to 1k keys: measured ~5e-7 against eager
      // in float64 on the same values; 1e-5 is the bound. Float64 agrees to rounding
      // (measured 1e-15).
      double bound = impl == Implementation.NATIVE_F64 ? 1e-12 : 1e-5;
      double e = relativeError(actual, exact);
      assertTrue(e < bound, impl + " " + s + ": vs eager float64 " + e);
      if (impl.fused()) {  // (EAGER is the float32 composition itself)
        Tensor eager32 = EagerDecodeAttention.forward(in.q(), in.k(), in.v(), in.lengths(), scale);
        e = relativeError(actual, eager32);
        assertTrue(e < 1e-5, impl + " " + s + ": vs eager float32 " + e);
      }
    }
  }

  @Test
  void lengthOneReturnsThatPositionsValue() {
    // One cached token: softmax over one score is 1, whatever the query.
    Shape s = new Shape(1, 4, 2, 6, 8, new long[] {1});
    Inputs in = inputs(s, ScalarType.Float);
    Tensor out = DecodeAttentionOp.forward(in.q(), in.k(), in.v(), in.lengths());
    // Query heads 0, 1 read kv head 0; heads 2, 3 read kv head 1.
    Tensor expected = in.v().select(2, 0).unsqueeze(2).expand(1, 2, 2, 8).reshape(1, 4, 8);
    assertTrue(torch.allclose(out, expected, 1e-6, 1e-6, false));
  }

  @Test
  void refusesInvalidLengthsAndShapes() {
    Shape s = new Shape(2, 4, 2, 8, 16, new long[] {3, 8});
    Inputs in = inputs(s, ScalarType.Float);
    var k = assertThrows(KernelException.class,
        () -> DecodeAttentionOp.forward(in.q(), in.k(), in.v(), torch.tensor(3L, 9L)));
    assertTrue(k.getMessage().contains("lengths[1] = 9 is outside [1, Lmax=8]"), k.getMessage());
    k = assertThrows(KernelException.class,
        () -> DecodeAttentionOp.forward(in.q(), in.k(), in.v(), torch.tensor(0L, 8L)));
    assertTrue(k.getMessage().contains("lengths[0] = 0"), k.getMessage());
    var e = assertThrows(IllegalArgumentException.class,
        () -> DecodeAttentionOp.forward(in.q().narrow(1, 0, 3), in.k(), in.v(), in.lengths()));
    assertTrue(e.getMessage().contains("3 query heads are not a multiple of 2 kv heads"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> DecodeAttentionOp.forward(in.q(), in.k(), in.v().narrow(2, 0, 7), in.lengths()));
    assertTrue(e.getMessage().contains("v_cache has shape [2, 2, 7, 16], expected [2, 2, 8, 16]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> DecodeAttentionOp.forward(in.q(), in.k(), in.v(), in.lengths().to(ScalarType.Float)));
    assertTrue(e.getMessage().contains("lengths is Float on CPU but must be Long"), e.getMessage());
    // int32 lengths are converted.
    Tensor out = DecodeAttentionOp.forward(in.q(), in.k(), in.v(), in.lengths().to(ScalarType.Int));
    assertTrue(torch.equal(out, DecodeAttentionOp.forward(in.q(), in.k(), in.v(), in.lengths())));
  }

  @Test
  void cudaEntryPointReportsUnavailableWithoutCudaKernels() {
    int status = NativeKernels.s4j_decode_attention_f32_cuda(0, 0, 0, 0, 1.0, 0, 1, 1, 1, 1, 1);
    if (status == -2) {
      assertTrue(NativeKernels.s4j_last_error().getString().contains("CUDA"));
    } else {
      assertEquals(-3, status, "with CUDA kernels but no GPU the runtime reports a device error");
    }
  }
}
