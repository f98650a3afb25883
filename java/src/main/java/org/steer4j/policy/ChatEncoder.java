package org.steer4j.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.steer4j.llm.ChatRenderer;
import org.steer4j.llm.TextTokenizer;

/**
 * Token ids of prompts and responses in a chat format or a checkpoint's chat template, the way a
 * policy reads and writes them. The prompt and the response are tokenized apart ({@link
 * TextTokenizer#encodeSplit}), so a response's tokens are exactly those the policy would emit
 * after the prompt. The tokenizer adds special tokens only to the plain format's prompt (its BOS);
 * chat formats and templates write theirs into the text ({@code apply_chat_template(tokenize=True)}
 * semantics: no second BOS). A response ends with its terminator: the format's end-of-turn token
 * (written by the chat formats and templates), or EOS appended where the format writes none (the
 * plain format); generation stops at either ({@link #stopTokens}).
 */
public final class ChatEncoder {
  private final TextTokenizer tokenizer;
  private final ChatRenderer format;
  private final String system;
  private final long eos;

  public ChatEncoder(TextTokenizer tokenizer, ChatRenderer format, String systemPrompt, long eosId) {
    this.tokenizer = tokenizer;
    this.format = format;
    this.system = systemPrompt;
    this.eos = eosId;
  }

  /** The ids a generation for {@code prompt} starts from (the assistant header included). */
  public long[] prompt(String prompt) {
    return tokenizer.encode(format.prompt(system, prompt), format.addSpecialTokens());
  }

  /** The ids of {@code response} after {@code prompt}, terminator included. */
  public long[] response(String prompt, String response) {
    long[] ids = tokenizer.encode(format.render(system, prompt, response).response(), false);
    if (format.endOfTurn().isPresent()) return ids;
    long[] out = Arrays.copyOf(ids, ids.length + 1);
    out[ids.length] = eos;
    return out;
  }

  /** The ids of the whole text without terminator, as {@link org.steer4j.llm.Embedder} embeds it (it appends EOS). */
  public long[] text(String prompt, String response) {
    return tokenizer.encode(format, format.render(system, prompt, response));
  }

  /** Tokens that end a response: EOS and the format's end-of-turn token. */
  public long[] stopTokens() {
    Set<Long> stops = new LinkedHashSet<>();
    stops.add(eos);
    format.endOfTurn().flatMap(t -> {
      var id = tokenizer.tokenId(t);
      return id.isPresent() ? java.util.Optional.of(id.getAsLong()) : java.util.Optional.<Long>empty();
    }).ifPresent(stops::add);
    return stops.stream().mapToLong(Long::longValue).toArray();
  }

  /** The text of generated response ids, special tokens (terminators) dropped. */
  public String decode(long[] responseIds) {
    return tokenizer.decode(responseIds, true).strip();
  }

  /** Decodes several responses. */
  public List<String> decodeAll(List<long[]> responses) {
    List<String> out = new ArrayList<>(responses.size());
    for (long[] r : responses) out.add(decode(r));
    return out;
  }

  public long eosId() {
    return eos;
  }

  public ChatRenderer format() {
    return format;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }
}
