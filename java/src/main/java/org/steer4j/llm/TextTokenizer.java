package org.steer4j.llm;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * A Hugging Face tokenizer ({@code tokenizer.json}) run by the Rust {@code tokenizers} library
 * through DJL, whose jar carries the native library (it is unpacked to DJL's cache,
 * {@code ~/.djl.ai}, {@code $DJL_CACHE_DIR} or {@code $ENGINE_CACHE_DIR}; DJL runs in offline
 * mode, so nothing is ever downloaded). Truncation and padding
 * are off: lengths are the caller's business. Special tokens named in
 * {@code tokenizer_config.json} (beside tokenizer.json) give {@link #bosToken()} and
 * {@link #eosToken()}. Both files are checked in Java ({@link TokenizerFiles}) before the native
 * library sees them.
 */
public final class TextTokenizer implements AutoCloseable {
  static {
    // Offline mode: DJL then never downloads, and takes the CPU build of the native library from
    // its jar even on a CUDA machine (where it would otherwise look for a CUDA flavour online).
    if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) System.setProperty("ai.djl.offline", "true");
  }
  private final Path file;
  private final HuggingFaceTokenizer tokenizer;
  private final String bosToken, eosToken;

  private TextTokenizer(Path file, HuggingFaceTokenizer tokenizer, String bosToken, String eosToken) {
    this.file = file;
    this.tokenizer = tokenizer;
    this.bosToken = bosToken;
    this.eosToken = eosToken;
  }

  /** Loads {@code tokenizer.json}, given as the file or the directory holding it. */
  public static TextTokenizer load(Path path) {
    Path file = Files.isDirectory(path) || !path.toString().endsWith(".json") ? path.resolve("tokenizer.json") : path;
    if (!Files.isRegularFile(file)) {
      throw new TokenizerException(file + ": no such file (steer4j reads Hugging Face fast tokenizers, tokenizer.json;"
          + " a slow-only tokenizer can be converted with transformers' AutoTokenizer(...).save_pretrained)");
    }
    // Checked in Java first: a damaged or foreign file is one error naming it and the field, never
    // whatever the native library makes of it.
    TokenizerFiles.checkTokenizer(file);
    Path config = file.resolveSibling("tokenizer_config.json");
    JsonNode configNode = Files.isRegularFile(config) ? TokenizerFiles.checkConfig(config) : null;
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(false).optTruncation(false).optPadding(false).build();
    } catch (IOException | RuntimeException e) {
      throw new TokenizerException(file + ": can't load tokenizer: " + e.getMessage(), e);
    }
    String bos = configNode == null ? null : tokenName(configNode.get("bos_token"));
    String eos = configNode == null ? null : tokenName(configNode.get("eos_token"));
    return new TextTokenizer(file, tokenizer, bos, eos);
  }

  /** A token in tokenizer_config.json is a string or, in older files, {"content": "..."}. */
  private static String tokenName(JsonNode node) {
    if (node == null || node.isNull()) return null;
    if (node.isTextual()) return node.asText();
    JsonNode content = node.get("content");
    return content == null ? null : content.asText();
  }

  /**
   * Token ids of {@code text}. {@code addSpecialTokens} runs the tokenizer's post-processor (e.g.
   * Llama-3's BOS); special tokens written in the text (chat templates) are recognised either way.
   */
  public long[] encode(String text, boolean addSpecialTokens) {
    return tokenizer.encode(text, addSpecialTokens, false).getIds();
  }

  /** {@link #encode} of many texts (the Rust side parallelises the batch). */
  public List<long[]> encodeAll(List<String> texts, boolean addSpecialTokens) {
    List<long[]> out = new ArrayList<>(texts.size());
    for (var e : tokenizer.batchEncode(texts, addSpecialTokens, false)) out.add(e.getIds());
    return out;
  }

  public String decode(long[] ids, boolean skipSpecialTokens) {
    return tokenizer.decode(ids, skipSpecialTokens);
  }

  /**
   * Ids of a rendered exchange tokenized as one text (as the paper's embeddings were made); the
   * post-processor's special tokens only where {@code format} asks for them (the plain format), so
   * a chat template that writes {@code bos_token} gets exactly one BOS.
   */
  public long[] encode(ChatRenderer format, ChatFormat.Rendered exchange) {
    return encode(exchange.text(), format.addSpecialTokens());
  }

  /** Ids of an exchange whose prompt and response were tokenized apart, and where the response starts. */
  public record PromptResponse(long[] ids, int responseStart) {}

  /**
   * The prompt and the response tokenized separately and concatenated, the way a generation
   * continues a prompt (and TRL's DPO tokenizes): the response tokens are exactly those the
   * policy would emit, whatever merges the joined text would allow across the boundary.
   */
  public PromptResponse encodeSplit(ChatRenderer format, ChatFormat.Rendered exchange) {
    long[] prompt = encode(exchange.prompt(), format.addSpecialTokens());
    long[] response = encode(exchange.response(), false);
    long[] ids = java.util.Arrays.copyOf(prompt, prompt.length + response.length);
    System.arraycopy(response, 0, ids, prompt.length, response.length);
    return new PromptResponse(ids, prompt.length);
  }

  /** The id of a single token (e.g. a special token such as {@code <|eot_id|>}), if the vocabulary has it as one token. */
  public OptionalLong tokenId(String token) {
    long[] ids = encode(token, false);
    return ids.length == 1 ? OptionalLong.of(ids[0]) : OptionalLong.empty();
  }

  /** tokenizer_config.json's bos_token, or null. */
  public String bosToken() {
    return bosToken;
  }

  /** tokenizer_config.json's eos_token, or null. */
  public String eosToken() {
    return eosToken;
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  /**
   * The EOS id for a model: tokenizer_config.json's {@code eos_token}, else config.json's {@code
   * eos_token_id}.
   *
   * @throws IllegalArgumentException when neither names one
   */
  public long eosId(ModelConfig model) {
    if (eosToken() != null) {
      var id = tokenId(eosToken());
      if (id.isPresent()) return id.getAsLong();
    }
    if (model.eosTokenId() >= 0) return model.eosTokenId();
    throw new IllegalArgumentException(file() + ": no EOS token: tokenizer_config.json has no eos_token and config.json no eos_token_id");
  }
}
