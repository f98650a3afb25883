package org.steer4j.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A checkpoint's own chat template (the Jinja {@code chat_template} of {@code
 * tokenizer_config.json}, or {@code chat_template.jinja} beside it), rendered the way Hugging Face
 * transformers' {@code apply_chat_template} renders it: Jinja with {@code trim_blocks} and {@code
 * lstrip_blocks}, loop controls, the {@code messages}, {@code add_generation_prompt}, {@code tools}
 * / {@code documents} (none) and the tokenizer's special tokens as variables, the functions {@code
 * raise_exception} and {@code strftime_now}, and Python's semantics for the values (the {@code str}
 * methods templates call, truthiness, {@code tojson} as {@code json.dumps}). The engine is Jinjava
 * ({@link JinjaEnvironment}); what it does not do as Jinja does is refused with one error naming
 * the file and the construct, never rendered differently.
 *
 * <p>As a {@link ChatRenderer} an exchange is the messages [system?, user] and [system?, user,
 * assistant]: the prompt is the first rendered with {@code add_generation_prompt=True}, the
 * response what the full conversation (without the generation prompt) adds after it. Token ids
 * come from the rendered text tokenized without the tokenizer's special tokens ({@code
 * apply_chat_template(tokenize=True)} semantics: a template that writes {@code bos_token} gets one).
 */
public final class ChatTemplate implements ChatRenderer {
  public static final String CONFIG_FILE = "tokenizer_config.json", JINJA_FILE = "chat_template.jinja";
  static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String source, origin, sha256;
  private final Map<String, Object> specialTokens;
  private final JinjaEnvironment.Compiled compiled;
  private volatile Optional<String> endOfTurn;

  private ChatTemplate(String source, Map<String, Object> specialTokens, String origin) {
    this.source = source;
    this.origin = origin;
    this.specialTokens = Map.copyOf(specialTokens);
    this.sha256 = sha256(source);
    this.compiled = JinjaEnvironment.compile(source, origin);
  }

  /**
   * A template from its source; {@code origin} (a file name) starts every error message.
   *
   * @throws ChatTemplateException when the template does not parse or uses what is not supported
   */
  public static ChatTemplate of(String source, Map<String, Object> specialTokens, String origin) {
    return new ChatTemplate(source, specialTokens, origin);
  }

  /**
   * The chat template of the checkpoint or tokenizer folder {@code path} (or of the folder of the
   * {@code tokenizer.json} it names): {@code chat_template.jinja} when there is one (transformers
   * saves it there since 4.5x and reads it first), else {@code tokenizer_config.json}'s {@code
   * chat_template}, a string or a list of named templates of which "default" is used. Empty when
   * the checkpoint has none.
   *
   * @throws ChatTemplateException when a file can't be read or the template is unusable
   */
  public static Optional<ChatTemplate> load(Path path) {
    Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
    Path configFile = dir.resolve(CONFIG_FILE), jinjaFile = dir.resolve(JINJA_FILE);
    JsonNode config = null;
    if (Files.isRegularFile(configFile)) {
      try {
        config = JSON.readTree(configFile.toFile());
      } catch (IOException e) {
        throw new ChatTemplateException(configFile + ": can't read: " + e.getMessage(), e);
      }
    }
    Map<String, Object> specials = specialTokens(config, configFile);
    if (Files.isRegularFile(jinjaFile)) {
      try {
        return Optional.of(of(Files.readString(jinjaFile, StandardCharsets.UTF_8), specials, jinjaFile.toString()));
      } catch (IOException e) {
        throw new ChatTemplateException(jinjaFile + ": can't read: " + e.getMessage(), e);
      }
    }
    JsonNode template = config == null ? null : config.get("chat_template");
    if (template == null || template.isNull()) return Optional.empty();
    if (template.isTextual()) return Optional.of(of(template.asText(), specials, configFile.toString()));
    if (template.isArray()) {
      List<String> names = new ArrayList<>();
      for (JsonNode named : template) {
        String name = named.path("name").asText(null);
        names.add(name);
        if ("default".equals(name) && named.path("template").isTextual()) {
          return Optional.of(of(named.get("template").asText(), specials, configFile + " (chat_template \"default\")"));
        }
      }
      throw new ChatTemplateException(configFile + ": chat_template is a list of named templates " + names + " without \"default\"");
    }
    throw new ChatTemplateException(configFile + ": chat_template is neither a string nor a list of {name, template}");
  }

  /**
   * The special-token variables transformers passes to templates ({@code special_tokens_map}):
   * those of bos/eos/unk/sep/pad/cls/mask_token that are set, as strings (a token may be written
   * as an AddedToken object, {@code {"content": ...}}), and additional_special_tokens as a list.
   */
  static Map<String, Object> specialTokens(JsonNode config, Path file) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (config == null) return out;
    for (String key : SPECIAL_TOKENS) {
      String token = tokenText(config.get(key), file, key);
      if (token != null) out.put(key, token);
    }
    JsonNode additional = config.get("additional_special_tokens");
    if (additional != null && additional.isArray() && !additional.isEmpty()) {
      List<String> tokens = new ArrayList<>();
      for (JsonNode t : additional) tokens.add(tokenText(t, file, "additional_special_tokens"));
      out.put("additional_special_tokens", tokens);
    }
    return out;
  }

  private static String tokenText(JsonNode node, Path file, String key) {
    if (node == null || node.isNull()) return null;
    if (node.isTextual()) return node.asText();
    if (node.isObject() && node.path("content").isTextual()) return node.get("content").asText();
    throw new ChatTemplateException(file + ": " + key + " is neither a string nor an AddedToken object with a \"content\"");
  }

  /**
   * The template rendered for {@code messages} (maps with "role" and "content"), as
   * {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=...)} renders it.
   *
   * @throws ChatTemplateException when the template raises or meets what is not supported
   */
  public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
    Map<String, Object> variables = new LinkedHashMap<>(specialTokens);
    List<Map<String, Object>> copy = new ArrayList<>(messages.size());
    for (Map<String, ?> m : messages) copy.add(new LinkedHashMap<>(m));
    variables.put("messages", copy);
    variables.put("add_generation_prompt", addGenerationPrompt);
    return compiled.render(variables);
  }

  private static List<Map<String, String>> conversation(String system, String prompt, String response) {
    List<Map<String, String>> messages = new ArrayList<>(3);
    if (system != null) messages.add(message("system", system));
    messages.add(message("user", prompt));
    if (response != null) messages.add(message("assistant", response));
    return messages;
  }

  /** {"role": ..., "content": ...} in that order, as the dicts transformers gets (a template may iterate them). */
  private static Map<String, String> message(String role, String content) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("content", content);
    return m;
  }

  @Override
  public String prompt(String system, String prompt) {
    return render(conversation(system, prompt, null), true);
  }

  /**
   * The exchange as prompt and response texts: the prompt with {@code add_generation_prompt=True},
   * the response what the whole conversation adds after it.
   *
   * @throws ChatTemplateException when the prompt's rendering is not a prefix of the whole's (the
   *     boundary between prompt and response tokens would be undefined)
   */
  @Override
  public ChatFormat.Rendered render(String system, String prompt, String response) {
    String head = prompt(system, prompt);
    String whole = render(conversation(system, prompt, response), false);
    if (!whole.startsWith(head)) {
      int at = 0;
      while (at < Math.min(head.length(), whole.length()) && head.charAt(at) == whole.charAt(at)) ++at;
      throw new ChatTemplateException(origin + ": the rendering with add_generation_prompt=True is not a prefix of the rendering with the"
          + " assistant's response (they differ from character " + at + ": " + Py.quote(excerpt(head, at)) + " vs " + Py.quote(excerpt(whole, at))
          + "), so prompt and response tokens can't be told apart; choose a named text.format (llama3, chatml, gemma, plain)");
    }
    return new ChatFormat.Rendered(head, whole.substring(head.length()));
  }

  private static String excerpt(String s, int at) {
    return s.substring(at, Math.min(s.length(), at + 40));
  }

  /** Templates write their special tokens themselves: the tokenizer adds none. */
  @Override
  public boolean addSpecialTokens() {
    return false;
  }

  /**
   * What the template writes right after the assistant's content up to the first line break or
   * space, e.g. {@code <|eot_id|>}, {@code <|im_end|>}, {@code <end_of_turn>}; empty when the
   * template ends the turn with nothing.
   */
  @Override
  public Optional<String> endOfTurn() {
    Optional<String> e = endOfTurn;
    if (e == null) {
      String marker = "steer4j-response-marker";
      String response = render(null, "Hi", marker).response();
      int at = response.lastIndexOf(marker);
      String after = at < 0 ? "" : Py.strip(response.substring(at + marker.length()), null, true, false);
      int end = 0;
      while (end < after.length() && !Py.isSpace(after.charAt(end))) ++end;
      e = endOfTurn = end == 0 ? Optional.empty() : Optional.of(after.substring(0, end));
    }
    return e;
  }

  /** "chat_template:" and the first 12 hex digits of the source's SHA-256. */
  @Override
  public String id() {
    return "chat_template:" + sha256.substring(0, 12);
  }

  public String source() {
    return source;
  }

  /** Where the template came from, as error messages name it. */
  public String origin() {
    return origin;
  }

  public String sha256() {
    return sha256;
  }

  public Map<String, Object> specialTokens() {
    return specialTokens;
  }

  @Override
  public String toString() {
    return id() + " (" + origin + ")";
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A template that can't be used or rendered; the one-line message names the file. */
  public static final class ChatTemplateException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ChatTemplateException(String message) {
      super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Thrown inside a rendering by what the template calls (raise_exception, an unsupported method); reported with the file. */
  static final class TemplateFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TemplateFailure(String message) {
      super(message);
    }
  }
}
