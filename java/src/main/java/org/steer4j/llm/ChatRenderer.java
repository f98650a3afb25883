package org.steer4j.llm;

import java.util.Optional;

/**
 * How one exchange (an optional system prompt, one user turn and the assistant's response)
 * becomes text: a hand-written {@link ChatFormat} or a checkpoint's own {@link ChatTemplate}.
 */
public interface ChatRenderer {
  /**
   * The exchange split into the prompt (everything a generation starts from, the assistant's
   * header included) and the response (what the assistant's turn adds, its terminator included).
   * {@code system} null = the format's default.
   */
  ChatFormat.Rendered render(String system, String prompt, String response);

  /** The prompt alone: what {@link #render} gives as {@link ChatFormat.Rendered#prompt()}. */
  default String prompt(String system, String prompt) {
    return render(system, prompt, "").prompt();
  }

  /**
   * Whether tokenizing the text should run the tokenizer's post-processor (e.g. add BOS): only
   * for the plain format; a chat format or template writes its special tokens into the text.
   */
  boolean addSpecialTokens();

  /** The text that ends the assistant's turn (e.g. {@code <|eot_id|>}), if the format writes one. */
  Optional<String> endOfTurn();

  /** A short name for logs and fingerprints; a template's names its source's hash. */
  String id();
}
