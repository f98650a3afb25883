package org.steer4j.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.steer4j.runtime.Native;

/** Incremental decoding with a KV cache gives what re-running the whole sequence gives. */
class KvCacheTest {
  private static final Device CPU = new Device("cpu");

  @BeforeAll
  static void init() {
    Native.init(1);
  }

  static DecoderLm fixtureModel(String family) {
    return DecoderLm.load(LlmFixtures.family(family), ModelDtype.FLOAT32, CPU);
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama", "qwen2", "gemma"})
  void cachedGreedyGenerationEqualsUncachedTokenForToken(String family) {
    try (PointerScope scope = new PointerScope()) {
      DecoderLm model = fixtureModel(family);
      LlmFixtures.Fixture f = new LlmFixtures.Fixture(family, LlmFixtures.family(family));
      Tensor ids = f.input("input_ids"), mask = f.input("attention_mask");  // lengths 9, 5, 1
      long[][] cached = Generator.greedy(model, ids, mask, 16, ForwardOptions.DEFAULT, true);
      long[][] uncached = Generator.greedy(model, ids, mask, 16, ForwardOptions.DEFAULT, false);
      for (int i = 0; i < cached.length; ++i) assertArrayEquals(uncached[i], cached[i], family + " row " + i);
      // and each row alone, unpadded, continues the same way: padding leaks nothing into a row
      for (int i = 0; i < cached.length; ++i) {
        long length = mask.select(0, i).sum().item_long();
        Tensor alone = ids.narrow(0, i, 1).narrow(1, 0, length);
        assertArrayEquals(cached[i], Generator.greedy(model, alone, null, 16, ForwardOptions.DEFAULT, false)[0], family + " row " + i + " alone");
      }
    }
  }

  @Test
  void cachedGenerationKeepsFilmAndLoraOnEveryStep() {
    try (PointerScope scope = new PointerScope()) {
      DecoderLm model = fixtureModel("llama");
      model.attachLora(new LoraConfig(2, 4, 0.0, List.of("q_proj", "v_proj", "down_proj")));
      try (NoGradGuard guard = new NoGradGuard()) {
        for (Tensor t : model.trainableParameters().values()) t.copy_(org.bytedeco.pytorch.global.torch.randn(t.sizes().vec().get()).mul(new org.bytedeco.pytorch.Scalar(0.3)));
      }
      LlmFixtures.Fixture f = new LlmFixtures.Fixture("llama", LlmFixtures.family("llama"));
      Tensor ids = f.input("input_ids"), mask = f.input("attention_mask");
      long h = model.config().hiddenSize();
      List<Tensor> gammas = new java.util.ArrayList<>(), betas = new java.util.ArrayList<>();
      for (int l = 0; l < model.config().numLayers(); ++l) {
        gammas.add(org.bytedeco.pytorch.global.torch.randn(3, h).mul(new org.bytedeco.pytorch.Scalar(0.2)).add(new org.bytedeco.pytorch.Scalar(1)));
        betas.add(org.bytedeco.pytorch.global.torch.randn(3, h).mul(new org.bytedeco.pytorch.Scalar(0.2)));
      }
      ForwardOptions adapted = ForwardOptions.DEFAULT.withFilm(FilmModulation.of(gammas, betas));
      long[][] cached = Generator.greedy(model, ids, mask, 12, adapted, true);
      long[][] uncached = Generator.greedy(model, ids, mask, 12, adapted, false);
      long[][] base = Generator.greedy(model, ids, mask, 12, ForwardOptions.BASE, true);
      boolean differs = false;
      for (int i = 0; i < cached.length; ++i) {
        assertArrayEquals(uncached[i], cached[i], "row " + i);
        differs |= !java.util.Arrays.equals(base[i], cached[i]);
      }
      assertTrue(differs, "FiLM + LoRA should change some greedy continuation");
    }
  }

  @Test
  void chunkedPrefillMatchesOneForward() {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      DecoderLm model = fixtureModel("llama");
      Tensor ids = new LlmFixtures.Fixture("llama", LlmFixtures.family("llama")).input("input_ids").narrow(0, 0, 1);  // 9 real tokens
      Tensor whole = model.logits(ids, null);
      KvCache cache = model.newCache(1, 12);
      Tensor first = model.logits(ids.narrow(1, 0, 4), null, ForwardOptions.DEFAULT.withCache(cache));
      assertEquals(4, cache.length(0));
      Tensor second = model.logits(ids.narrow(1, 4, 5), null, ForwardOptions.DEFAULT.withCache(cache));
      assertEquals(9, cache.length(0));
      assertTrue(LogitsOracleTest.relativeError(first, whole.narrow(1, 0, 4), onesMask(1, 4)) < 1e-5);
      assertTrue(LogitsOracleTest.relativeError(second, whole.narrow(1, 4, 5), onesMask(1, 5)) < 1e-5);
    }
  }

  @Test
  void aRightPaddedChunkAdvancesEachSequenceByItsRealTokens() {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      DecoderLm model = fixtureModel("qwen2");
      LlmFixtures.Fixture f = new LlmFixtures.Fixture("qwen2", LlmFixtures.family("qwen2"));
      KvCache cache = model.newCache(3, 20);
      model.logits(f.input("input_ids"), f.input("attention_mask"), ForwardOptions.DEFAULT.withCache(cache));
      assertArrayEquals(new long[] {9, 5, 1}, cache.lengths());
    }
  }

  @Test
  void aFullCacheIsAnErrorNotACorruption() {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      DecoderLm model = fixtureModel("gemma");
      KvCache cache = model.newCache(1, 4);
      Tensor ids = Generator.pad(List.of(List.of(5L, 6L, 7L))).ids();
      model.logits(ids, null, ForwardOptions.DEFAULT.withCache(cache));
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> model.logits(ids, null, ForwardOptions.DEFAULT.withCache(cache)));
      assertTrue(e.getMessage().contains("KV cache full"), e.getMessage());
    }
  }

  static Tensor onesMask(long n, long s) {
    return org.bytedeco.pytorch.global.torch.ones(n, s);
  }
}
