package org.steer4j.llm;

import java.util.Locale;
import java.util.Optional;

/**
 * How a (prompt, response) exchange becomes text, as the chat templates of the supported model
 * families render a single user turn and the assistant's answer ({@code apply_chat_template} of
 * [user, assistant]), written out in Java rather than evaluated from Jinja.
 *
 * <ul>
 *   <li>{@link #PLAIN}: {@code "Human: {prompt}\n\nAssistant: {response}"}, the text the paper
 *       embeds; the tokenizer adds its own BOS (post-processor).
 *   <li>{@link #LLAMA3}: Meta-Llama-3-Instruct's header/eot format (3.0: no default system turn);
 *       contents are trimmed as the template does.
 *   <li>{@link #CHATML}: Qwen2 / Qwen2.5 {@code <|im_start|>role\n...<|im_end|>\n}, with Qwen2.5's
 *       default system prompt when none is given.
 *   <li>{@link #GEMMA}: {@code <start_of_turn>user ... <start_of_turn>model ...}; Gemma's template
 *       has no system role, so a system prompt is an error; contents trimmed.
 * </ul>
 *
 * Each rendering is split into the prompt part (everything a generation starts from, including
 * the assistant header) and the response part, so log-probabilities can be summed over response
 * tokens only. A checkpoint's own Jinja template is a {@link ChatTemplate}; {@code text.format:
 * chat_template} uses it when the checkpoint has one and these formats only when it has none.
 */
public enum ChatFormat implements ChatRenderer {
  PLAIN,
  LLAMA3,
  CHATML,
  GEMMA;

  /** Qwen2.5's default system prompt, inserted by its template when the conversation has none. */
  public static final String QWEN25_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

  /** A rendered exchange: {@code prompt + response} is the whole text. */
  public record Rendered(String prompt, String response) {
    public String text() {
      return prompt + response;
    }
  }

  /** The chat format of a model family. */
  public static ChatFormat of(Family family) {
    return switch (family) {
      case LLAMA -> LLAMA3;
      case QWEN2 -> CHATML;
      case GEMMA -> GEMMA;
    };
  }

  /**
   * Renders one exchange. {@code system} is the system prompt, or null for the format's default
   * (none, except Qwen2.5's for {@link #CHATML}).
   */
  @Override
  public Rendered render(String system, String prompt, String response) {
    return switch (this) {
      case PLAIN -> {
        if (system != null) throw new IllegalArgumentException("the plain Human/Assistant format has no system prompt");
        yield new Rendered("Human: " + prompt + "\n\nAssistant:", " " + response);
      }
      case LLAMA3 -> {
        String head = "<|begin_of_text|>" + (system == null ? "" : llamaTurn("system", system));
        yield new Rendered(head + llamaTurn("user", prompt) + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            response.strip() + "<|eot_id|>");
      }
      case CHATML -> {
        String sys = system == null ? QWEN25_SYSTEM : system;
        yield new Rendered("<|im_start|>system\n" + sys + "<|im_end|>\n<|im_start|>user\n" + prompt + "<|im_end|>\n<|im_start|>assistant\n",
            response + "<|im_end|>\n");
      }
      case GEMMA -> {
        if (system != null) throw new IllegalArgumentException("Gemma's chat template has no system role");
        yield new Rendered("<bos><start_of_turn>user\n" + prompt.strip() + "<end_of_turn>\n<start_of_turn>model\n",
            response.strip() + "<end_of_turn>\n");
      }
    };
  }

  private static String llamaTurn(String role, String content) {
    return "<|start_header_id|>" + role + "<|end_header_id|>\n\n" + content.strip() + "<|eot_id|>";
  }

  /**
   * Whether the tokenizer should add its special tokens: the chat templates write BOS into the
   * text themselves (adding it again would double it), the plain format relies on the tokenizer.
   */
  @Override
  public boolean addSpecialTokens() {
    return this == PLAIN;
  }

  /** The token that ends the assistant's turn; none for the plain format (EOS is appended there). */
  @Override
  public Optional<String> endOfTurn() {
    return switch (this) {
      case PLAIN -> Optional.empty();
      case LLAMA3 -> Optional.of("<|eot_id|>");
      case CHATML -> Optional.of("<|im_end|>");
      case GEMMA -> Optional.of("<end_of_turn>");
    };
  }

  /** The config name: plain, llama3, chatml, gemma. */
  @Override
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a config value: plain, llama3, chatml, gemma. */
  public static ChatFormat parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("chat format '" + value + "' is not one of plain, llama3, chatml, gemma");
    }
  }
}
