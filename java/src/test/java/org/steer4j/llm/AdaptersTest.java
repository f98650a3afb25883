package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.bytedeco.pytorch.global.torch.zeros;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.steer4j.runtime.Native;

/** FiLM modulation and LoRA adapters: what they change, what they leave alone, and the off switch. */
class AdaptersTest {
  private static final Device CPU = new Device("cpu");
  private static final LlmFixtures.Fixture QWEN = new LlmFixtures.Fixture("qwen2", LlmFixtures.family("qwen2"));

  @BeforeAll
  static void init() {
    Native.init(1);
  }

  private static DecoderLm model() {
    return DecoderLm.load(QWEN.dir(), ModelDtype.FLOAT32, CPU);
  }

  private static double diff(Tensor a, Tensor b) {
    return a.sub(b).abs().max().item_double();
  }

  private static FilmModulation film(DecoderLm m, Tensor gamma, Tensor beta) {
    int layers = m.config().numLayers();
    return FilmModulation.of(new ArrayList<>(Collections.nCopies(layers, gamma)), new ArrayList<>(Collections.nCopies(layers, beta)));
  }

  @Test
  void trainingModeSwitchesAfterAGarbageCollection() throws Exception {
    // The plain container modules (model, layers, norms) are native peers of Java objects: if
    // those were collected, train()/eval() walking the tree threw a NullPointerException.
    DecoderLm m = model();
    for (int i = 0; i < 3; ++i) {
      System.gc();
      Thread.sleep(50);
    }
    m.train(true);
    assertTrue(m.is_training());
    m.eval();
    assertFalse(m.is_training());
  }

  @Test
  void identityFilmChangesNothing() {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm m = model();
      Tensor ids = QWEN.input("input_ids"), mask = QWEN.input("attention_mask");
      long h = m.config().hiddenSize();
      Tensor plain = m.logits(ids, mask);
      Tensor modulated = m.logits(ids, mask, ForwardOptions.DEFAULT.withFilm(film(m, ones(3, h), zeros(3, h))));
      assertEquals(0.0, diff(plain, modulated), 1e-6);
    }
  }

  @Test
  void filmModulatesOnlyItsOwnSequenceAndOnlyWhenAdaptersAreOn() {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm m = model();
      Tensor ids = QWEN.input("input_ids"), mask = QWEN.input("attention_mask");
      long h = m.config().hiddenSize();
      Tensor gamma = ones(3, h), beta = zeros(3, h);
      gamma.select(0, 0).copy_(randn(h).mul(new Scalar(0.3)).add(new Scalar(1)));  // row 0 only
      beta.select(0, 0).copy_(randn(h).mul(new Scalar(0.3)));
      Tensor plain = m.logits(ids, mask);
      Tensor modulated = m.logits(ids, mask, ForwardOptions.DEFAULT.withFilm(film(m, gamma, beta)));
      assertTrue(diff(plain.select(0, 0), modulated.select(0, 0)) > 1e-2, "row 0 must change");
      assertEquals(0.0, diff(plain.narrow(0, 1, 2), modulated.narrow(0, 1, 2)), 1e-6, "rows 1, 2 must not");
      assertThrows(IllegalArgumentException.class, () -> ForwardOptions.BASE.withFilm(film(m, gamma, beta)));
      assertEquals(0.0, diff(plain, m.logits(ids, mask, ForwardOptions.DEFAULT.withFilm(film(m, gamma, beta)).base())), 1e-6);
    }
  }

  @Test
  void filmIsAppliedToEachLayersOutput() {
    // Scaling the last layer's output by a constant c > 0 is invisible through the final RMSNorm
    // (up to eps), while the same scale on layer 0 changes everything after it.
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm m = model();
      Tensor ids = QWEN.input("input_ids"), mask = QWEN.input("attention_mask");
      long h = m.config().hiddenSize();
      Tensor c = ones(3, h).mul(new Scalar(3.0)), zero = zeros(3, h);
      Tensor plain = m.logits(ids, mask);
      Tensor last = m.logits(ids, mask, ForwardOptions.DEFAULT.withFilm(FilmModulation.of(List.of(ones(3, h), c), List.of(zero, zero))));
      Tensor first = m.logits(ids, mask, ForwardOptions.DEFAULT.withFilm(FilmModulation.of(java.util.Arrays.asList(c, null), java.util.Arrays.asList(zero, null))));
      assertTrue(diff(plain, last) < 1e-4, "last-layer scale should vanish in the final norm: " + diff(plain, last));
      assertTrue(diff(plain, first) > 1e-2, "first-layer scale must change the logits");
    }
  }

  @Test
  void gradientsReachFilmParameters() {
    try (PointerScope s = new PointerScope()) {
      DecoderLm m = model();
      long h = m.config().hiddenSize();
      Tensor gamma = ones(3, h).requires_grad_(true), beta = zeros(3, h).requires_grad_(true);
      Tensor logits = m.logits(QWEN.input("input_ids"), QWEN.input("attention_mask"), ForwardOptions.DEFAULT.withFilm(film(m, gamma, beta)));
      logits.mul(logits).mean().backward();
      assertTrue(gamma.grad().defined() && gamma.grad().abs().sum().item_double() > 0);
      assertTrue(beta.grad().defined() && beta.grad().abs().sum().item_double() > 0);
    }
  }

  @Test
  void aFreshFilmHeadIsTheIdentityAndLearnsFromTheLogits() {
    try (PointerScope s = new PointerScope()) {
      DecoderLm m = model();
      Tensor ids = QWEN.input("input_ids"), mask = QWEN.input("attention_mask");
      FilmHead head = new FilmHead(5, m.config().hiddenSize(), m.config().numLayers(), new org.bytedeco.pytorch.TensorOptions(org.bytedeco.pytorch.global.torch.ScalarType.Float));
      Tensor z = randn(3, 5);
      Tensor conditioned = m.logits(ids, mask, ForwardOptions.DEFAULT.withFilm(head.modulation(z)));
      try (NoGradGuard g = new NoGradGuard()) {
        assertEquals(0.0, diff(m.logits(ids, mask), conditioned), 1e-6, "identity initialisation");
      }
      conditioned.mul(conditioned).mean().backward();
      var named = head.named_parameters(true);
      for (long i = 0; i < named.size(); ++i) {
        String name = named.get(i).key().getString();
        Tensor grad = named.get(i).value().grad();
        assertTrue(grad.defined() && grad.abs().sum().item_double() > 0, name + " gets no gradient");
      }
    }
  }

  @Test
  void loraTrainsOnlyItsTargetsAndStartsAsTheIdentity() {
    try (PointerScope s = new PointerScope()) {
      DecoderLm m = model();
      Tensor ids = QWEN.input("input_ids"), mask = QWEN.input("attention_mask");
      Tensor before;
      try (NoGradGuard g = new NoGradGuard()) {
        before = m.logits(ids, mask);
      }
      m.attachLora(new LoraConfig(4, 8, 0.0, List.of("q_proj", "v_proj")));
      Map<String, Tensor> trainable = m.trainableParameters();
      assertEquals(2 * 2 * m.config().numLayers(), trainable.size(), trainable.keySet().toString());
      assertTrue(trainable.containsKey("model.layers.1.self_attn.v_proj.lora_B"), trainable.keySet().toString());
      for (String name : trainable.keySet()) assertTrue(name.matches("model\\.layers\\.\\d+\\.self_attn\\.[qv]_proj\\.lora_[AB]"), name);
      Tensor logits = m.logits(ids, mask);
      assertEquals(0.0, diff(before, logits), 1e-6, "B = 0: a fresh adapter changes nothing");
      logits.mul(logits).mean().backward();
      assertTrue(trainable.get("model.layers.0.self_attn.q_proj.lora_B").grad().abs().sum().item_double() > 0);
      var named = m.named_parameters(true);
      for (long i = 0; i < named.size(); ++i) {
        String name = named.get(i).key().getString();
        if (!name.contains("lora_")) assertFalse(named.get(i).value().requires_grad(), name + " must be frozen");
      }
    }
  }

  @Test
  void loraEqualsTheMergedWeightsAndSwitchesOffForTheReference() {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm m = model();
      Tensor ids = QWEN.input("input_ids"), mask = QWEN.input("attention_mask");
      Tensor base = m.logits(ids, mask);
      LoraConfig lora = new LoraConfig(3, 12, 0.0, List.of("q_proj", "v_proj"));
      m.attachLora(lora);
      Map<String, Tensor> p = m.trainableParameters();
      for (var e : p.entrySet()) if (e.getKey().endsWith("lora_B")) e.getValue().copy_(randn(e.getValue().sizes().vec().get()).mul(new Scalar(0.2)));
      Tensor adapted = m.logits(ids, mask);
      assertTrue(diff(base, adapted) > 1e-2, "a non-zero adapter must change the logits");
      assertEquals(0.0, diff(base, m.logits(ids, mask, ForwardOptions.BASE)), 1e-6, "adapters off = the base model");

      // W' = W + (alpha / r) B A, loaded as a plain model, gives the adapted logits
      try (Checkpoint ckpt = Checkpoint.open(QWEN.dir())) {
        WeightSource merged = (name, shape) -> {
          Tensor w = ckpt.get(name, shape);
          String prefix = name.replace(".weight", "");
          Tensor a = p.get(prefix + ".lora_A"), b = p.get(prefix + ".lora_B");
          return a == null ? w : w.add(b.matmul(a).mul(new Scalar(lora.scaling())));
        };
        Tensor reference = DecoderLm.of(ckpt.config(), merged, ModelDtype.FLOAT32, CPU).logits(ids, mask);
        assertTrue(LogitsOracleTest.relativeError(adapted, reference, mask) < 1e-5);
      }
    }
  }

  @Test
  void loraAdaptersRoundTripInPeftLayout(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm m = model();
      Tensor ids = QWEN.input("input_ids"), mask = QWEN.input("attention_mask");
      m.attachLora(new LoraConfig(4, 16, 0.1, List.of("q_proj", "v_proj")));
      for (Tensor t : m.trainableParameters().values()) t.copy_(randn(t.sizes().vec().get()).mul(new Scalar(0.1)));
      LoraAdapters.save(m, dir, "tiny-qwen2");
      try (org.steer4j.io.SafeTensors st = org.steer4j.io.SafeTensors.open(dir.resolve(LoraAdapters.WEIGHTS))) {
        assertTrue(st.contains("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"), st.names().toString());
        assertEquals(2 * 2 * m.config().numLayers(), st.names().size());
      }
      DecoderLm other = model();
      LoraConfig loaded = LoraAdapters.load(other, dir);
      assertEquals(List.of("q_proj", "v_proj"), loaded.targets());
      assertEquals(4.0, loaded.scaling());
      assertEquals(0.0, diff(m.logits(ids, mask), other.logits(ids, mask)), 0.0);
    }
  }

  @Test
  void loraDropoutActsOnlyInTrainingMode() {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm m = model();
      Tensor ids = QWEN.input("input_ids"), mask = QWEN.input("attention_mask");
      m.attachLora(new LoraConfig(4, 8, 0.5, List.of("v_proj")));
      for (Tensor t : m.trainableParameters().values()) t.copy_(randn(t.sizes().vec().get()));
      assertEquals(0.0, diff(m.logits(ids, mask), m.logits(ids, mask)), 0.0, "eval: deterministic");
      m.train(true);
      assertTrue(diff(m.logits(ids, mask), m.logits(ids, mask)) > 0, "train: dropout masks differ");
      m.train(false);
    }
  }

  @Test
  void reducedPrecisionForwardsStayCloseToFloat32() {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      for (String family : new String[] {"llama", "qwen2", "gemma"}) {
        LlmFixtures.Fixture f = new LlmFixtures.Fixture(family, LlmFixtures.family(family));
        Tensor ids = f.input("input_ids"), mask = f.input("attention_mask"), expected = f.expected("logits");
        // bf16 keeps 8 mantissa bits (rel. 4e-3 per rounding), fp16 11: through 2 layers a few
        // percent and a few tenths of a percent of the largest logit
        double bf16 = LogitsOracleTest.relativeError(DecoderLm.load(f.dir(), ModelDtype.BFLOAT16, CPU).logits(ids, mask), expected, mask);
        double fp16 = LogitsOracleTest.relativeError(DecoderLm.load(f.dir(), ModelDtype.FLOAT16, CPU).logits(ids, mask), expected, mask);
        System.out.printf("%s: bf16 rel error %.2e, fp16 %.2e%n", family, bf16, fp16);
        assertTrue(bf16 < 5e-2, family + " bf16 " + bf16);
        assertTrue(fp16 < 1e-2, family + " fp16 " + fp16);
      }
    }
  }

  @Test
  void leftPaddingIsRejected() {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm m = model();
      Tensor ids = QWEN.input("input_ids");
      Tensor mask = QWEN.input("attention_mask").flip(new long[] {1});
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.logits(ids, mask));
      assertTrue(e.getMessage().contains("right-padded"), e.getMessage());
    }
  }

  @Test
  void lastTokenHiddenPicksEachRowsLastRealToken() {
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      DecoderLm m = model();
      Tensor ids = QWEN.input("input_ids"), mask = QWEN.input("attention_mask");
      Tensor all = m.hiddenStates(ids, mask, ForwardOptions.DEFAULT);
      Tensor last = m.lastTokenHidden(ids, mask, ForwardOptions.DEFAULT);
      assertArrayEquals(new long[] {3, m.config().hiddenSize()}, last.sizes().vec().get());
      long[] lengths = {9, 5, 1};
      for (int i = 0; i < 3; ++i) assertEquals(0.0, diff(last.select(0, i), all.select(0, i).select(0, lengths[i] - 1)), 0.0);
    }
  }
}
