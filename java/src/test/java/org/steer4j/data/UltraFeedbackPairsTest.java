package org.steer4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.data.UltraFeedbackPairs.Subset;

/**
 * The preparation rules on data/fixtures/ultrafeedback/sample.jsonl, 26 rows whose ratings are
 * listed in make_sample.py. Every count below was made by hand from that table (rows R1..R26
 * are the comments there).
 */
class UltraFeedbackPairsTest {
  static final Path SAMPLE = Path.of("../data/fixtures/ultrafeedback/sample.jsonl");
  static final byte T = PairsDataset.TIE;

  static List<UltraFeedback.Row> rows() {
    return UltraFeedback.read(SAMPLE);
  }

  @Test
  void completionsWithANonIntegerRatingAreDropped() {
    var s = UltraFeedbackPairs.build(rows(), Subset.ALL, 42, 0.8, 0.1).stats();
    assertEquals(26, s.rows());
    assertEquals(25, s.prompts(), "R6 and R7 share 'Explain recursion.'");
    assertEquals(60, s.completions());
    // R3 honesty N/A, R4 "3.5", R5 both N/A, R8 no annotations, R18 truthfulness N/A,
    // R19 instruction_following N/A: 1 + 1 + 2 + 1 + 1 + 1
    assertEquals(7, s.droppedCompletions());
  }

  @Test
  void everyUnorderedPairOfRatedCompletionsPerPromptIsAPair() {
    var r = UltraFeedbackPairs.build(rows(), Subset.ALL, 42, 0.8, 0.1);
    // R3 3, R4 3, R6+R7 grouped 4 -> 6, R8 1, R9 1, R10 1, R11 3, R12 1, R13 3, R14 1, R15 1,
    // R16 6, R17 1, R18 1, R20 3, R21..R26 1 each; R1, R2, R5, R19 have < 2 rated completions
    assertEquals(41, r.stats().pairs());
    assertEquals(41, r.pairs().size(), "ALL keeps every pair");
    assertEquals(UltraFeedback.ASPECTS, r.pairs().labels());
    assertEquals(3, count(r.pairs(), "What is 2 + 2?"));
    assertEquals(6, count(r.pairs(), "Explain recursion."));
    assertEquals(0, count(r.pairs(), "Name a primary colour."), "one completion: no pair");
    assertEquals(0, count(r.pairs(), "List three prime numbers."), "one rated completion left: no pair");
  }

  @Test
  void choicesFollowTheRatingsWithTies() {
    // R3 after dropping B: A(5,4,4,5) C(2,5,2,4) D(4,4,5,3), pairs (A,C), (A,D), (C,D)
    List<TextPairs.Pair> r3 = UltraFeedbackPairs.build(rows(), Subset.ALL, 42, 0.8, 0.1).pairs().pairs().stream()
        .filter(p -> p.prompt().equals("What is the capital of Australia?")).toList();
    assertEquals(3, r3.size());
    assertEquals("Canberra is the capital of Australia.", r3.get(0).responseA());
    assertEquals("I believe it is Canberra, though many assume Sydney.", r3.get(0).responseB());
    assertArrayEquals(new byte[] {0, 1, 0, 0}, r3.get(0).choices());
    assertArrayEquals(new byte[] {0, T, 1, 0}, r3.get(1).choices());
    assertArrayEquals(new byte[] {1, 0, 1, 0}, r3.get(2).choices());
    assertArrayEquals(new int[] {4, 4, 5, 3}, r3.get(1).ratingsB());
  }

  @Test
  void hhKeepsPairsWhereHelpfulnessAndHonestyDisagreeWithoutTies() {
    TextPairs hh = UltraFeedbackPairs.build(rows(), Subset.HH, 42, 0.8, 0.1).pairs();
    assertEquals(List.of("helpfulness", "honesty"), hh.labels());
    // R3 2, R6+R7 3, R8 1, R9 1, R12 1, R13 3, R15 1, R16 1, R18 1, R20 2, R21 1, R23 1, R26 1
    assertEquals(19, hh.size());
    for (TextPairs.Pair p : hh.pairs()) assertNotEquals(p.choices()[0], p.choices()[1], p.prompt());
    Map<String, Long> perPrompt = hh.pairs().stream().collect(Collectors.groupingBy(TextPairs.Pair::prompt, Collectors.counting()));
    assertEquals(3L, perPrompt.get("Explain recursion."));  // (A,B), (A,C), (B,C)
    assertEquals(3L, perPrompt.get("Summarise 'Hamlet' in one sentence."));
    assertNull(perPrompt.get("Spell 'necessary'."), "all ties");
    assertNull(perPrompt.get("What is 2 + 2?"), "unanimous");
    assertNull(perPrompt.get("Tell me a fact about octopuses."), "h and o agree (truthfulness differs)");
  }

  @Test
  void hhtKeepsPairsWhereTheThreeObjectivesAreNotUnanimousWithoutTies() {
    TextPairs hht = UltraFeedbackPairs.build(rows(), Subset.HHT, 42, 0.8, 0.1).pairs();
    assertEquals(List.of("helpfulness", "honesty", "truthfulness"), hht.labels());
    // R3 2, R6+R7 5, R8 1, R12 1, R13 2, R14 1, R15 1, R16 2, R18 1, R20 1, R21 1, R23 1, R25 1
    assertEquals(20, hht.size());
    for (TextPairs.Pair p : hht.pairs()) {
      byte[] c = p.choices();
      assertTrue(c[0] != T && c[1] != T && c[2] != T, p.prompt());
      assertTrue(!(c[0] == c[1] && c[1] == c[2]), p.prompt());
    }
    Map<String, Long> perPrompt = hht.pairs().stream().collect(Collectors.groupingBy(TextPairs.Pair::prompt, Collectors.counting()));
    assertEquals(5L, perPrompt.get("Explain recursion."), "(A,B) has a truthfulness tie");
    assertEquals(1L, perPrompt.get("Tell me a fact about octopuses."));
    assertNull(perPrompt.get("Is coffee bad for you?"), "truthfulness tie");
  }

  @Test
  void theSplitIsSeededAndExact() {
    TextPairs a = UltraFeedbackPairs.build(rows(), Subset.HHT, 42, 0.8, 0.1).pairs();
    TextPairs b = UltraFeedbackPairs.build(rows(), Subset.HHT, 42, 0.8, 0.1).pairs();
    TextPairs c = UltraFeedbackPairs.build(rows(), Subset.HHT, 7, 0.8, 0.1).pairs();
    assertEquals(splits(a), splits(b));
    assertNotEquals(splits(a), splits(c));
    // 20 pairs: floor(16.0) train, floor(2.0) val, the remaining 2 test
    assertEquals(16, splits(a).stream().filter(s -> s == Split.TRAIN).count());
    assertEquals(2, splits(a).stream().filter(s -> s == Split.VAL).count());
    assertEquals(2, splits(a).stream().filter(s -> s == Split.TEST).count());
    var hh = UltraFeedbackPairs.build(rows(), Subset.HH, 42, 0.8, 0.1).stats();
    assertEquals(List.of(15, 1, 3), List.of(hh.train(), hh.val(), hh.test()));  // 19: 15.2 -> 15, 1.9 -> 1, rest 3
  }

  @Test
  void theTableRoundTripsThroughJsonl(@TempDir Path dir) throws Exception {
    TextPairs hh = UltraFeedbackPairs.build(rows(), Subset.HH, 42, 0.8, 0.1).pairs();
    Path file = dir.resolve("pairs.jsonl");
    hh.write(file, UltraFeedback.ASPECTS);
    TextPairs back = TextPairs.read(file);
    assertEquals(hh.labels(), back.labels());
    assertEquals(hh.size(), back.size());
    for (int i = 0; i < hh.size(); ++i) {
      TextPairs.Pair x = hh.pairs().get(i), y = back.pairs().get(i);
      assertEquals(x.idx(), y.idx());
      assertEquals(x.split(), y.split());
      assertEquals(x.prompt(), y.prompt());
      assertEquals(x.responseB(), y.responseB());
      assertArrayEquals(x.choices(), y.choices());
      assertArrayEquals(x.ratingsA(), y.ratingsA());
    }
  }

  @Test
  void ratingsParseAsTheReferencesIntDoes() {
    var f = JsonNodeFactory.instance;
    assertEquals(4, UltraFeedback.integerRating(f.textNode("4")));
    assertEquals(4, UltraFeedback.integerRating(f.numberNode(4)));
    assertNull(UltraFeedback.integerRating(f.textNode("N/A")));
    assertNull(UltraFeedback.integerRating(f.textNode("3.5")));
    assertNull(UltraFeedback.integerRating(f.numberNode(3.5)));
    assertNull(UltraFeedback.integerRating(null));
  }

  @Test
  void aMalformedLineIsNamedByFileAndLine(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.jsonl");
    Files.writeString(file, Files.readAllLines(SAMPLE).get(0) + "\n{\"instruction\": \"x\", \"completions\": [\n");
    DatasetException e = assertThrows(DatasetException.class, () -> UltraFeedback.read(file));
    assertTrue(e.getMessage().startsWith(file + ": line 2: malformed JSON"), e.getMessage());
  }

  private static long count(TextPairs pairs, String prompt) {
    return pairs.pairs().stream().filter(p -> p.prompt().equals(prompt)).count();
  }

  private static List<Split> splits(TextPairs pairs) {
    return pairs.pairs().stream().map(TextPairs.Pair::split).toList();
  }
}
