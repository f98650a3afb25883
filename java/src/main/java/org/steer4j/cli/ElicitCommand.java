package org.steer4j.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.steer4j.api.Answer;
import org.steer4j.api.PreferencePair;
import org.steer4j.api.RewardModel;
import org.steer4j.api.UserSession;
import org.steer4j.api.UserState;
import org.steer4j.config.ConfigException;
import org.steer4j.config.Configs;
import org.steer4j.data.Split;
import org.steer4j.recipes.RewardExperimentConfig;
import org.steer4j.reward.QuerySelector;
import org.steer4j.reward.RewardData;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "elicit",
    mixinStandardHelpOptions = true,
    header = "Onboard a user interactively: ask the questions that tell the most, then print their state.",
    description = "Loads a trained NP-BTL from a reward run directory, draws a pool of test-split pairs of the run's data, and asks"
        + " which of two options you prefer (a, b, n = no preference, q = stop), choosing each question with the strategy; at the"
        + " end prints the questions, the adapted user's predicted accuracy and their state (JSON), saved with --state.")
final class ElicitCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_DIR", description = "a reward experiment's run directory")
  Path run;

  @Option(names = "--model", description = "the model's name in the run (default: the first that adapts)")
  String model;

  @Option(names = "--strategy", defaultValue = "information", description = "random, uncertainty or information (default: ${DEFAULT-VALUE})")
  String strategy;

  @Option(names = "--questions", defaultValue = "10", description = "at most this many questions (default: ${DEFAULT-VALUE})")
  int questions;

  @Option(names = "--pool", defaultValue = "50", description = "candidate pairs drawn from the test split (default: ${DEFAULT-VALUE})")
  int pool;

  @Option(names = "--seed", defaultValue = "0", description = "the pool and the session's draws (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--state", description = "write the user's full state (JSON) to this file")
  Path stateFile;

  @Override
  public Integer call() throws Exception {
    Path saved = run.resolve("config.yaml");
    if (!Files.isRegularFile(saved)) throw new ConfigException(run + ": not a run directory (no config.yaml)");
    RewardExperimentConfig cfg = Configs.load(RewardExperimentConfig.class, saved, List.of());
    Native.init(cfg.runtime().threads());
    RewardModel reward = RewardModel.load(modelDir(cfg));
    QuerySelector.Strategy s;
    try {
      s = QuerySelector.Strategy.valueOf(strategy.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--strategy: unknown value '" + strategy + "'; valid values: random, uncertainty, information");
    }
    List<PreferencePair> candidates = pool(RewardData.load(cfg.data()));
    UserSession session = reward.session(s, seed);
    PrintStream out = System.out;
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    out.printf(Locale.ROOT, "%d candidate pairs, strategy %s; answer a, b, n (no preference) or q (stop)%n", candidates.size(), strategy);
    List<String> asked = new ArrayList<>();
    for (int q = 1; q <= questions && !candidates.isEmpty(); ++q) {
      PreferencePair pair = session.next(candidates);
      out.printf(Locale.ROOT, "question %d: A = %s   B = %s%n> ", q, show(pair.chosen()), show(pair.rejected()));
      out.flush();
      String line = in.readLine();
      if (line == null || line.strip().equalsIgnoreCase("q")) break;
      Answer answer = switch (line.strip().toLowerCase(Locale.ROOT)) {
        case "a" -> Answer.A;
        case "b" -> Answer.B;
        case "n", "" -> Answer.NO_PREFERENCE;
        default -> {
          out.println("(answer a, b, n or q)");
          --q;
          yield null;
        }
      };
      if (answer == null) continue;
      session.answer(pair, answer);
      candidates.remove(pair);
      asked.add(String.format(Locale.ROOT, "%d. A = %s, B = %s: %s", q, show(pair.chosen()), show(pair.rejected()), answer));
    }
    UserState state = session.export(true);
    out.println("\nquestions asked:");
    asked.forEach(out::println);
    out.printf(Locale.ROOT, "predicted accuracy on a fresh pair of the pool: %.1f %%%n", 100 * session.predictedAccuracy(candidates.isEmpty() ? pool(RewardData.load(cfg.data())) : candidates));
    out.println("user state: " + state.toJson());
    if (stateFile != null) AtomicFiles.writeString(stateFile, state.toJson() + "\n");
    return 0;
  }

  private Path modelDir(RewardExperimentConfig cfg) throws Exception {
    Path models = run.resolve("models");
    if (model != null) return models.resolve(model);
    try (var s = Files.list(models)) {
      for (Path m : s.sorted().toList()) {
        if (Files.readString(m.resolve("config.yaml")).contains("type: np_btl")) return m;
      }
    }
    throw new ConfigException(models + ": no model that adapts to a user (np_btl) in this run");
  }

  private List<PreferencePair> pool(RewardData data) {
    int[] rows = data.pairs().rows(Split.TEST);
    Rng rng = new Rng(seed);
    List<PreferencePair> out = new ArrayList<>();
    for (int i = 0; i < Math.min(pool, rows.length); ++i) {
      int r = rows[rng.nextInt(rows.length)];
      out.add(new PreferencePair(row(data.pairs().featuresA(), r), row(data.pairs().featuresB(), r)));
    }
    return out;
  }

  private static float[] row(org.bytedeco.pytorch.Tensor features, int r) {
    org.bytedeco.pytorch.Tensor t = features.select(0, r).contiguous();
    float[] out = new float[(int) t.numel()];
    t.data_ptr_float().get(out);
    return out;
  }

  private static String show(float[] option) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < option.length; ++i) sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", option[i]));
    return sb.append(')').toString();
  }
}
