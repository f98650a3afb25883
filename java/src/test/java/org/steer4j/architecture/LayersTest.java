package org.steer4j.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering of docs/architecture.md, enforced: a package uses only packages below it
 * (peers on one layer never use each other), and no two packages depend on each other through
 * any chain.
 */
class LayersTest {
  static JavaClasses classes;

  @BeforeAll
  static void load() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.steer4j");
  }

  @Test
  void noCyclesBetweenPackages() {
    slices().matching("org.steer4j.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void eachLayerUsesOnlyTheLayersBelowIt() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("runtime").definedBy("org.steer4j.runtime..")
        .layer("io").definedBy("org.steer4j.io..")
        .layer("dist").definedBy("org.steer4j.dist..")
        .layer("config").definedBy("org.steer4j.config..")
        .layer("kernels").definedBy("org.steer4j.kernels..")
        .layer("nn").definedBy("org.steer4j.nn..")
        .layer("data").definedBy("org.steer4j.data..")
        .layer("llm").definedBy("org.steer4j.llm..")
        .layer("run").definedBy("org.steer4j.run..")
        .layer("train").definedBy("org.steer4j.train..")
        .layer("eval").definedBy("org.steer4j.eval..")
        .layer("reward").definedBy("org.steer4j.reward..")
        .layer("policy").definedBy("org.steer4j.policy..")
        .layer("recipes").definedBy("org.steer4j.recipes..")
        .layer("api").definedBy("org.steer4j.api..")
        .layer("cli").definedBy("org.steer4j.cli..")
        .whereLayer("cli").mayNotBeAccessedByAnyLayer()
        .whereLayer("api").mayOnlyBeAccessedByLayers("cli")  // the terminal's elicit session is an API client
        .whereLayer("recipes").mayOnlyBeAccessedByLayers("cli")
        .whereLayer("reward").mayOnlyBeAccessedByLayers("recipes", "api", "cli")
        .whereLayer("policy").mayOnlyBeAccessedByLayers("recipes", "api", "cli")
        .whereLayer("eval").mayOnlyBeAccessedByLayers("reward", "policy", "recipes", "api", "cli")
        .whereLayer("train").mayOnlyBeAccessedByLayers("reward", "policy", "recipes", "api", "cli")
        .whereLayer("run").mayOnlyBeAccessedByLayers("train", "eval", "reward", "policy", "recipes", "api", "cli")
        .whereLayer("data").mayOnlyBeAccessedByLayers("run", "train", "eval", "reward", "policy", "recipes", "api", "cli")
        .whereLayer("llm").mayOnlyBeAccessedByLayers("run", "train", "eval", "reward", "policy", "recipes", "api", "cli")
        .whereLayer("nn").mayOnlyBeAccessedByLayers("data", "llm", "run", "train", "eval", "reward", "policy", "recipes", "api", "cli")
        .whereLayer("kernels").mayOnlyBeAccessedByLayers("nn", "data", "llm", "run", "train", "eval", "reward", "policy", "recipes", "api", "cli")
        .whereLayer("config").mayOnlyBeAccessedByLayers("kernels", "nn", "data", "llm", "run", "train", "eval", "reward", "policy", "recipes", "api", "cli")
        .whereLayer("dist").mayOnlyBeAccessedByLayers("config", "kernels", "nn", "data", "llm", "run", "train", "eval", "reward", "policy", "recipes", "api",
            "cli")
        .whereLayer("io").mayOnlyBeAccessedByLayers("config", "kernels", "nn", "data", "llm", "run", "train", "eval", "reward", "policy", "recipes", "api",
            "cli")
        .whereLayer("runtime").mayOnlyBeAccessedByLayers("io", "dist", "config", "kernels", "nn", "data", "llm", "run", "train", "eval", "reward", "policy",
            "recipes", "api", "cli")
        .check(classes);
  }
}
