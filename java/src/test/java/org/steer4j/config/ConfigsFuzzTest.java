package org.steer4j.config;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.steer4j.data.PrepareConfig;
import org.steer4j.fuzz.FuzzContract;
import org.steer4j.policy.PolicyConfig;
import org.steer4j.recipes.RewardExperimentConfig;
import org.steer4j.reward.RewardConfig;

/**
 * Fuzzes the YAML config loader with overrides, {@link Configs#parse} (and {@link Configs#load}
 * on the same bytes as a file), into a few record types. Lines of the input starting with
 * {@code #=} (YAML comments) are overrides, e.g. {@code #= train.lr=1e-3}. Seeds:
 * {@code ConfigsFuzzTestInputs/parse/}.
 */
class ConfigsFuzzTest {
  private static final List<Class<?>> TYPES = List.of(RewardConfig.class, RewardExperimentConfig.class, PolicyConfig.class, PrepareConfig.class);

  @DictionaryEntries({"null", "~", ": ", "- ", "[", "]", "{", "}", "&a ", "*a", "!!str ", "1e999", ".nan", "-1", "#= ", "=", "run", "runtime", "data", "sampler", "model", "train", "eval", "models", "model_overrides", "curve_contexts", "pipeline", "policy", "dpo", "base", "labels", "contexts", "lr", "steps", "seed", "threads", "type", "source", "path"})
  @FuzzTest(maxDuration = "5s")
  void parse(byte[] input) {
    String yaml = new String(input, StandardCharsets.UTF_8);
    List<String> overrides = new ArrayList<>();
    for (String line : yaml.split("\n", -1)) if (line.startsWith("#=")) overrides.add(line.substring(2).strip());
    for (Class<?> type : TYPES) FuzzContract.check("fuzz.yaml", () -> Configs.parse(type, yaml, overrides, "fuzz.yaml"));
    Path file = FuzzContract.file("config.yaml", input);
    Class<?> type = TYPES.get(input.length % TYPES.size());
    FuzzContract.check(file.toString(), () -> Configs.load(type, file, overrides));
  }
}
