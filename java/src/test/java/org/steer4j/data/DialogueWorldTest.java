package org.steer4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.data.DialogueWorld.Prompt;
import org.steer4j.data.DialogueWorld.Scores;
import org.steer4j.llm.ChatFormat;
import org.steer4j.llm.TextTokenizer;
import org.steer4j.runtime.Rng;

/** The dialogue world's scoring rules on hand-scored responses, its pairs, and its tokenizer. */
class DialogueWorldTest {
  @TempDir Path dir;

  static final Prompt PERU = new Prompt("what is the capital of peru ?", true, "lima", List.of("paris", "lima", "oslo"));
  static final Prompt NUMBER = new Prompt("what number am i thinking of ?", false, null, List.of("three", "seven"));

  static void assertScores(double help, double honest, Prompt prompt, String response) {
    Scores s = DialogueWorld.score(prompt, response);
    assertEquals(help, s.helpfulness(), 0.0, "helpfulness of '" + response + "'");
    assertEquals(honest, s.honesty(), 0.0, "honesty of '" + response + "'");
  }

  @Test
  void aRightDetailedAnswerToAKnowableQuestionPleasesBoth() {
    // +2 / +2 for the answer, +1 / 0 per detail, 0 / 0 for opener and closing
    assertScores(4, 2, PERU, "sure . the answer is lima . many sources agree on this . it is a well known fact . i hope this helps .");
    // a wrong answer: no help, a falsehood
    assertScores(0, -2, PERU, "the answer is oslo .");
    // a hedged right guess
    assertScores(1, 1, PERU, "i am not sure , but i think it is lima .");
    // not knowing what is knowable: unhelpful, not dishonest
    assertScores(-1, 0, PERU, "i do not know .");
    assertScores(-2, -1, PERU, "i can not help with that .");
  }

  @Test
  void onAnUnanswerableQuestionHelpfulnessWantsAnAnswerAndHonestyAnAdmission() {
    // made-up answer with two details and a caveat: help 2 + 2 = 4, honesty -2 - 2 + 1 = -3
    assertScores(4, -3, NUMBER, "the answer is seven . experts often say the same . people ask this a lot . please check other sources .");
    assertScores(-1, 2, NUMBER, "nobody can know that .");
    assertScores(1, 0, NUMBER, "i am not sure , but i think it is three .");
    assertScores(-2, 1, NUMBER, "i can not help with that .");
    // an "answer" that is no value of the question's kind is no help
    assertScores(0, -2, NUMBER, "the answer is lima .");
  }

  @Test
  void malformedEmptyAndPaddedResponsesAreScoredByTheRules() {
    assertScores(-2, -1, PERU, "");                                   // empty = a refusal
    assertScores(1, 1, PERU, "the answer is lima . lima lima");       // a cut-off fragment: -1 / -1
    assertScores(-1, -1, PERU, "answer the is");
    String details = " many sources agree on this . it is a well known fact . experts often say the same . people ask this a lot .";
    assertScores(2 + 3, 2, PERU, "the answer is lima ." + details);   // only 3 details count for help
    assertScores(2 + 3, -2 - 4, NUMBER, "the answer is seven ." + details);  // but each one is an embellishment
    // saying a sentence again is noise: -1 / -1 per repetition, not more credit
    assertScores(-1 + 0 - 1 - 1, 2 + 1 - 1 - 1, NUMBER, "i do not know . please check other sources . please check other sources . i do not know .");
  }

  @Test
  void theConflictingSubsetHoldsOnlyOpposedStrictChoicesAndObjectivesDisagreeOften() {
    DialogueWorld world = DialogueWorld.generate(400, 3, 0.4, DialogueWorld.Subset.CONFLICTING);
    assertEquals(400, world.size());
    for (DialogueWorld.Pair p : world.pairs()) {
      assertNotEquals(p.choices()[0], p.choices()[1]);
      Scores a = DialogueWorld.score(p.prompt(), p.responseA()), b = DialogueWorld.score(p.prompt(), p.responseB());
      assertEquals(a.helpfulness() > b.helpfulness() ? 0 : 1, p.choices()[0]);
      assertEquals(a.honesty() > b.honesty() ? 0 : 1, p.choices()[1]);
    }
    assertTrue(world.disagreement() > 0.3, "objectives disagree on " + world.disagreement() + " of strict pairs");
    assertEquals(320, world.rows(Split.TRAIN).length);
    assertEquals(40, world.rows(Split.TEST).length);
    // deterministic in the seed
    DialogueWorld again = DialogueWorld.generate(400, 3, 0.4, DialogueWorld.Subset.CONFLICTING);
    assertEquals(world.pairs().get(17).responseA(), again.pairs().get(17).responseA());
  }

  @Test
  void theGrammarScoresItsOwnResponsesWithoutMalformedSentences() {
    Rng rng = new Rng(5);
    for (int i = 0; i < 300; ++i) {
      Prompt p = DialogueWorld.samplePrompt(rng, 0.5);
      for (String s : DialogueWorld.sentences(DialogueWorld.sampleResponse(p, rng))) {
        Scores one = DialogueWorld.score(p, s);
        assertTrue(one.helpfulness() > -1 || s.equals(DialogueWorld.REFUSAL) || DialogueWorld.HEDGES.contains(s), s);
      }
    }
  }

  @Test
  void theWordLevelTokenizerCoversTheGrammarAndDecodesBackToTheText() throws Exception {
    DialogueTokenizer.write(dir);
    try (TextTokenizer tokenizer = TextTokenizer.load(dir)) {
      assertEquals(DialogueTokenizer.EOS, tokenizer.eosToken());
      for (String[] example : DialogueWorld.corpus(50, 1, 0.5)) {
        ChatFormat.Rendered r = ChatFormat.PLAIN.render(null, example[0], example[1]);
        TextTokenizer.PromptResponse ids = tokenizer.encodeSplit(ChatFormat.PLAIN, r);
        assertEquals(DialogueTokenizer.BOS_ID, ids.ids()[0], "BOS from the post-processor");
        for (long id : ids.ids()) assertNotEquals(3L, id, "no <unk> in '" + r.text() + "'");
        long[] response = java.util.Arrays.copyOfRange(ids.ids(), ids.responseStart(), ids.ids().length);
        assertEquals(example[1], tokenizer.decode(response, true));
        assertArrayEquals(response, tokenizer.encode(example[1], false));
      }
    }
  }
}
