package org.steer4j.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How an artifact was made, one record for every kind of artifact steer4j writes (a reward
 * model, a policy, an embedded dataset, a cached reference log-prob table, a pretrained base
 * model): which build made it with which recipe, from which seed and data, after how many
 * optimiser steps, and the content hashes of the inputs it was computed from. It carries no
 * timestamp, so the same run gives the same bytes.
 *
 * @param producer {@code steer4j <version>}
 * @param recipe the run type that made it (reward_experiment, policy_experiment, embed, ...)
 * @param seed the run seed
 * @param steps optimiser steps taken (0 for artifacts that are not trained)
 * @param data what the data was, in words
 * @param inputs content hashes of the inputs (role -> SHA-256 hex), sorted by role
 */
public record Provenance(String producer, String recipe, long seed, long steps, String data, Map<String, String> inputs) {
  public static final String FILE = "provenance.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  public Provenance {
    inputs = inputs == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(inputs));
  }

  /** A new artifact of this build, made by {@code recipe} from {@code data} with {@code seed}. */
  public static Provenance of(String recipe, long seed, String data) {
    return new Provenance("steer4j " + Version.get(), recipe, seed, 0, data, Map.of());
  }

  /** The same record after {@code steps} optimiser steps. */
  public Provenance withSteps(long steps) {
    return new Provenance(producer, recipe, seed, steps, data, inputs);
  }

  /** The same record with the content hash of one more input. */
  public Provenance withInput(String role, String sha256) {
    Map<String, String> more = new TreeMap<>(inputs);
    more.put(role, sha256);
    return new Provenance(producer, recipe, seed, steps, data, more);
  }

  /** The record as JSON (keys in a fixed order). */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a record written by {@link #toJson}. */
  public static Provenance fromJson(String json) {
    try {
      return JSON.readValue(json, Provenance.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a provenance record: " + e.getMessage(), e);
    }
  }

  /**
   * Rewrites, in place, a model card saved before cards carried a provenance record (steer4j
   * 0.1 wrote {@code data}, {@code seed}, {@code steps}, {@code version} at its top level) into
   * the current shape. Top-level keys named in {@code inputKeys} (old key -> input role) become
   * input hashes. A current card is left as it is.
   *
   * @return whether the card was in the old shape
   */
  public static boolean upgradeLegacyCard(ObjectNode card, String recipe, Map<String, String> inputKeys) {
    if (card.has("provenance") || !card.has("version")) return false;
    ObjectNode p = card.objectNode();
    p.put("producer", "steer4j " + card.path("version").asText());
    p.put("recipe", recipe);
    p.put("seed", card.path("seed").asLong());
    p.put("steps", card.path("steps").asLong());
    p.put("data", card.path("data").asText());
    ObjectNode inputs = p.putObject("inputs");
    inputKeys.forEach((key, role) -> {
      if (card.hasNonNull(key)) inputs.put(role, card.get(key).asText());
    });
    for (String key : List.of("version", "seed", "steps", "data")) card.remove(key);
    inputKeys.keySet().forEach(card::remove);
    card.set("provenance", p);
    return true;
  }

  /** Writes {@value #FILE} into {@code dir}, atomically. */
  public void writeInto(Path dir) throws IOException {
    AtomicFiles.writeString(dir.resolve(FILE), toJson());
  }
}
