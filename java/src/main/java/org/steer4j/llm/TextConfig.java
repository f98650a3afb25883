package org.steer4j.llm;

import java.nio.file.Path;
import org.steer4j.config.Checks;

/**
 * How a (prompt, response) becomes model input for embedding.
 *
 * @param format plain ("Human: {prompt}\n\nAssistant: {response}", the paper's), chat_template
 *     (the checkpoint's own Jinja template, {@link ChatTemplate}; the model family's hand-written
 *     format when the checkpoint has none), or a named format: llama3, chatml, gemma
 * @param systemPrompt system prompt of the chat templates; null = the template's default
 * @param eosToken the token appended to every text, whose last hidden state is the embedding;
 *     empty = tokenizer_config.json's eos_token, else config.json's eos_token_id
 * @param maxLength pairs with an option of this many tokens or more (before EOS) are dropped
 */
public record TextConfig(Format format, String systemPrompt, String eosToken, int maxLength) {
  public TextConfig {
    Checks.require(format != null, "text.format must be one of plain, chat_template, llama3, chatml, gemma");
    Checks.positive("text.max_length", maxLength);
    if (eosToken == null) eosToken = "";
  }

  public static TextConfig defaults() {
    return new TextConfig(Format.PLAIN, null, "", 1024);
  }

  public enum Format {
    PLAIN,
    CHAT_TEMPLATE,
    LLAMA3,
    CHATML,
    GEMMA;

    /**
     * How texts are rendered for a model whose tokenizer is at {@code tokenizer} (tokenizer.json
     * or its folder): {@code chat_template} is the checkpoint's own template ({@code
     * chat_template.jinja} or tokenizer_config.json's chat_template) when it has one, else the
     * model family's hand-written format; the others name a hand-written format.
     *
     * @throws ChatTemplate.ChatTemplateException when the checkpoint's template can't be used
     */
    public ChatRenderer renderer(ModelConfig model, Path tokenizer) {
      return switch (this) {
        case PLAIN -> ChatFormat.PLAIN;
        case CHAT_TEMPLATE -> ChatTemplate.load(tokenizer).<ChatRenderer>map(t -> t).orElse(ChatFormat.of(model.family()));
        case LLAMA3 -> ChatFormat.LLAMA3;
        case CHATML -> ChatFormat.CHATML;
        case GEMMA -> ChatFormat.GEMMA;
      };
    }
  }
}
