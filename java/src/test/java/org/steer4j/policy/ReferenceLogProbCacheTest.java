package org.steer4j.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.policy.DpoConfig.LogProb;
import org.steer4j.llm.DecoderLm;
import org.steer4j.runtime.Native;

/** Reference log-probs are computed once per (model, data, tokenizer) and reused from disk. */
class ReferenceLogProbCacheTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(2);
  }

  static PairSequences sequences(long lastToken) {
    List<long[]> prompts = new ArrayList<>(), a = new ArrayList<>(), b = new ArrayList<>();
    for (int i = 0; i < 5; ++i) {
      prompts.add(new long[] {1, 10 + i, 11 + i});
      a.add(new long[] {20 + i, 2});
      b.add(new long[] {30 + i, 31, i == 4 ? lastToken : 2});
    }
    return new PairSequences(prompts, a, b);
  }

  @Test
  void theSecondRunReadsTheTableAndAChangedModelOrDataRecomputes() throws Exception {
    try (PointerScope scope = new PointerScope()) {
      Path tokenizer = dir.resolve("tok");
      PolicyFixtures.chat(tokenizer).tokenizer().close();
      DecoderLm model = PolicyFixtures.model(1, 0.1);
      PairSequences data = sequences(2);
      String key = ReferenceLogProbCache.key(ReferenceLogProbCache.modelFingerprint(model), data, tokenizer.resolve("tokenizer.json"));

      ReferenceLogProbCache first = new ReferenceLogProbCache(dir.resolve("cache"));
      float[][] computed = first.get(key, model, data, 3, LogProb.FUSED, null);
      assertEquals(1, first.computations());
      assertEquals(0, first.hits());
      float[][] direct = ReferenceLogProbCache.table(ReferenceLogProbCache.compute(model, data, 4, LogProb.EAGER, null));
      for (int r = 0; r < 5; ++r) assertArrayEquals(direct[r], computed[r], 1e-4f, "row " + r + " against a direct computation");

      // another run (a new cache object on the same directory): read, not recomputed
      ReferenceLogProbCache second = new ReferenceLogProbCache(dir.resolve("cache"));
      float[][] reused = second.get(key, model, data, 3, LogProb.FUSED, null);
      assertEquals(0, second.computations());
      assertEquals(1, second.hits());
      for (int r = 0; r < 5; ++r) assertArrayEquals(computed[r], reused[r], 0f);

      // other weights: another key, recomputed
      DecoderLm other = PolicyFixtures.model(2, 0.1);
      String otherModel = ReferenceLogProbCache.key(ReferenceLogProbCache.modelFingerprint(other), data, tokenizer.resolve("tokenizer.json"));
      assertNotEquals(key, otherModel);
      second.get(otherModel, other, data, 3, LogProb.FUSED, null);
      assertEquals(1, second.computations());

      // one token of one response changed: another key, recomputed
      PairSequences changed = sequences(3);
      String otherData = ReferenceLogProbCache.key(ReferenceLogProbCache.modelFingerprint(model), changed, tokenizer.resolve("tokenizer.json"));
      assertNotEquals(key, otherData);
      float[][] recomputed = second.get(otherData, model, changed, 3, LogProb.FUSED, null);
      assertEquals(2, second.computations());
      assertNotEquals(computed[4][1], recomputed[4][1]);
      assertEquals(computed[0][0], recomputed[0][0], 1e-5f);

      // another tokenizer file: another key
      java.nio.file.Files.writeString(tokenizer.resolve("tokenizer.json"), java.nio.file.Files.readString(tokenizer.resolve("tokenizer.json")) + " ");
      assertNotEquals(key, ReferenceLogProbCache.key(ReferenceLogProbCache.modelFingerprint(model), data, tokenizer.resolve("tokenizer.json")));
    }
  }
}
