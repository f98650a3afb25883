package org.steer4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.steer4j.data.UltraFeedbackPairs.Subset;
import org.steer4j.llm.ModelDtype;
import org.steer4j.recipes.EmbedConfig;
import org.steer4j.data.PrepareConfig;
import org.steer4j.llm.TextConfig;

/** The shipped prepare / embed configs of the HH and HHT reward experiments load and say what the paper did. */
class DatasetConfigsTest {
  static final Path CONFIGS = Path.of("../configs");

  @Test
  void prepareConfigsSelectTheSubsetsWithSeed42() {
    PrepareConfig hh = Configs.load(PrepareConfig.class, CONFIGS.resolve("hh_reward/prepare.yaml"), List.of());
    PrepareConfig hht = Configs.load(PrepareConfig.class, CONFIGS.resolve("hht_reward/prepare.yaml"), List.of());
    assertEquals(Subset.HH, hh.subset());
    assertEquals(Subset.HHT, hht.subset());
    assertEquals(42, hh.seed());
    assertEquals(0.8, hht.trainFraction());
  }

  @Test
  void embedConfigsUseLlama3InFloat16WithThePlainFormatAnd1024Tokens() {
    for (String d : new String[] {"hh", "hht"}) {
      EmbedConfig c = Configs.load(EmbedConfig.class, CONFIGS.resolve(d + "_reward/embed.yaml"), List.of());
      assertEquals(ModelDtype.FLOAT16, c.model().dtype());
      assertEquals(TextConfig.Format.PLAIN, c.text().format());
      assertEquals(1024, c.text().maxLength());
      assertTrue(c.output().endsWith(d + "/llama3-8b"), c.output());
      assertEquals("data/generated/ultrafeedback/" + d + "/text_pairs.jsonl", c.input());
    }
  }

  @Test
  void aMisspeltKeyIsNamed() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> Configs.load(EmbedConfig.class, CONFIGS.resolve("hh_reward/embed.yaml"), List.of("text.max_lenght=5")));
    assertTrue(e.getMessage().contains("did you mean 'max_length'"), e.getMessage());
  }
}
