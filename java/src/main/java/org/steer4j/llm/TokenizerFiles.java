package org.steer4j.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Structural checks of {@code tokenizer.json} and {@code tokenizer_config.json} in Java, run
 * before the file reaches the Rust {@code tokenizers} library (through DJL), so that a damaged or
 * foreign file is one error naming the file and the field rather than whatever the native side
 * says (or does). Only the shape is checked, as {@code tokenizers} (0.2x) deserialises it:
 *
 * <ul>
 *   <li>the file is UTF-8 (no byte-order mark: serde_json refuses one) holding one JSON object;
 *   <li>{@code model} is an object; its {@code type}, when given, is BPE, WordPiece, WordLevel or
 *       Unigram; {@code vocab} maps tokens to ids (a list of [token, score] pairs for Unigram);
 *       BPE {@code merges} are "a b" strings or [a, b] pairs;
 *   <li>{@code added_tokens} is a list of objects with an integer {@code id} and a string {@code
 *       content} (flags, when given, booleans);
 *   <li>{@code normalizer}, {@code pre_tokenizer}, {@code post_processor} and {@code decoder} are
 *       null or objects with a string {@code type}; {@code truncation} and {@code padding} null or
 *       objects.
 * </ul>
 *
 * In {@code tokenizer_config.json} (read by steer4j itself; a byte-order mark is fine there):
 * one JSON object whose {@code bos_token} and {@code eos_token} are null, a string or {@code
 * {"content": "..."}}.
 */
final class TokenizerFiles {
  static final Set<String> MODEL_TYPES = Set.of("BPE", "WordPiece", "WordLevel", "Unigram");
  private static final long MAX_ID = 0xFFFF_FFFFL;  // token ids are u32 in tokenizers
  private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private TokenizerFiles() {}

  /** Checks the tokenizer.json {@code file}. */
  static void checkTokenizer(Path file) {
    checkTokenizer(bytes(file), file.toString());
  }

  /** Checks tokenizer_config.json and returns its object. */
  static JsonNode checkConfig(Path file) {
    return checkConfig(bytes(file), file.toString());
  }

  /** Checks the bytes of a tokenizer.json; {@code where} names it in errors. */
  static void checkTokenizer(byte[] bytes, String where) {
    if (startsWithBom(bytes)) {
      throw new TokenizerException(where + ": starts with a UTF-8 byte-order mark, which the tokenizers library can't read (save it without one)");
    }
    JsonNode root = object(bytes, 0, where);
    JsonNode version = root.get("version");
    if (version != null && !version.isTextual()) throw error(where, "version", "must be a string, got " + describe(version));
    for (String key : new String[] {"truncation", "padding"}) {
      JsonNode v = root.get(key);
      if (v != null && !v.isNull() && !v.isObject()) throw error(where, key, "must be null or an object, got " + describe(v));
    }
    for (String key : new String[] {"normalizer", "pre_tokenizer", "post_processor", "decoder"}) {
      JsonNode v = root.get(key);
      if (v == null || v.isNull()) continue;
      if (!v.isObject()) throw error(where, key, "must be null or an object, got " + describe(v));
      if (!v.path("type").isTextual()) throw error(where, key, "has no string 'type'");
    }
    JsonNode added = root.get("added_tokens");
    if (added != null && !added.isNull()) {
      if (!added.isArray()) throw error(where, "added_tokens", "must be a list, got " + describe(added));
      for (int i = 0; i < added.size(); ++i) {
        JsonNode t = added.get(i);
        String at = "added_tokens[" + i + "]";
        if (!t.isObject()) throw error(where, at, "must be an object {\"id\": ..., \"content\": ...}, got " + describe(t));
        id(t.get("id"), where, at + ".id");
        if (!t.path("content").isTextual()) throw error(where, at + ".content", "must be a string, got " + describe(t.get("content")));
        for (String flag : new String[] {"single_word", "lstrip", "rstrip", "normalized", "special"}) {
          JsonNode f = t.get(flag);
          if (f != null && !f.isBoolean()) throw error(where, at + "." + flag, "must be true or false, got " + describe(f));
        }
      }
    }
    JsonNode model = root.get("model");
    if (model == null || model.isNull()) throw error(where, "model", "is missing (not a Hugging Face tokenizer.json?)");
    if (!model.isObject()) throw error(where, "model", "must be an object, got " + describe(model));
    JsonNode typeNode = model.get("type");
    String type = null;
    if (typeNode != null) {
      if (!typeNode.isTextual() || !MODEL_TYPES.contains(typeNode.asText())) {
        throw error(where, "model.type", describe(typeNode) + " is not a tokenizers model (BPE, WordPiece, WordLevel, Unigram)");
      }
      type = typeNode.asText();
    }
    JsonNode vocab = model.get("vocab");
    if (vocab == null || vocab.isNull()) throw error(where, "model.vocab", "is missing");
    if ("Unigram".equals(type) || type == null && vocab.isArray()) {
      if (!vocab.isArray()) throw error(where, "model.vocab", "must be a list of [token, score] pairs for Unigram, got " + describe(vocab));
      for (int i = 0; i < vocab.size(); ++i) {
        JsonNode p = vocab.get(i);
        if (!p.isArray() || p.size() != 2 || !p.get(0).isTextual() || !p.get(1).isNumber()) {
          throw error(where, "model.vocab[" + i + "]", "must be a [token, score] pair, got " + describe(p));
        }
      }
    } else {
      if (!vocab.isObject()) throw error(where, "model.vocab", "must be an object {token: id}, got " + describe(vocab));
      for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
        var e = it.next();
        id(e.getValue(), where, "model.vocab '" + e.getKey() + "'");
      }
    }
    JsonNode merges = model.get("merges");
    if (merges != null && !merges.isNull() && (type == null || type.equals("BPE"))) {
      if (!merges.isArray()) throw error(where, "model.merges", "must be a list, got " + describe(merges));
      for (int i = 0; i < merges.size(); ++i) {
        JsonNode m = merges.get(i);
        boolean ok = m.isTextual() && m.asText().indexOf(' ') > 0 || m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual();
        if (!ok) throw error(where, "model.merges[" + i + "]", "must be \"a b\" or [\"a\", \"b\"], got " + describe(m));
      }
    }
  }

  /** Checks the bytes of a tokenizer_config.json and returns its object. */
  static JsonNode checkConfig(byte[] bytes, String where) {
    JsonNode root = object(bytes, startsWithBom(bytes) ? 3 : 0, where);
    for (String key : new String[] {"bos_token", "eos_token"}) {
      JsonNode v = root.get(key);
      if (v == null || v.isNull() || v.isTextual() || v.isObject() && v.path("content").isTextual()) continue;
      throw error(where, key, "must be a string or {\"content\": \"...\"}, got " + describe(v));
    }
    return root;
  }

  private static JsonNode object(byte[] bytes, int from, String where) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, from, bytes.length - from)).toString();
    } catch (CharacterCodingException e) {
      throw new TokenizerException(where + ": not valid UTF-8");
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      var at = e.getLocation();
      throw new TokenizerException(where + ": malformed JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
          + ": " + e.getOriginalMessage());
    }
    if (root == null || root.isMissingNode()) throw new TokenizerException(where + ": the file is empty");
    if (!root.isObject()) throw new TokenizerException(where + ": not a JSON object (got " + describe(root) + ")");
    return root;
  }

  /** A token id: an integer in 0 .. 2^32 - 1. */
  private static void id(JsonNode v, String where, String at) {
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0 || v.asLong() > MAX_ID) {
      throw error(where, at, "must be a token id (an integer from 0 to " + MAX_ID + "), got " + describe(v));
    }
  }

  private static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TokenizerException(file + ": no such file");
    } catch (IOException e) {
      throw new TokenizerException(file + ": can't read: " + e.getMessage(), e);
    }
  }

  private static boolean startsWithBom(byte[] b) {
    return b.length >= 3 && b[0] == (byte) 0xEF && b[1] == (byte) 0xBB && b[2] == (byte) 0xBF;
  }

  private static TokenizerException error(String where, String field, String what) {
    return new TokenizerException(where + ": " + field + " " + what);
  }

  /** A value for a message: its JSON, cut at 40 characters ("missing" for none). */
  private static String describe(JsonNode v) {
    if (v == null || v.isMissingNode()) return "nothing";
    String s = v.toString();
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
