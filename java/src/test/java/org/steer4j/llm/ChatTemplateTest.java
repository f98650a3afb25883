package org.steer4j.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.llm.ChatTemplate.ChatTemplateException;
import org.steer4j.policy.ChatEncoder;

/**
 * The checkpoints' own chat templates (data/fixtures/chat_templates/: the real ones of
 * Meta-Llama-3-8B-Instruct, Qwen2.5-Instruct, gemma-2-2b-it and Qwen3-8B, and a made-up one
 * using the Python idioms templates rely on) rendered as transformers' apply_chat_template renders
 * them: goldens.json was made by make_goldens.py with Jinja2 in transformers' environment.
 */
class ChatTemplateTest {
  static final Path DIR = Path.of("../data/fixtures/chat_templates");
  static final Path TOKENIZER = Path.of("../data/fixtures/tokenizer");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static JsonNode goldens;

  @BeforeAll
  static void load() throws IOException {
    goldens = JSON.readTree(DIR.resolve("goldens.json").toFile());
  }

  private static ChatTemplate fixture(String name) {
    return ChatTemplate.load(DIR.resolve(name)).orElseThrow();
  }

  private static List<Map<String, String>> messages(JsonNode node) {
    List<Map<String, String>> out = new ArrayList<>();
    for (JsonNode m : node) {
      Map<String, String> message = new LinkedHashMap<>();  // ordered as Python's dict
      m.fields().forEachRemaining(e -> message.put(e.getKey(), e.getValue().asText()));
      out.add(message);
    }
    return out;
  }

  @Test
  void rendersEveryGoldenByteForByteAsTransformers() {
    Map<String, ChatTemplate> templates = new HashMap<>();
    int texts = 0, errors = 0;
    for (JsonNode c : goldens.get("cases")) {
      String fixture = c.get("fixture").asText();
      ChatTemplate template = templates.computeIfAbsent(fixture, ChatTemplateTest::fixture);
      List<Map<String, String>> messages = messages(c.get("messages"));
      boolean generation = c.get("add_generation_prompt").asBoolean();
      String what = fixture + " / " + c.get("conversation").asText() + " / add_generation_prompt=" + generation;
      if (c.has("text")) {
        byte[] expected = c.get("text").asText().getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(expected, template.render(messages, generation).getBytes(StandardCharsets.UTF_8), what);
        ++texts;
      } else {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> template.render(messages, generation), what);
        assertTrue(e.getMessage().contains(c.get("error").asText()), e.getMessage());
        assertTrue(e.getMessage().startsWith(template.origin()), e.getMessage());
        ++errors;
      }
    }
    assertEquals(108, texts, "cases with a text");
    assertEquals(4, errors, "cases where the template raises (Gemma has no system role)");
  }

  @Test
  void rendersEverySnippetAsJinja() {
    List<Map<String, String>> messages = messages(goldens.get("snippet_messages"));
    int n = 0;
    for (JsonNode c : goldens.get("snippets")) {
      String source = c.get("source").asText();
      String rendered = ChatTemplate.of(source, Map.of("bos_token", "<s>"), "snippet").render(messages, true);
      assertEquals(c.get("text").asText(), rendered, source);
      ++n;
    }
    assertEquals(52, n);
  }

  @Test
  void theGoldensComeFromTheFixturesAsCommitted() throws IOException {
    // the templates the goldens were made from: an edited fixture without new goldens fails here
    assertEquals("ba03a121d097859c7b5b9cd03af99aafe95275210d2876f642ad9929a150f122", fixture("llama3").sha256());
    assertEquals("cd8e9439f0570856fd70470bf8889ebd8b5d1107207f67a5efb46e342330527f", fixture("qwen2.5").sha256());
    assertEquals("ecd6ae513fe103f0eb62e8ab5bfa8d0fe45c1074fa398b089c93a7e70c15cfd6", fixture("gemma-2").sha256());
    assertEquals("a55ee1b1660128b7098723e0abcd92caa0788061051c62d51cbe87d9cf1974d8", fixture("qwen3").sha256());
    assertTrue(goldens.get("transformers").asText().contains("5e43e2e892453b405ce6d2cb94387b3a3213f30a"));
  }

  @Test
  void specialTokensComeAsStringsFromEitherForm() {
    assertEquals(Map.of("bos_token", "<s>", "eos_token", "</s>"), fixture("idioms").specialTokens());  // bos as an AddedToken object
    Map<String, Object> qwen = fixture("qwen2.5").specialTokens();
    assertEquals("<|im_end|>", qwen.get("eos_token"));
    assertFalse(qwen.containsKey("bos_token"), "a null token is not passed (undefined in the template)");
    assertEquals("<|im_start|>", ((List<?>) qwen.get("additional_special_tokens")).get(0));
  }

  @Test
  void chatTemplateJinjaBesideTheConfigWins(@TempDir Path dir) throws IOException {
    writeConfig(dir, JSON.createObjectNode().put("bos_token", "<s>").put("chat_template", "from the config"));
    assertEquals("from the config", ChatTemplate.load(dir).orElseThrow().render(List.of(), false));
    Files.writeString(dir.resolve(ChatTemplate.JINJA_FILE), "{{ bos_token }}from the jinja file\n");
    ChatTemplate t = ChatTemplate.load(dir.resolve("tokenizer.json")).orElseThrow();  // the tokenizer file names the folder too
    assertEquals("<s>from the jinja file", t.render(List.of(), false), "Jinja drops the source's one trailing newline");
    assertEquals(dir.resolve(ChatTemplate.JINJA_FILE).toString(), t.origin());
  }

  @Test
  void aListOfNamedTemplatesUsesDefault(@TempDir Path dir) throws IOException {
    ObjectNode config = JSON.createObjectNode();
    config.putArray("chat_template").add(named("tool_use", "tools")).add(named("default", "plain {{ messages | length }}"));
    writeConfig(dir, config);
    assertEquals("plain 0", ChatTemplate.load(dir).orElseThrow().render(List.of(), true));
    config.putArray("chat_template").add(named("tool_use", "tools")).add(named("rag", "rag"));
    writeConfig(dir, config);
    ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.load(dir));
    assertTrue(e.getMessage().startsWith(dir.resolve(ChatTemplate.CONFIG_FILE).toString()) && e.getMessage().contains("[tool_use, rag]"), e.getMessage());
  }

  @Test
  void aCheckpointWithoutTemplateHasNone(@TempDir Path dir) throws IOException {
    assertEquals(Optional.empty(), ChatTemplate.load(dir));
    writeConfig(dir, JSON.createObjectNode().put("bos_token", "<s>"));
    assertEquals(Optional.empty(), ChatTemplate.load(dir));
  }

  @Test
  void formatChatTemplateUsesTheCheckpointsOwnAndFallsBackToTheFamilys(@TempDir Path dir) throws IOException {
    ModelConfig llama = ModelConfig.of(Family.LLAMA, 352, 32, 64, 2, 4, 2, 8);
    assertSame(ChatFormat.LLAMA3, TextConfig.Format.CHAT_TEMPLATE.renderer(llama, dir), "no template: the family's format");
    Files.copy(DIR.resolve("qwen2.5/tokenizer_config.json"), dir.resolve(ChatTemplate.CONFIG_FILE));
    ChatRenderer own = TextConfig.Format.CHAT_TEMPLATE.renderer(llama, dir);
    assertInstanceOf(ChatTemplate.class, own, "the checkpoint's template, whatever its family");
    assertEquals("chat_template:cd8e9439f057", own.id());
    assertSame(ChatFormat.GEMMA, TextConfig.Format.GEMMA.renderer(llama, dir), "a named format stays an explicit choice");
    assertSame(ChatFormat.PLAIN, TextConfig.Format.PLAIN.renderer(llama, dir));
  }

  @Test
  void theRealTemplatesSplitAnExchangeAsTheHandWrittenFormats() {
    // the hand-written formats were written from these templates: both must agree
    for (String[] exchange : new String[][] {{"What is 2+2?", "4."}, {" padded ", " answer "}, {"line\nbreak", "two\n\nlines"}}) {
      assertEquals(ChatFormat.LLAMA3.render(null, exchange[0], exchange[1]), fixture("llama3").render(null, exchange[0], exchange[1]));
      assertEquals(ChatFormat.LLAMA3.render("Be brief.", exchange[0], exchange[1]), fixture("llama3").render("Be brief.", exchange[0], exchange[1]));
      assertEquals(ChatFormat.CHATML.render(null, exchange[0], exchange[1]), fixture("qwen2.5").render(null, exchange[0], exchange[1]));
      assertEquals(ChatFormat.CHATML.render("Be brief.", exchange[0], exchange[1]), fixture("qwen2.5").render("Be brief.", exchange[0], exchange[1]));
      assertEquals(ChatFormat.GEMMA.render(null, exchange[0], exchange[1]), fixture("gemma-2").render(null, exchange[0], exchange[1]));
    }
    ChatFormat.Rendered qwen3 = fixture("qwen3").render(null, "Hi", "Hello");
    assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", qwen3.prompt());
    assertEquals("<think>\n\n</think>\n\nHello<|im_end|>\n", qwen3.response());
    assertEquals(Optional.of("<|eot_id|>"), fixture("llama3").endOfTurn());
    assertEquals(Optional.of("<|im_end|>"), fixture("qwen2.5").endOfTurn());
    assertEquals(Optional.of("<end_of_turn>"), fixture("gemma-2").endOfTurn());
    assertFalse(fixture("llama3").addSpecialTokens());
  }

  @Test
  void aPromptThatIsNotAPrefixOfTheConversationIsRefused(@TempDir Path dir) throws IOException {
    writeConfig(dir, JSON.createObjectNode().put("chat_template",
        "{% for m in messages %}[{{ m.content }}]{% endfor %}{% if add_generation_prompt %}<answer>{% endif %}"));
    ChatTemplate t = ChatTemplate.load(dir).orElseThrow();
    ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(null, "Hi", "Hello"));
    assertTrue(e.getMessage().startsWith(dir.resolve(ChatTemplate.CONFIG_FILE).toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not a prefix") && !e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void raiseExceptionFailsWithOneLineNamingTheFile() {
    ChatTemplate gemma = fixture("gemma-2");
    ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> gemma.render("a system prompt", "Hi", "Hello"));
    assertEquals(DIR.resolve("gemma-2/chat_template.jinja") + ": the chat template raised an exception: System role not supported", e.getMessage());
  }

  @Test
  void unsupportedConstructsFailWithOneLineNamingTheFileAndTheConstruct(@TempDir Path dir) throws IOException {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("{{ messages[0].content | wordcount }}", "the filter 'wordcount'");
    cases.put("{{ messages[0].content | no_such_filter }}", "the filter 'no_such_filter'");
    cases.put("{{ messages[0].content is containing 'x' }}", "the test 'containing'");
    cases.put("{{ messages[0].content.zfill(5) }}", "str.zfill()");
    cases.put("{{ messages[0].popitem() }}", "dict.popitem()");
    cases.put("{{ messages.append(1) }}", "list.append()");
    cases.put("{% do messages %}", "{% do %}");
    cases.put("{% with x = 1 %}{{ x }}{% endwith %}", "with");
    cases.put("{% filter upper %}x{% endfilter %}", "filter");
    cases.put("{% include 'other.jinja' %}", "{% include %}");
    cases.put("{{ undefined_thing.attribute }}", "'attribute' of an undefined value");
    cases.put("{{ bos_token + messages[0].content }}", "'+' of Undefined and str");
    cases.put("{{ none + 'x' }}", "'+' of NoneType and str");
    cases.put("{% for m in [] %}x{% else %}empty{% endfor %}", "{% for %} ... {% else %}");
    cases.put("{% for x in none %}{{ x }}{% endfor %}", "'NoneType' object is not iterable");
    cases.put("{% for m in messages if m.role == 'user' %}{{ m.content }}{% endfor %}", "a filtered loop");
    cases.put("{{ '\\u00e9' }}", "escape");
    cases.put("{{ 'x' + 1 }}", "'+' of str and int");
    cases.put("{% for m in messages %}{{ loop.previtem }}{% endfor %}", "previtem");
    cases.put("{{ lipsum(2) }}", "lipsum");
    cases.put("{{ messages[0].content.split('') }}", "empty separator");
    cases.put("{% if %}x{% endif %}", "if");
    Path file = dir.resolve(ChatTemplate.CONFIG_FILE);
    List<Map<String, String>> messages = List.of(Map.of("role", "user", "content", "Hi"));
    for (var c : cases.entrySet()) {
      writeConfig(dir, JSON.createObjectNode().put("chat_template", c.getKey()));
      ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.load(dir).orElseThrow().render(messages, true), c.getKey());
      assertTrue(e.getMessage().startsWith(file + ": "), c.getKey() + " -> " + e.getMessage());
      assertTrue(e.getMessage().contains(c.getValue()), c.getKey() + " -> " + e.getMessage());
      assertFalse(e.getMessage().contains("\n"), c.getKey() + " -> " + e.getMessage());
    }
  }

  @Test
  void pythonSemanticsWhereJavaWouldDiffer() {
    List<Map<String, String>> messages = List.of(Map.of("role", "user", "content", "False"));
    assertEquals("T", render("{% if messages[0].content %}T{% else %}F{% endif %}", messages), "a non-empty str is true, \"False\" too");
    assertEquals("False True", render("{{ 1 == '1' }} {{ 1 == 1.0 }}", messages), "no coercion between str and int");
    assertEquals("3 🤖ab ba🤖", render("{{ '🤖ab' | length }} {{ '🤖ab'[0:] }} {{ '🤖ab'[::-1] }}", messages), "code points, not UTF-16 units");
    assertEquals("True [1, 'a', None] {'k': False} 1.5 1e+20", render("{{ true }} {{ [1, 'a', none] }} {{ {'k': false} }} {{ 1.5 }} {{ 1e20 }}", messages),
        "values print as Python's str()");
    assertEquals("{% raw %} stays", render("{{ messages[0].content }}", List.of(Map.of("role", "user", "content", "{% raw %} stays"))),
        "message text is data, never template source");
  }

  @Test
  void strftimeNowIsTheLocalDate() {
    String before = LocalDate.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd"));
    String rendered = render("{{ strftime_now('%Y-%m-%d') }}", List.of());
    String after = LocalDate.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd"));
    assertTrue(rendered.equals(before) || rendered.equals(after), rendered);
    // Llama 3.2's template asks whether the function exists before calling it
    String llama32 = render("{%- if strftime_now is defined %}{{- strftime_now('%Y-%m-%d') }}{%- else %}26 Jul 2024{%- endif %}", List.of());
    assertTrue(llama32.equals(before) || llama32.equals(LocalDate.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd"))), llama32);
    assertEquals(Py.strftime(java.time.LocalDateTime.of(2024, 7, 26, 9, 5), "%d %b %Y, %A %B %H:%M %p"), "26 Jul 2024, Friday July 09:05 AM");
  }

  private static String render(String source, List<Map<String, String>> messages) {
    return ChatTemplate.of(source, Map.of(), "test").render(messages, false);
  }

  // ---- token ids: apply_chat_template(tokenize=True) ----

  /** The tiny BPE fixture (its post-processor adds <|begin_of_text|>) with {@code fixture}'s template and special tokens. */
  private static TextTokenizer tokenizer(Path dir, String fixture) throws IOException {
    Files.copy(TOKENIZER.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    Path from = DIR.resolve(fixture);
    Files.copy(from.resolve(ChatTemplate.CONFIG_FILE), dir.resolve(ChatTemplate.CONFIG_FILE));
    if (Files.exists(from.resolve(ChatTemplate.JINJA_FILE))) Files.copy(from.resolve(ChatTemplate.JINJA_FILE), dir.resolve(ChatTemplate.JINJA_FILE));
    return TextTokenizer.load(dir);
  }

  private static long count(long[] ids, long id) {
    return Arrays.stream(ids).filter(i -> i == id).count();
  }

  @Test
  void aTemplateWritingBosGetsExactlyOne(@TempDir Path dir) throws IOException {
    try (TextTokenizer tok = tokenizer(dir, "llama3")) {
      long bos = tok.tokenId("<|begin_of_text|>").getAsLong(), eot = tok.tokenId("<|eot_id|>").getAsLong();
      assertEquals(bos, tok.encode("x", true)[0], "the fixture's post-processor adds BOS");
      ChatRenderer template = TextConfig.Format.CHAT_TEMPLATE.renderer(ModelConfig.of(Family.LLAMA, 352, 32, 64, 2, 4, 2, 8), tok.file());
      ChatEncoder chat = new ChatEncoder(tok, template, null, tok.tokenId("<|end_of_text|>").getAsLong());
      long[] prompt = chat.prompt("What is the capital of France?");
      assertEquals(bos, prompt[0]);
      assertEquals(1, count(prompt, bos), Arrays.toString(prompt));
      String expectedPrompt = fixture("llama3").render(List.of(Map.of("role", "user", "content", "What is the capital of France?")), true);
      assertArrayEquals(tok.encode(expectedPrompt, false), prompt, "add_generation_prompt=True rendering, tokenized without special tokens");
      assertTrue(tok.decode(prompt, false).endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n"));
      long[] response = chat.response("What is the capital of France?", "Paris.");
      assertEquals(eot, response[response.length - 1], "the template's terminator ends the response; no EOS appended");
      assertEquals(0, count(response, bos));
      long[] text = chat.text("What is the capital of France?", "Paris.");
      assertEquals(1, count(text, bos));
      assertArrayEquals(text, Embedder.encode(tok, template, null, List.<String[]>of(new String[] {"What is the capital of France?", "Paris."})).get(0));
      String whole = fixture("llama3").render(List.of(Map.of("role", "user", "content", "What is the capital of France?"),
          Map.of("role", "assistant", "content", "Paris.")), false);
      assertArrayEquals(tok.encode(whole, false), text, "the whole conversation, tokenized without special tokens");
      assertArrayEquals(text, concat(prompt, response), "a special token at the boundary: split and whole tokenize alike");
      assertTrue(Arrays.stream(chat.stopTokens()).anyMatch(i -> i == eot));
    }
  }

  @Test
  void aTemplateWithAnotherBosGetsNoneFromThePostProcessor(@TempDir Path dir) throws IOException {
    try (TextTokenizer tok = tokenizer(dir, "gemma-2")) {
      long llamaBos = tok.tokenId("<|begin_of_text|>").getAsLong(), gemmaBos = tok.tokenId("<bos>").getAsLong();
      ChatRenderer template = TextConfig.Format.CHAT_TEMPLATE.renderer(ModelConfig.of(Family.GEMMA, 352, 32, 64, 2, 4, 2, 8), tok.file());
      long[] ids = tok.encode(template, template.render(null, "Hi", "Hello"));
      assertEquals(gemmaBos, ids[0]);
      assertEquals(1, count(ids, gemmaBos));
      assertEquals(0, count(ids, llamaBos), "the tokenizer's own BOS is not added to a template's text");
      assertEquals("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n", tok.decode(ids, false));
    }
  }

  @Test
  void aTemplateWithoutBosGetsNone(@TempDir Path dir) throws IOException {
    try (TextTokenizer tok = tokenizer(dir, "qwen2.5")) {
      ChatRenderer template = TextConfig.Format.CHAT_TEMPLATE.renderer(ModelConfig.of(Family.QWEN2, 352, 32, 64, 2, 4, 2, 8), tok.file());
      ChatEncoder chat = new ChatEncoder(tok, template, "Be brief.", tok.tokenId("<|im_end|>").getAsLong());
      long[] prompt = chat.prompt("Hi");
      assertEquals(tok.tokenId("<|im_start|>").getAsLong(), prompt[0], "Qwen's template writes no BOS, and none is added");
      assertEquals(0, count(prompt, tok.tokenId("<|begin_of_text|>").getAsLong()));
      assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", tok.decode(prompt, false));
      long[] plain = new ChatEncoder(tok, ChatFormat.PLAIN, null, 337).prompt("Hi");
      assertEquals(tok.tokenId("<|begin_of_text|>").getAsLong(), plain[0], "the plain format keeps the post-processor's BOS");
    }
  }

  private static long[] concat(long[] a, long[] b) {
    long[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static ObjectNode named(String name, String template) {
    return JSON.createObjectNode().put("name", name).put("template", template);
  }

  private static void writeConfig(Path dir, ObjectNode config) throws IOException {
    Files.writeString(dir.resolve(ChatTemplate.CONFIG_FILE), JSON.writeValueAsString(config));
  }
}
