package org.steer4j.policy;

import static org.bytedeco.pytorch.global.torch.randn;
import static org.bytedeco.pytorch.global.torch.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.ForwardOptions;
import org.steer4j.llm.Generator;
import org.steer4j.llm.KvCache;
import org.steer4j.runtime.Native;

/** Batched decoding: the KV cache and the native decode attention change nothing; sampling is seeded. */
class SampledGeneratorTest {
  static final List<long[]> PROMPTS = List.of(new long[] {1, 5, 9, 13, 17, 21, 25}, new long[] {1, 30, 31}, new long[] {1});

  @BeforeAll
  static void init() {
    Native.init(2);
  }

  static long[][] tokens(List<SampledGenerator.Generation> g) {
    return g.stream().map(SampledGenerator.Generation::tokens).toArray(long[][]::new);
  }

  /** A conditioned policy whose LoRA and FiLM are far from the identity. */
  static Policy conditionedPolicy(DecoderLm model) {
    Policy policy = Policy.create(model, PolicyFixtures.policyConfig("np_dpo", List.of()).policy(), 8);
    try (NoGradGuard guard = new NoGradGuard()) {
      for (Tensor t : policy.trainableState().values()) t.add_(randn(t.sizes().vec().get()).mul(new Scalar(0.3)));
    }
    return policy;
  }

  @Test
  void cachedGreedyGenerationEqualsUncachedTokenForTokenWithFilmAndNativeAttention() {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      DecoderLm model = PolicyFixtures.model(11, 0.3);
      Policy policy = conditionedPolicy(model);
      ForwardOptions conditioned = policy.options(randn(3, 16));  // one user per prompt
      Sampling greedy = Sampling.greedy(12);  // no stop token: all 12 steps
      long[][] nativeCached = tokens(new SampledGenerator(model, true, true).generate(PROMPTS, conditioned, greedy));
      long[][] eagerCached = tokens(new SampledGenerator(model, true, false).generate(PROMPTS, conditioned, greedy));
      long[][] uncached = tokens(new SampledGenerator(model, false, true).generate(PROMPTS, conditioned, greedy));
      long[][] reference = Generator.greedy(model, padded().ids(), padded().mask(), 12, conditioned, false);
      long[][] base = tokens(new SampledGenerator(model).generate(PROMPTS, ForwardOptions.BASE, greedy));
      boolean steered = false;
      for (int i = 0; i < PROMPTS.size(); ++i) {
        assertEquals(12, nativeCached[i].length);
        assertArrayEquals(uncached[i], nativeCached[i], "cached (native attention) vs re-encoding, row " + i);
        assertArrayEquals(uncached[i], eagerCached[i], "cached (eager attention) vs re-encoding, row " + i);
        assertArrayEquals(reference[i], nativeCached[i], "vs the LLM stack's greedy generator, row " + i);
        steered |= !Arrays.equals(base[i], nativeCached[i]);
      }
      assertTrue(steered, "FiLM + LoRA must change some continuation (else this test proves nothing)");
    }
  }

  static SequenceBatch padded() {
    return SequenceBatch.of(PROMPTS, new long[PROMPTS.size()], PolicyFixtures.cpu());
  }

  @Test
  void theNativeDecodeStepMatchesTheEagerAttentionOverTheCache() {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      DecoderLm model = PolicyFixtures.model(12, 0.3);
      SequenceBatch b = padded();
      Tensor[] steps = new Tensor[2];
      for (int k = 0; k < 2; ++k) {
        KvCache cache = model.newCache(3, 16);
        ForwardOptions o = ForwardOptions.BASE.withCache(cache).withNativeDecodeAttention(k == 0);
        model.logits(b.ids(), b.mask(), o);
        steps[k] = model.logits(tensor(new long[] {7, 8, 9}).view(3, 1), null, o);
      }
      // float32 softmax-weighted sums in another order: agreement to ~1e-6 of logits of O(1)
      assertEquals(0.0, steps[0].sub(steps[1]).abs().max().item_double(), 1e-4);
    }
  }

  @Test
  void samplingIsSeededPerSequenceAndReproducible() {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      DecoderLm model = PolicyFixtures.model(13, 0.05);  // flat distributions: samples differ from greedy
      SampledGenerator generator = new SampledGenerator(model);
      Sampling a = new Sampling(1.0, 0.9, 10, new long[0], 7);
      long[][] first = tokens(generator.generate(PROMPTS, ForwardOptions.BASE, a));
      long[][] again = tokens(generator.generate(PROMPTS, ForwardOptions.BASE, a));
      long[][] otherSeed = tokens(generator.generate(PROMPTS, ForwardOptions.BASE, new Sampling(1.0, 0.9, 10, new long[0], 8)));
      long[][] greedy = tokens(generator.generate(PROMPTS, ForwardOptions.BASE, Sampling.greedy(10)));
      for (int i = 0; i < PROMPTS.size(); ++i) assertArrayEquals(first[i], again[i], "same seed, row " + i);
      assertFalse(Arrays.deepEquals(first, otherSeed), "another seed draws other tokens");
      assertFalse(Arrays.deepEquals(first, greedy), "temperature 1 is not greedy");
      // a row's draws do not depend on the other rows of the batch
      long[][] alone = tokens(generator.generate(List.of(PROMPTS.get(0)), ForwardOptions.BASE, a));
      assertArrayEquals(first[0], alone[0]);
      // a vanishing nucleus keeps the most likely token only: greedy
      long[][] nucleus = tokens(generator.generate(PROMPTS, ForwardOptions.BASE, new Sampling(1.0, 1e-6, 10, new long[0], 9)));
      for (int i = 0; i < PROMPTS.size(); ++i) assertArrayEquals(greedy[i], nucleus[i], "top-p -> 0 is greedy, row " + i);
    }
  }

  @Test
  void aSequenceEndsAtItsStopTokenWhileTheOthersGoOn() {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      DecoderLm model = PolicyFixtures.model(14, 0.3);
      long[][] free = tokens(new SampledGenerator(model).generate(PROMPTS, ForwardOptions.BASE, Sampling.greedy(8)));
      long stop = free[0][2];  // row 0's third token
      List<SampledGenerator.Generation> g = new SampledGenerator(model).generate(PROMPTS, ForwardOptions.BASE, Sampling.greedy(8, stop));
      assertTrue(g.get(0).stopped());
      int at = 0;
      while (free[0][at] != stop) ++at;
      assertArrayEquals(Arrays.copyOf(free[0], at), g.get(0).tokens(), "row 0 ends before its stop token");
      for (int i = 1; i < PROMPTS.size(); ++i) {
        List<Long> expected = new ArrayList<>();
        for (long t : free[i]) {
          if (t == stop) break;
          expected.add(t);
        }
        assertArrayEquals(expected.stream().mapToLong(Long::longValue).toArray(), g.get(i).tokens(), "row " + i);
      }
    }
  }
}
