package org.steer4j.recipes;
import org.steer4j.config.Checks;
import org.steer4j.config.RunConfig;
import org.steer4j.config.RuntimeConfig;
import org.steer4j.llm.TextConfig;
import org.steer4j.llm.LlmConfig;

/**
 * {@code steer4j embed}: the last hidden state at the EOS token of every (prompt, response) of a
 * text-pairs table, written as a pairs dataset (features_a / features_b).
 *
 * @param input text-pairs JSONL made by {@code steer4j prepare}
 * @param output pairs-dataset directory to write (also holds the resumable shards and manifest)
 * @param batchSize sequences per forward (sorted by length, right-padded)
 * @param shardSize texts per shard: the unit of progress saved and skipped on restart
 * @param keepShards keep shards/ after the dataset is assembled
 */
public record EmbedConfig(
    RunConfig run,
    RuntimeConfig runtime,
    String input,
    String output,
    LlmConfig model,
    TextConfig text,
    int batchSize,
    int shardSize,
    boolean keepShards) {
  public EmbedConfig {
    Checks.require(input != null && !input.isBlank(), "input must name a text-pairs file (from steer4j prepare)");
    Checks.require(output != null && !output.isBlank(), "output must name the dataset directory to write");
    Checks.positive("batch_size", batchSize);
    Checks.positive("shard_size", shardSize);
  }

  public static EmbedConfig defaults() {
    return new EmbedConfig(new RunConfig("embed", "outputs"), RuntimeConfig.defaults(), "data/generated/ultrafeedback/hh/text_pairs.jsonl",
        "data/generated/ultrafeedback/hh/llama3-8b", LlmConfig.defaults(), TextConfig.defaults(), 8, 2048, false);
  }
}
