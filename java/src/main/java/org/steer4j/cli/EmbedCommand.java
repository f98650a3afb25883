package org.steer4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.steer4j.recipes.EmbedConfig;
import org.steer4j.recipes.Embed;
import org.steer4j.run.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "embed",
    mixinStandardHelpOptions = true,
    header = "Embed a text-pairs table with a causal LM into a pairs dataset.",
    description = "Embeds a text-pairs table with a Hugging Face causal LM (Llama, Qwen2, Gemma): the last hidden state at an appended EOS, written as a pairs dataset. Resumable: finished shards are kept and skipped.")
final class EmbedCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG", description = "YAML config, e.g. configs/hh_reward/embed.yaml")
  Path config;

  @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "overrides, e.g. model.path=/models/llama3 runtime.device=cuda")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    ConfigArgs.requireOneProcess("embed");
    EmbedConfig cfg = ConfigArgs.load(EmbedConfig.class, config, overrides);
    RunDirectory run = RunDirectory.create(Path.of(cfg.run().outputDir()), cfg.run().name(), cfg);
    Embed.Summary s = new Embed(cfg, run).run();
    System.out.printf("%d pairs (%d dropped as too long), %d distinct texts, %d tokens; %d shards embedded, %d reused%n", s.pairs(),
        s.droppedPairs(), s.texts(), s.tokens(), s.shardsEmbedded(), s.shardsReused());
    System.out.println("dataset: " + cfg.output() + "    run directory: " + run);
    return 0;
  }
}
