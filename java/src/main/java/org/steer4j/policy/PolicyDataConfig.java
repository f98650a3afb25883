package org.steer4j.policy;

import java.util.List;
import org.steer4j.data.DialogueWorld;
import org.steer4j.config.Checks;

/**
 * Where a policy's preference pairs come from, and the context features of its users.
 *
 * @param source dialogue (the demo's synthetic world, {@link DialogueWorld}) or text_pairs (a
 *     text-pairs table made by {@code steer4j prepare}, e.g. UltraFeedback HH / HHT)
 * @param dialogue the dialogue world's settings (source = dialogue)
 * @param textPairs the text-pairs JSONL (source = text_pairs)
 * @param embeddings a pairs-dataset directory made by {@code steer4j embed} from the same table
 *     (its {@code source_index.csv} maps rows to the table's idx): the context encoder's
 *     features, as the paper's Llama-3-8B embeddings. Empty: each text is embedded by the base
 *     model itself (last hidden state at an appended EOS), computed once and cached
 * @param labels the objectives users follow (a task's label is drawn uniformly); empty = all
 * @param cacheDir where fingerprinted artifacts are kept and reused across runs: the pretrained
 *     demo model, the base-model embeddings, the reference log-probs
 */
public record PolicyDataConfig(
    Source source, DialogueConfig dialogue, String textPairs, String embeddings, List<String> labels, String cacheDir) {
  public PolicyDataConfig {
    labels = labels == null ? List.of() : List.copyOf(labels);
    if (textPairs == null) textPairs = "";
    if (embeddings == null) embeddings = "";
    Checks.require(source != null, "data.source must be dialogue or text_pairs");
    Checks.require(source != Source.TEXT_PAIRS || !textPairs.isBlank(), "data.text_pairs is required when data.source is text_pairs");
    Checks.require(source != Source.DIALOGUE || embeddings.isBlank(),
        "data.embeddings: the dialogue world's context features are the base model's own embeddings; leave it empty");
    Checks.require(cacheDir != null && !cacheDir.isBlank(), "data.cache_dir must not be empty");
  }

  public static PolicyDataConfig defaults() {
    return new PolicyDataConfig(Source.DIALOGUE, DialogueConfig.defaults(), "", "", List.of(), "data/generated/cache");
  }

  public enum Source {
    DIALOGUE,
    TEXT_PAIRS
  }

  /**
   * @param size pairs to generate
   * @param seed the world's seed (independent of the run seed)
   * @param answerableFraction share of prompts with a knowable answer
   * @param subset conflicting (both objectives strict and opposed: the HH-style subset), strict
   *     or all
   * @param corpus (prompt, response) examples the base model is pretrained on
   */
  public record DialogueConfig(int size, long seed, double answerableFraction, DialogueWorld.Subset subset, int corpus) {
    public DialogueConfig {
      Checks.require(size >= 100, "data.dialogue.size must be >= 100 pairs, got " + size);
      Checks.range("data.dialogue.answerable_fraction", answerableFraction, 0, 1);
      Checks.require(subset != null, "data.dialogue.subset must be conflicting, strict or all");
      Checks.positive("data.dialogue.corpus", corpus);
    }

    public static DialogueConfig defaults() {
      return new DialogueConfig(6000, 0, 0.4, DialogueWorld.Subset.CONFLICTING, 20000);
    }
  }
}
