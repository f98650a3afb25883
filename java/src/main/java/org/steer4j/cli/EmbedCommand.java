package org.steer4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.steer4j.config.Configs;
import org.steer4j.dist.Distributed;
import org.steer4j.recipes.EmbedConfig;
import org.steer4j.recipes.Embed;
import org.steer4j.run.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
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

  @Option(names = "--nproc", paramLabel = "N", description = "data parallel: embed on N processes (ranks) on this machine, started as torchrun starts them, each with runtime.threads / N threads; rank r embeds the shards k with k %% N = r, rank 0 assembles the dataset, which is that of one process with as many threads as a rank")
  int nproc = 1;

  @Option(names = "--dist-timeout", paramLabel = "SECONDS", description = DataParallelArgs.TIMEOUT_HELP)
  Double distTimeout;

  @Override
  public Integer call() throws Exception {
    List<String> args = new ArrayList<>(List.of("embed"));
    if (config != null) args.add(config.toString());
    args.addAll(overrides);
    return DataParallelArgs.run(nproc, distTimeout, args, this::embed, this::embedAsRank);
  }

  /** Rank 0 (or a world of one): makes the run directory, embeds its shards, assembles the dataset. */
  private int embed(Distributed dist) throws Exception {
    EmbedConfig cfg = ConfigArgs.load(EmbedConfig.class, config, overrides);
    RunDirectory run = RunDirectory.create(Path.of(cfg.run().outputDir()), cfg.run().name(), cfg);
    dist.publish("run_dir", run.path().toAbsolutePath().toString());
    Embed.Summary s = new Embed(cfg, run).distributed(dist).run();
    System.out.printf("%d pairs (%d dropped as too long), %d distinct texts, %d tokens; %d shards embedded, %d reused%n", s.pairs(),
        s.droppedPairs(), s.texts(), s.tokens(), s.shardsEmbedded(), s.shardsReused());
    System.out.println("dataset: " + cfg.output() + "    run directory: " + run);
    return 0;
  }

  /**
   * Rank r > 0: the config rank 0 saved in its run directory (so every rank embeds with the same
   * settings), its own shards, nothing else written.
   */
  private int embedAsRank(Distributed dist) throws Exception {
    Path runDir = Path.of(dist.await("run_dir"));
    EmbedConfig cfg = Configs.load(EmbedConfig.class, runDir.resolve("config.yaml"), List.of());
    Embed.Summary s = new Embed(cfg, RunDirectory.open(runDir)).distributed(dist).run();
    System.out.printf("rank %d: %d shards embedded, %d reused; rank 0 assembles %s%n", dist.rank(), s.shardsEmbedded(), s.shardsReused(), cfg.output());
    return 0;
  }
}
