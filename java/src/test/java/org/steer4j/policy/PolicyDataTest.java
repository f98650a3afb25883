package org.steer4j.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.data.PairsDataset;
import org.steer4j.data.Split;
import org.steer4j.data.TextPairs;
import org.steer4j.io.TensorCache;
import org.steer4j.llm.DecoderLm;
import org.steer4j.runtime.Native;

/** A text-pairs table (as `steer4j prepare` writes it) joined with its embeddings dataset (as `steer4j embed` writes it). */
class PolicyDataTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(2);
  }

  @Test
  void textPairsJoinTheirEmbeddingsRowByRowThroughTheSourceIndex() throws Exception {
    List<TextPairs.Pair> pairs = new ArrayList<>();
    String[] prompts = {"what color is snow ?", "what is the capital of peru ?", "what number am i thinking of ?",
        "what color is grass ?", "how many legs does a dog have ?", "what color is coal ?"};
    for (int i = 0; i < 6; ++i) {
      pairs.add(new TextPairs.Pair(10 + i, i < 4 ? Split.TRAIN : Split.TEST, prompts[i], "the answer is " + i + " .", "i do not know .",
          new byte[] {(byte) (i % 2), PairsDataset.TIE}, null, null));
    }
    Path table = dir.resolve("text_pairs.jsonl");
    new TextPairs(List.of("helpfulness", "honesty"), pairs).write(table, List.of());
    // the embedder kept table pairs with idx 15, 10, 13, 12 (in its own row order) and dropped 11 and 14
    int[] embeddedIdx = {15, 10, 13, 12};
    float[] a = new float[4 * 3], b = new float[4 * 3];
    for (int r = 0; r < 4; ++r) {
      for (int d = 0; d < 3; ++d) {
        a[3 * r + d] = 100 * embeddedIdx[r] + d;
        b[3 * r + d] = -(100 * embeddedIdx[r] + d);
      }
    }
    Path embeddings = dir.resolve("embedded");
    Split[] splits = {Split.TEST, Split.TRAIN, Split.TRAIN, Split.TRAIN};
    PairsDataset.of(org.bytedeco.pytorch.global.torch.tensor(a).view(4, 3), org.bytedeco.pytorch.global.torch.tensor(b).view(4, 3),
        List.of("helpfulness", "honesty"), splits, new byte[][] {{1, 0, 1, 0}, {-1, -1, -1, -1}}).write(embeddings);
    StringBuilder index = new StringBuilder("row,source_idx\n");
    for (int r = 0; r < 4; ++r) index.append(r).append(',').append(embeddedIdx[r]).append('\n');
    Files.writeString(embeddings.resolve("source_index.csv"), index.toString());

    PolicyDataConfig config = new PolicyDataConfig(PolicyDataConfig.Source.TEXT_PAIRS, PolicyDataConfig.DialogueConfig.defaults(), table.toString(),
        embeddings.toString(), List.of("helpfulness"), dir.resolve("cache").toString());
    ChatEncoder chat = PolicyFixtures.chat(dir.resolve("tok"));
    DecoderLm model = PolicyFixtures.model(1, 0.1);
    PolicyData data = PolicyData.load(config, model, "fp", chat, 96, new TensorCache(dir.resolve("cache")), null);

    assertNull(data.world());
    assertEquals(4, data.pairs().size(), "the pairs that were embedded, in the table's order: idx 10, 12, 13, 15");
    int[] tableRows = {0, 2, 3, 5};
    for (int i = 0; i < 4; ++i) {
      int idx = 10 + tableRows[i];
      Tensor row = data.pairs().featuresA().select(0, i);
      assertEquals(100.0 * idx, row.select(0, 0).item_double(), 0, "features of idx " + idx);
      assertEquals(-(100.0 * idx + 2), data.pairs().featuresB().select(0, i).select(0, 2).item_double(), 0);
      assertEquals(pairs.get(tableRows[i]).split(), data.pairs().split(i));
      assertEquals(tableRows[i] % 2, data.pairs().choice(0, i));
      assertArrayEquals(chat.prompt(prompts[tableRows[i]]), data.sequences().prompt(i));
      assertArrayEquals(chat.response(prompts[tableRows[i]], "i do not know ."), data.sequences().response(i, 1));
    }
    assertEquals(List.of("helpfulness"), data.labels());
    assertTrue(data.description().contains("context features from " + embeddings), data.description());

    // a length limit drops what does not fit, and says so
    PolicyData shorter = PolicyData.load(config, model, "fp", chat, 17, new TensorCache(dir.resolve("cache")), null);
    assertTrue(shorter.pairs().size() < 4 && shorter.description().contains("longer than 17 tokens"), shorter.description());
  }
}
