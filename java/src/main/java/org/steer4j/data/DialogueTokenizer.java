package org.steer4j.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.steer4j.runtime.AtomicFiles;

/**
 * A word-level Hugging Face tokenizer ({@code tokenizer.json} + {@code tokenizer_config.json})
 * over the {@link DialogueWorld}'s vocabulary, so the demo's model reads its texts through the
 * same {@link org.steer4j.llm.TextTokenizer} as a real checkpoint does. Words are split on
 * whitespace and punctuation (the {@code Whitespace} pre-tokenizer); decoding joins tokens with
 * single spaces, which is exactly how the world writes its texts.
 *
 * <p>Ids: {@code <pad>} 0, {@code <bos>} 1, {@code <eos>} 2 (the ids {@code
 * ModelConfig.of} puts in config.json), {@code <unk>} 3, then the chat format's words
 * ("Human", ":", "Assistant") and the grammar's words in sorted order. The post-processor
 * prepends {@code <bos>} when special tokens are asked for (the plain chat format does).
 */
public final class DialogueTokenizer {
  public static final String PAD = "<pad>", BOS = "<bos>", EOS = "<eos>", UNK = "<unk>";
  public static final int PAD_ID = 0, BOS_ID = 1, EOS_ID = 2;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private DialogueTokenizer() {}

  /** Every token in id order. */
  public static List<String> tokens() {
    List<String> tokens = new ArrayList<>(List.of(PAD, BOS, EOS, UNK, "Human", ":", "Assistant"));
    for (String w : DialogueWorld.vocabulary()) if (!tokens.contains(w)) tokens.add(w);
    return tokens;
  }

  /** The vocabulary size (what the demo model's embedding must cover). */
  public static int size() {
    return tokens().size();
  }

  /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}. */
  public static void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<String> tokens = tokens();
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int id = 0; id < 4; ++id) {
      ObjectNode t = added.addObject();
      t.put("id", id);
      t.put("content", tokens.get(id));
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", false);
      t.put("special", true);
    }
    root.putNull("normalizer");
    root.putObject("pre_tokenizer").put("type", "Whitespace");
    ObjectNode post = root.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    single.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    ArrayNode pair = post.putArray("pair");
    pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    ObjectNode bos = post.putObject("special_tokens").putObject(BOS);
    bos.put("id", BOS);
    bos.putArray("ids").add(BOS_ID);
    bos.putArray("tokens").add(BOS);
    root.putNull("decoder");
    ObjectNode model = root.putObject("model");
    model.put("type", "WordLevel");
    ObjectNode vocab = model.putObject("vocab");
    for (int id = 0; id < tokens.size(); ++id) vocab.put(tokens.get(id), id);
    model.put("unk_token", UNK);
    AtomicFiles.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(root) + "\n");

    ObjectNode config = JSON.createObjectNode();
    config.put("bos_token", BOS);
    config.put("eos_token", EOS);
    config.put("pad_token", PAD);
    config.put("unk_token", UNK);
    config.put("tokenizer_class", "PreTrainedTokenizerFast");
    AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(config) + "\n");
  }
}
