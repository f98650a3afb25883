package org.steer4j.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.steer4j.reward.QuerySelector;

/**
 * One user's adaptation as a small, versioned, portable value, for a service to keep in its own
 * database (a BLOB or JSON column keyed by user id) and give back to {@link RewardModel#restore}.
 * {@code full} keeps the answers (a restored session can keep asking); compact keeps the latent z
 * only (read-only). Both carry the model's fingerprint, so a state is never applied to a model
 * it was not made with.
 *
 * <p>Bytes, little-endian: "S4JU", version u8 (1), full u8, strategy u8, 0 u8, seed i64, questions
 * asked i32, model fingerprint 32 bytes, latent length i32 and float32s, spread length i32 and
 * float32s, then (full) answers i32, width i32 and float32s [answers, 2, width]. A compact state
 * of a stochastic H = 128 latent is 1,084 bytes (60 of header, then mean and spread); a full one
 * adds 8 bytes and then 8 D bytes per answer (72 for D = 8 options).
 */
public record UserState(int version, boolean full, String modelFingerprint, QuerySelector.Strategy strategy, long seed, int questionsAsked,
    float[] latent, float[] spread, List<PreferencePair> answers) {
  public static final int VERSION = 1;
  private static final byte[] MAGIC = {'S', '4', 'J', 'U'};
  private static final ObjectMapper JSON = new ObjectMapper();

  public UserState {
    answers = List.copyOf(answers);
    latent = latent == null ? new float[0] : latent.clone();
    spread = spread == null ? new float[0] : spread.clone();
  }

  static UserState full(String fingerprint, QuerySelector.Strategy strategy, long seed, int asked, List<PreferencePair> answers, float[][] q) {
    return new UserState(VERSION, true, fingerprint, strategy, seed, asked, q[0], q[1], answers);
  }

  static UserState compact(String fingerprint, QuerySelector.Strategy strategy, long seed, int asked, float[][] q) {
    return new UserState(VERSION, false, fingerprint, strategy, seed, asked, q[0], q[1], List.of());
  }

  /** The latent z: the posterior mean of a stochastic latent. */
  @Override
  public float[] latent() {
    return latent.clone();
  }

  /** The posterior's standard deviation per dimension (empty for a deterministic latent). */
  @Override
  public float[] spread() {
    return spread.clone();
  }

  /** The state as bytes (the layout above). */
  public byte[] toBytes() {
    int width = answers.isEmpty() ? 0 : answers.get(0).chosen().length;
    ByteBuffer b = ByteBuffer.allocate(4 + 4 + 8 + 4 + 32 + 4 + 4 * latent.length + 4 + 4 * spread.length + (full ? 8 + 8 * answers.size() * width : 0))
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) version).put((byte) (full ? 1 : 0)).put((byte) strategy.ordinal()).put((byte) 0).putLong(seed).putInt(questionsAsked);
    b.put(HexFormat.of().parseHex(modelFingerprint));
    b.putInt(latent.length);
    for (float f : latent) b.putFloat(f);
    b.putInt(spread.length);
    for (float f : spread) b.putFloat(f);
    if (full) {
      b.putInt(answers.size()).putInt(width);
      for (PreferencePair p : answers) {
        for (float f : p.chosen()) b.putFloat(f);
        for (float f : p.rejected()) b.putFloat(f);
      }
    }
    return b.array();
  }

  /**
   * A state from {@link #toBytes}.
   *
   * @throws IllegalArgumentException for bytes that are not a user state of a known version
   */
  public static UserState fromBytes(byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      byte[] magic = new byte[4];
      b.get(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) throw new IllegalArgumentException("not a steer4j user state (no S4JU mark)");
      int version = b.get();
      if (version != VERSION) throw new IllegalArgumentException("user state version " + version + " (this steer4j reads " + VERSION + ")");
      boolean full = b.get() == 1;
      QuerySelector.Strategy strategy = QuerySelector.Strategy.values()[b.get()];
      b.get();
      long seed = b.getLong();
      int asked = b.getInt();
      byte[] fp = new byte[32];
      b.get(fp);
      float[] latent = new float[b.getInt()];
      for (int i = 0; i < latent.length; ++i) latent[i] = b.getFloat();
      float[] spread = new float[b.getInt()];
      for (int i = 0; i < spread.length; ++i) spread[i] = b.getFloat();
      List<PreferencePair> answers = new ArrayList<>();
      if (full) {
        int n = b.getInt(), width = b.getInt();
        for (int i = 0; i < n; ++i) {
          float[] c = new float[width], r = new float[width];
          for (int k = 0; k < width; ++k) c[k] = b.getFloat();
          for (int k = 0; k < width; ++k) r[k] = b.getFloat();
          answers.add(new PreferencePair(c, r));
        }
      }
      if (b.hasRemaining()) throw new IllegalArgumentException("user state has " + b.remaining() + " bytes too many");
      return new UserState(version, full, HexFormat.of().formatHex(fp), strategy, seed, asked, latent, spread, answers);
    } catch (BufferUnderflowException | ArrayIndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new IllegalArgumentException("truncated or malformed user state (" + bytes.length + " bytes)", e);
    }
  }

  /** The state as JSON (floats written exactly: Java's shortest round-trip form). */
  public String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("format", "steer4j-user-state").put("version", version).put("kind", full ? "full" : "compact").put("model_fingerprint", modelFingerprint)
        .put("strategy", strategy.name().toLowerCase(java.util.Locale.ROOT)).put("seed", seed).put("questions_asked", questionsAsked);
    ArrayNode z = n.putArray("latent");
    for (float f : latent) z.add(f);
    ArrayNode sd = n.putArray("spread");
    for (float f : spread) sd.add(f);
    if (full) {
      ArrayNode a = n.putArray("answers");
      for (PreferencePair p : answers) {
        ArrayNode pair = a.addArray();
        ArrayNode c = pair.addArray(), r = pair.addArray();
        for (float f : p.chosen()) c.add(f);
        for (float f : p.rejected()) r.add(f);
      }
    }
    return n.toString();
  }

  /** A state from {@link #toJson}. */
  public static UserState fromJson(String json) {
    try {
      JsonNode n = JSON.readTree(json);
      if (!"steer4j-user-state".equals(n.path("format").asText())) throw new IllegalArgumentException("not a steer4j user state");
      if (n.path("version").asInt() != VERSION) throw new IllegalArgumentException("user state version " + n.path("version") + " (this steer4j reads " + VERSION + ")");
      float[] latent = floats(n.path("latent"));
      List<PreferencePair> answers = new ArrayList<>();
      for (JsonNode p : n.path("answers")) answers.add(new PreferencePair(floats(p.get(0)), floats(p.get(1))));
      return new UserState(VERSION, n.path("kind").asText().equals("full"), n.path("model_fingerprint").asText(),
          QuerySelector.Strategy.valueOf(n.path("strategy").asText().toUpperCase(java.util.Locale.ROOT)), n.path("seed").asLong(), n.path("questions_asked").asInt(),
          latent, floats(n.path("spread")), answers);
    } catch (IOException | NullPointerException e) {
      throw new IllegalArgumentException("malformed user state JSON: " + e.getMessage(), e);
    }
  }

  private static float[] floats(JsonNode a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; ++i) out[i] = a.get(i).floatValue();
    return out;
  }
}
