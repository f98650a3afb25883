package org.steer4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code steer4j experiment} dispatches on the config's kind; a tiny policy experiment runs end to
 * end, and on two ranks writes what one process writes.
 */
class ExperimentCommandTest {
  @TempDir Path dir;

  static final String POLICY = """
      kind: policy
      run: {name: tiny, output_dir: %s}
      runtime: {seed: 0, threads: 2}
      data:
        source: dialogue
        dialogue: {size: 200, seed: 1, corpus: 300}
        cache_dir: %s
      base:
        source: pretrain
        max_length: 96
        pretrain: {hidden: 32, intermediate: 64, layers: 2, heads: 2, kv_heads: 1, steps: 10, batch_size: 8, lr: 3.0e-3}
      eval:
        contexts: [0, 3]
        batches: 1
        batch_size: 4
        targets: 8
        forward_batch: 64
        generation: {prompts: 4, contexts: [0, 3], max_new_tokens: 8}
      models: [dpo.yaml, np.yaml]
      """;
  static final String MODEL = """
      run: {name: %s}
      sampler: {batch_size: 2, targets: 3, min_context: 0, max_context: 3, context: disjoint}
      policy: {type: %s, latent: 8, heads: 2, lora: {rank: 2, alpha: 4}}
      dpo: {beta: 0.5}
      train: {optimizer: adamw, lr: 1.0e-2, steps: 3, val_every: 3, val_batches: 1, checkpoint_every: 3}
      """;

  Path write() throws Exception {
    Files.writeString(dir.resolve("dpo.yaml"), MODEL.formatted("dpo", "dpo"));
    Files.writeString(dir.resolve("np.yaml"), MODEL.formatted("np", "np_dpo"));
    Path experiment = dir.resolve("experiment.yaml");
    Files.writeString(experiment, POLICY.formatted(dir.resolve("out"), dir.resolve("cache")));
    return experiment;
  }

  static Path runDirectory(Path out) throws Exception {
    try (Stream<Path> s = Files.walk(out, 2)) {
      return s.filter(p -> p.getFileName().toString().contains("-tiny")).sorted().reduce((a, b) -> b).orElseThrow();
    }
  }

  @Test
  void aPolicyExperimentRunsEndToEndAndASecondRunReusesTheCaches() throws Exception {
    Path experiment = write();
    Steer4jTest.Result first = Steer4jTest.run("experiment", experiment.toString());
    assertEquals(0, first.code(), first.err());
    Path run = runDirectory(dir.resolve("out"));
    List<String> results = Files.readAllLines(run.resolve("results.csv"));
    assertEquals("model,objective,context,accuracy,sem", results.get(0));
    assertEquals(1 + 2 * 2 * 2, results.size(), "2 models x 2 objectives x 2 C");
    assertTrue(results.stream().anyMatch(l -> l.startsWith("np,honesty,3,")), results.toString());
    List<String> generation = Files.readAllLines(run.resolve("generation.csv"));
    assertEquals("conditioned_on,context,objective,score", generation.get(0));
    assertEquals(1 + 2 * 2 * 2, generation.size(), "2 users x 2 C x 2 objectives");
    assertTrue(Files.readString(run.resolve("generation_models.csv")).contains("base (reference),none,0,helpfulness,"));
    String report = Files.readString(run.resolve("report.md"));
    assertTrue(report.contains("## Checks") && report.contains("| np |") && report.contains("Example generations"), report);
    for (String png : List.of("accuracy_helpfulness.png", "accuracy_honesty.png", "generation_honesty.png")) {
      assertTrue(Files.size(run.resolve("plots").resolve(png)) > 1000, png);
    }
    assertTrue(Files.exists(run.resolve("models/np/checkpoints/best/policy.yaml")));

    Steer4jTest.Result second = Steer4jTest.run("experiment", experiment.toString());
    assertEquals(0, second.code(), second.err());
    String log = Files.readString(runDirectory(dir.resolve("out")).resolve("run.log"));
    assertTrue(log.contains("base model: reusing"), log);
    assertTrue(log.contains("reference log-probs of 400 sequences: reused"), log);
    assertTrue(!log.contains("embedding "), "embeddings come from the cache: " + log);
  }

  @Test
  void aPolicyExperimentOnTwoRanksWritesWhatOneProcessWrites() throws Exception {
    Path experiment = write();
    for (String m : List.of("dpo", "np")) {  // two micro-batches per step: one per rank
      Path f = dir.resolve(m + ".yaml");
      Files.writeString(f, Files.readString(f).replace("dpo: {beta: 0.5}", "dpo: {beta: 0.5, gradient_accumulation: 2}"));
    }
    // one thread per process either way (results depend on the thread count); own caches, so
    // each run pretrains, embeds and computes its reference log-probs (two ranks: sharded, as are
    // validation and the test evaluation)
    Path one = dir.resolve("one"), two = dir.resolve("two");
    // 3 test batches: rank 0 scores 2, rank 1 one
    Steer4jTest.Result single = Steer4jTest.run("experiment", experiment.toString(), "runtime.threads=1", "run.output_dir=" + one,
        "data.cache_dir=" + one.resolve("cache"), "eval.batches=3");
    assertEquals(0, single.code(), single.err());
    Steer4jTest.Result ranks = Steer4jTest.run("experiment", experiment.toString(), "--nproc", "2", "--dist-timeout", "60", "runtime.threads=2",
        "run.output_dir=" + two, "data.cache_dir=" + two.resolve("cache"), "eval.batches=3");
    assertEquals(0, ranks.code(), ranks.err());
    Path a = runDirectory(one), b = runDirectory(two);
    assertTrue(Files.readString(b.resolve("run.log")).contains("computed and stored in"), Files.readString(b.resolve("run.log")));
    // the report says where the run computed
    assertTrue(Files.readString(a.resolve("report.md")).contains(" on 1 thread;"), Files.readString(a.resolve("report.md")));
    assertTrue(Files.readString(b.resolve("report.md")).contains(" on 2 ranks x 1 thread;"), Files.readString(b.resolve("report.md")));
    for (String f : List.of("results.csv", "generation.csv", "generation_models.csv")) {
      assertEquals(Files.readString(a.resolve(f)), Files.readString(b.resolve(f)), f);
    }
  }

  @Test
  void aRewardWorldSizeTheConfigCantRunOnIsRefusedBeforeTheRunDirectoryIsTouched() throws Exception {
    String synthetic = Path.of("../configs/synthetic/experiment.yaml").toAbsolutePath().normalize().toString();
    List<String> tiny = List.of("models=[nppl.yaml]", "data.size=400", "eval.batches=1", "eval.contexts=[0]", "curves=false", "runtime.threads=1",
        "model_overrides=[train.steps=2, train.val_every=2, sampler.batch_size=4, model.hidden=16, model.fused_decoder=false]");
    Path fresh = dir.resolve("fresh");
    List<String> args = new java.util.ArrayList<>(List.of("experiment", synthetic, "--nproc", "2", "--dist-timeout", "60", "run.output_dir=" + fresh));
    args.addAll(tiny);
    assertEquals(2, Steer4jTest.run(args.toArray(String[]::new)).code(), "synchronised BatchNorm needs the fused decoder");
    assertTrue(!Files.exists(fresh), "no run directory is made");

    // a run with 2 micro-batches (local BatchNorm, unfused decoder) can't resume on 3 ranks
    Path out = dir.resolve("m2");
    args = new java.util.ArrayList<>(List.of("experiment", synthetic, "runtime.micro_batches=2", "run.output_dir=" + out));
    args.addAll(tiny);
    Steer4jTest.Result one = Steer4jTest.run(args.toArray(String[]::new));
    assertEquals(0, one.code(), one.err());
    Path run;
    try (Stream<Path> s = Files.walk(out, 2)) {
      run = s.filter(p -> p.getFileName().toString().endsWith("-synthetic")).findFirst().orElseThrow();
    }
    String log = Files.readString(run.resolve("run.log"));
    assertEquals(2, Steer4jTest.run("experiment", synthetic, "--resume", run.toString(), "--nproc", "3", "--dist-timeout", "60").code());
    assertEquals(log, Files.readString(run.resolve("run.log")), "the run is refused before rank 0 touches it");
  }

  @Test
  void theKindKeyChoosesTheRecordAndAnUnknownKindIsNamed() throws Exception {
    Path experiment = write();
    Steer4jTest.Result wrong = Steer4jTest.run("experiment", experiment.toString(), "kind=reward");
    assertEquals(2, wrong.code());
    // read as a reward experiment, its policy-only settings are named as errors
    assertTrue(wrong.err().contains("'data.source': unknown value 'dialogue'"), wrong.err());
    Steer4jTest.Result unknown = Steer4jTest.run("experiment", experiment.toString(), "kind=ppo");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("kind: unknown value 'ppo'; valid values: reward, policy"), unknown.err());
  }
}
