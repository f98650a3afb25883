package org.steer4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.steer4j.data.PrepareConfig;
import org.steer4j.recipes.Prepare;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "prepare",
    mixinStandardHelpOptions = true,
    header = "Turn UltraFeedback into an HH / HHT text-pairs table.",
    description = "UltraFeedback (openbmb/UltraFeedback: JSONL, or the Hub's parquet shards) to a text-pairs table for 'embed': rated completions paired per prompt, choices per objective, the HH / HHT subsets, a seeded 80/10/10 split.")
final class PrepareCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG", description = "YAML config, e.g. configs/hh_reward/prepare.yaml")
  Path config;

  @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "overrides, e.g. input=data/uf subset=hht")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    ConfigArgs.requireOneProcess("prepare");
    PrepareConfig cfg = ConfigArgs.load(PrepareConfig.class, config, overrides);
    var result = Prepare.run(cfg);
    var s = result.stats();
    Path output = Path.of(cfg.output());
    System.out.printf("%d rows, %d prompts, %d completions (%d dropped: a non-integer rating), %d pairs, %d in subset %s%n",
        s.rows(), s.prompts(), s.completions(), s.droppedCompletions(), s.pairs(), s.kept(), cfg.subset().name().toLowerCase());
    System.out.printf("split: %d train, %d val, %d test -> %s%n", s.train(), s.val(), s.test(), output);
    return 0;
  }
}
