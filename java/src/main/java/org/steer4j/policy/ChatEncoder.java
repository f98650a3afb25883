package org.steer4j.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.steer4j.llm.ChatFormat;
import org.steer4j.llm.TextTokenizer;

/**
 * Token ids of prompts and responses in a chat format, the way a policy reads and writes them.
 * The prompt and the response are tokenized apart ({@link TextTokenizer#encodeSplit}), so a
 * response's tokens are exactly those the policy would emit after the prompt. A response ends
 * with its terminator: the format's end-of-turn token (written by the chat templates), or EOS
 * appended for the plain format, which has none; generation stops at either ({@link #stopTokens}).
 */
public final class ChatEncoder {
  private final TextTokenizer tokenizer;
  private final ChatFormat format;
  private final String system;
  private final long eos;

  public ChatEncoder(TextTokenizer tokenizer, ChatFormat format, String systemPrompt, long eosId) {
    this.tokenizer = tokenizer;
    this.format = format;
    this.system = systemPrompt;
    this.eos = eosId;
  }

  /** The ids a generation for {@code prompt} starts from (the assistant header included). */
  public long[] prompt(String prompt) {
    return tokenizer.encode(format.render(system, prompt, "").prompt(), format.addSpecialTokens());
  }

  /** The ids of {@code response} after {@code prompt}, terminator included. */
  public long[] response(String prompt, String response) {
    long[] ids = tokenizer.encode(format.render(system, prompt, response).response(), false);
    if (format != ChatFormat.PLAIN) return ids;
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
    String endOfTurn = switch (format) {
      case PLAIN -> null;
      case LLAMA3 -> "<|eot_id|>";
      case CHATML -> "<|im_end|>";
      case GEMMA -> "<end_of_turn>";
    };
    if (endOfTurn != null) tokenizer.tokenId(endOfTurn).ifPresent(stops::add);
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

  public ChatFormat format() {
    return format;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }
}
