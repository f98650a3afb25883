package org.steer4j.data;

import org.steer4j.data.UltraFeedbackPairs.Subset;
import org.steer4j.config.Checks;

/**
 * {@code steer4j prepare}: UltraFeedback rows to a text-pairs table (see UltraFeedbackPairs).
 *
 * @param input openbmb/UltraFeedback: a JSONL or parquet file, a directory of *.jsonl or *.parquet files, or a glob
 *     in the file name such as {@code data/train-*-of-00004.parquet} (the Hub's shards)
 * @param output the text-pairs JSONL to write ({@code embed}'s input); a summary JSON is written beside it
 * @param subset hh, hht or all
 * @param seed seed of the random split (42 in the paper)
 * @param trainFraction fraction of pairs in the train split
 * @param valFraction fraction in the validation split; the rest is test
 */
public record PrepareConfig(String input, String output, Subset subset, long seed, double trainFraction, double valFraction) {
  public PrepareConfig {
    Checks.require(input != null && !input.isBlank(), "input must name the UltraFeedback JSONL / parquet file, folder or glob");
    Checks.require(output != null && !output.isBlank(), "output must name the text-pairs file to write");
    Checks.require(subset != null, "subset must be one of hh, hht, all");
    Checks.range("train_fraction", trainFraction, 0, 1);
    Checks.range("val_fraction", valFraction, 0, 1);
    Checks.require(trainFraction + valFraction <= 1, "train_fraction + val_fraction must be <= 1");
  }

  public static PrepareConfig defaults() {
    return new PrepareConfig("data/ultrafeedback", "data/generated/ultrafeedback/hh/text_pairs.jsonl", Subset.HH, 42, 0.8, 0.1);
  }
}
