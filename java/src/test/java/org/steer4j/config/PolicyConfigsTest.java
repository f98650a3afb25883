package org.steer4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.steer4j.llm.ModelDtype;
import org.steer4j.policy.BaseModelConfig;
import org.steer4j.recipes.ExperimentKind;
import org.steer4j.policy.PolicyConfig;
import org.steer4j.policy.PolicyDataConfig;
import org.steer4j.recipes.PolicyExperimentConfig;
import org.steer4j.policy.PolicyModelConfig;
import org.steer4j.recipes.RewardExperimentConfig;

/** The shipped policy configs (demo, HH, HHT) load with the same records and say what the paper did. */
class PolicyConfigsTest {
  static final Path CONFIGS = Path.of("../configs");

  static PolicyExperimentConfig experiment(String dir) {
    return Configs.load(PolicyExperimentConfig.class, CONFIGS.resolve(dir).resolve("experiment.yaml"), List.of());
  }

  static PolicyConfig model(String dir, String file) {
    return Configs.load(PolicyConfig.class, CONFIGS.resolve(dir).resolve(file), List.of());
  }

  @Test
  void everyPolicyConfigOfEveryExperimentLoadsAndValidates() {
    for (String dir : List.of("steer_demo", "hh_dpo", "hht_dpo")) {
      PolicyExperimentConfig e = experiment(dir);
      assertEquals(ExperimentKind.POLICY, e.kind());
      assertEquals(List.of(0, 1, 3, 5, 10), e.eval().contexts(), dir);
      for (String file : e.models()) {
        PolicyConfig m = model(dir, file);
        assertTrue(m.sampler().maxContext() >= m.sampler().minContext(), dir + "/" + file);
        assertEquals(List.of("q_proj", "v_proj"), m.policy().lora().targets(), dir + "/" + file);
      }
    }
  }

  @Test
  void hhAndHhtFollowThePaperSettings() {
    for (String dir : List.of("hh_dpo", "hht_dpo")) {
      PolicyExperimentConfig e = experiment(dir);
      assertEquals(PolicyDataConfig.Source.TEXT_PAIRS, e.data().source());
      assertEquals(BaseModelConfig.Source.CHECKPOINT, e.base().source());
      assertEquals(ModelDtype.BFLOAT16, e.base().dtype());
      assertEquals(0, e.eval().generation().prompts(), "no rules to score UltraFeedback generations");
      assertTrue(e.data().embeddings().endsWith("llama3-8b"), "context features: Llama-3-8B embeddings");
      for (String file : e.models()) {
        PolicyConfig m = model(dir, file);
        String where = dir + "/" + file;
        assertEquals(9, m.sampler().targets(), where);
        assertEquals(0, m.sampler().minContext(), where);
        assertEquals(6, m.sampler().maxContext(), where);
        assertTrue(m.sampler().batchSize() <= 2, where);
        assertTrue(m.train().lr() >= 1e-6 && m.train().lr() <= 1e-5, where);
        assertEquals(TrainConfig.Optimizer.ADAMW, m.train().optimizer(), where);
        assertEquals(3e-5, m.train().eps(), 0, where);
        assertEquals(0.05, m.dpo().beta(), 0, where);
        assertEquals(0.1, m.policy().lora().dropout(), 0, where);
      }
    }
    assertEquals("models/Qwen2.5-1.5B-Instruct", experiment("hh_dpo").base().path());
    assertEquals(128, model("hh_dpo", "npdpo_mixed.yaml").policy().lora().rank());
    assertEquals(256, model("hh_dpo", "npdpo_mixed.yaml").policy().lora().alpha(), 0);
    assertEquals("models/gemma-2b", experiment("hht_dpo").base().path());
    assertEquals(512, model("hht_dpo", "btl_mixed.yaml").policy().lora().rank());
    assertEquals(1024, model("hht_dpo", "btl_mixed.yaml").policy().lora().alpha(), 0);
    assertEquals(List.of("btl_helpfulness.yaml", "btl_honesty.yaml", "btl_truthfulness.yaml", "btl_mixed.yaml", "npdpo_mixed.yaml"),
        experiment("hht_dpo").models());
    PolicyConfig np = model("hh_dpo", "npdpo_mixed.yaml");
    assertEquals(PolicyModelConfig.Type.NP_DPO, np.policy().type());
    assertEquals(org.steer4j.nn.ContextEncoder.Encoder.LINEAR, np.policy().contextEncoder());
    assertEquals(List.of("truthfulness"), model("hht_dpo", "btl_truthfulness.yaml").sampler().labels());
  }

  @Test
  void theDemoIsTheDialogueWorldOnAPretrainedModel() {
    PolicyExperimentConfig e = experiment("steer_demo");
    assertEquals(PolicyDataConfig.Source.DIALOGUE, e.data().source());
    assertEquals(BaseModelConfig.Source.PRETRAIN, e.base().source());
    assertTrue(e.eval().generation().prompts() > 0);
    assertEquals(PolicyModelConfig.Type.NP_DPO, model("steer_demo", "npdpo_mixed.yaml").policy().type());
  }

  @Test
  void mistakesAreNamed() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> Configs.load(PolicyConfig.class, CONFIGS.resolve("hh_dpo/npdpo_mixed.yaml"), List.of("policy.lora.rank=0")));
    assertTrue(e.getMessage().contains("policy.lora: lora rank must be > 0"), e.getMessage());
    e = assertThrows(ConfigException.class,
        () -> Configs.load(PolicyExperimentConfig.class, CONFIGS.resolve("hh_dpo/experiment.yaml"), List.of("kind=reward")));
    assertTrue(e.getMessage().contains("kind: policy"), e.getMessage());
    e = assertThrows(ConfigException.class,
        () -> Configs.load(PolicyConfig.class, CONFIGS.resolve("hh_dpo/btl_mixed.yaml"), List.of("dpo.logprb=eager")));
    assertTrue(e.getMessage().contains("logprob"), e.getMessage());
    // the reward experiments still load as before (kind defaults to reward)
    assertEquals(ExperimentKind.REWARD, Configs.load(RewardExperimentConfig.class, CONFIGS.resolve("synthetic/experiment.yaml"), List.of()).kind());
  }
}
