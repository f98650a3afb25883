package org.steer4j.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hand-made byte-level BPE fixture (data/fixtures/tokenizer/, made by make_tokenizer.py)
 * through DJL's Rust tokenizer, and the chat formats.
 */
class TokenizerTest {
  static final Path DIR = Path.of("../data/fixtures/tokenizer");
  private static TextTokenizer tokenizer;
  private static JsonNode expected;

  @BeforeAll
  static void load() throws Exception {
    tokenizer = TextTokenizer.load(DIR);
    expected = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  @Test
  void encodesAsTheIndependentPythonBpeDoes() {
    for (JsonNode e : expected.get("encodings")) {
      long[] ids = new long[e.get("ids").size()];
      for (int i = 0; i < ids.length; ++i) ids[i] = e.get("ids").get(i).asLong();
      String text = e.get("text").asText();
      assertArrayEquals(ids, tokenizer.encode(text, false), text);
      long[] withBos = tokenizer.encode(text, true);
      assertEquals(expected.get("bos").asLong(), withBos[0], "the post-processor adds BOS");
      assertArrayEquals(ids, Arrays.copyOfRange(withBos, 1, withBos.length));
    }
  }

  @Test
  void decodingInvertsEncodingForAnyUtf8() {
    for (String text : List.of("Hello, world!", "héllo wörld ☃ 日本語\n\ttabs  and  spaces", "")) {
      assertEquals(text, tokenizer.decode(tokenizer.encode(text, false), false));
    }
  }

  @Test
  void specialTokensInTextAreSingleIds() {
    long eot = expected.get("specials").get("<|eot_id|>").asLong();
    assertEquals(eot, tokenizer.tokenId("<|eot_id|>").getAsLong());
    long[] ids = tokenizer.encode("hi<|eot_id|>there", false);
    assertEquals(1, Arrays.stream(ids).filter(i -> i == eot).count(), Arrays.toString(ids));
    assertTrue(tokenizer.tokenId("not a single token").isEmpty());
  }

  @Test
  void bosAndEosComeFromTokenizerConfig() {
    assertEquals("<|begin_of_text|>", tokenizer.bosToken());
    assertEquals("<|end_of_text|>", tokenizer.eosToken());
  }

  @Test
  void aMissingTokenizerNamesTheFile() {
    TokenizerException e = assertThrows(TokenizerException.class, () -> TextTokenizer.load(Path.of("/nonexistent/model")));
    assertTrue(e.getMessage().contains("/nonexistent/model/tokenizer.json"), e.getMessage());
  }

  @Test
  void chatFormatsRenderAsTheFamiliesTemplates() {
    String p = " What is 2+2? ", r = " 4. ";
    assertEquals("Human:  What is 2+2? \n\nAssistant:  4. ", ChatFormat.PLAIN.render(null, p, r).text());
    assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
        + "<|start_header_id|>assistant<|end_header_id|>\n\n4.<|eot_id|>", ChatFormat.LLAMA3.render(null, p, r).text());
    assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        ChatFormat.LLAMA3.render("Be brief.", p, r).prompt());
    assertEquals("<|im_start|>system\n" + ChatFormat.QWEN25_SYSTEM + "<|im_end|>\n<|im_start|>user\n What is 2+2? <|im_end|>\n"
        + "<|im_start|>assistant\n 4. <|im_end|>\n", ChatFormat.CHATML.render(null, p, r).text());
    assertEquals("<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n4.<end_of_turn>\n",
        ChatFormat.GEMMA.render(null, p, r).text());
    assertThrows(IllegalArgumentException.class, () -> ChatFormat.GEMMA.render("sys", p, r));
    assertEquals(ChatFormat.CHATML, ChatFormat.of(Family.QWEN2));
  }

  @Test
  void aTemplateCarriesExactlyOneBos() {
    long bos = expected.get("bos").asLong();
    ChatFormat.Rendered llama = ChatFormat.LLAMA3.render(null, "Hi", "Hello");
    long[] ids = tokenizer.encode(ChatFormat.LLAMA3, llama);
    assertEquals(bos, ids[0]);
    assertEquals(1, Arrays.stream(ids).filter(i -> i == bos).count());
    long[] plain = tokenizer.encode(ChatFormat.PLAIN, ChatFormat.PLAIN.render(null, "Hi", "Hello"));
    assertEquals(bos, plain[0]);
  }

  @Test
  void splitEncodingMarksWhereTheResponseStarts() {
    ChatFormat.Rendered r = ChatFormat.PLAIN.render(null, "What is the capital of France?", "Paris.");
    TextTokenizer.PromptResponse pr = tokenizer.encodeSplit(ChatFormat.PLAIN, r);
    long[] response = Arrays.copyOfRange(pr.ids(), pr.responseStart(), pr.ids().length);
    assertEquals(" Paris.", tokenizer.decode(response, false));
    // on this byte-level BPE the boundary falls between pre-tokenized words: same ids as one text
    assertArrayEquals(tokenizer.encode(ChatFormat.PLAIN, r), pr.ids());
  }
}
