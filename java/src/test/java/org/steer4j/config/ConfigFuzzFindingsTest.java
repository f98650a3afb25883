package org.steer4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.steer4j.recipes.RewardExperimentConfig;
import org.steer4j.reward.RewardConfig;

/** Findings of {@link ConfigsFuzzTest}, as plain regression tests (docs/inputs.md). */
class ConfigFuzzFindingsTest {
  /** Was SnakeYAML's message: four lines, quoting the line with a caret under the tab. */
  @Test
  void malformedYamlIsOneLine() {
    var e = assertThrows(ConfigException.class, () -> Configs.parse(RewardConfig.class, "run:\n\tname: x\n", List.of(), "c.yaml"));
    assertEquals("c.yaml:2:1: malformed YAML: while scanning for the next token: found character '\\t(TAB)' that cannot start any token."
        + " (Do not use \\t(TAB) for indentation)", e.getMessage());
  }

  /**
   * Were NullPointerExceptions from List.copyOf in the records' constructors ("c.yaml: null"), or
   * configs with a null section that failed later: a null list (null, ~) is the empty list, a null
   * element or a null section is refused by name.
   */
  @Test
  void nullListsElementsAndSectionsAreNamed() {
    var e = assertThrows(ConfigException.class, () -> Configs.parse(RewardExperimentConfig.class, "models: [null]\n", List.of(), "c.yaml"));
    assertEquals("c.yaml: 'models[0]': a list element can't be null", e.getMessage());
    e = assertThrows(ConfigException.class, () -> Configs.parse(RewardExperimentConfig.class, "models: null\n", List.of(), "c.yaml"));
    assertEquals("c.yaml: models: list at least one model config", e.getMessage());
    e = assertThrows(ConfigException.class, () -> Configs.parse(RewardConfig.class, "run: ~\ntrain:\n  lr: 0.1\n", List.of(), "c.yaml"));
    assertEquals("c.yaml: 'run': expected a mapping of keys, got null (leave the key out for its defaults)", e.getMessage());
    e = assertThrows(ConfigException.class, () -> Configs.parse(RewardConfig.class, "", List.of("data.labels=[a, null]"), "c.yaml"));
    assertEquals("c.yaml: 'data.labels[1]': a list element can't be null", e.getMessage());
    assertEquals(List.of(), Configs.parse(RewardExperimentConfig.class, "model_overrides: null\n", List.of(), "c.yaml").modelOverrides());
  }

  /** Was accepted: a learning rate of 1e999, +Infinity (training then diverges at the first step). */
  @Test
  void infinityIsRefusedWhereAPositiveNumberIsExpected() {
    var e = assertThrows(ConfigException.class, () -> Configs.parse(RewardConfig.class, "train:\n  lr: 1e999\n", List.of(), "c.yaml"));
    assertEquals("c.yaml: train: train.lr must be finite, got Infinity", e.getMessage());
    e = assertThrows(ConfigException.class, () -> Configs.parse(RewardConfig.class, "run:\n  name: x\n", List.of("train.weight_decay=1e999"), "c.yaml"));
    assertEquals("c.yaml: train: train.weight_decay must be finite, got Infinity", e.getMessage());
  }
}
