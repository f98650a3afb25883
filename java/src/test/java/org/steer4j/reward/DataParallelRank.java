package org.steer4j.reward;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.steer4j.config.Configs;
import org.steer4j.dist.Distributed;
import org.steer4j.dist.DistributedException;
import org.steer4j.nn.Weights;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.runtime.Native;
import org.steer4j.train.Listeners;
import org.steer4j.train.Loop;
import org.steer4j.train.TrainingListener;

/**
 * One process of {@link DataParallelTest}: trains the test's NP-BTL model as the rank its
 * environment says (a world of one without one), with one thread, and leaves beside {@code OUT}
 * its weights ({@code rank<r>.safetensors}) and, on rank 0, its metrics and checkpoints.
 *
 * <pre>DataParallelRank OUT STEPS [MICRO_BATCHES]</pre>
 *
 * Rank 0 also copies {@code checkpoints/last} to {@code OUT/step2} when it holds step 2 (for the
 * resume test). A rank that loses its peer prints the error and exits with 75, as the CLI does.
 */
public final class DataParallelRank {
  private DataParallelRank() {}

  static RewardConfig config(int steps, int microBatches) {
    return Configs.defaults(RewardConfig.class, List.of("data.size=2000", "model.type=np_btl", "model.hidden=32", "model.heads=4",
        "model.latent=stochastic", "model.latent_samples=2", "sampler.batch_size=8", "train.steps=" + steps, "train.val_every=2",
        "train.val_batches=2", "train.checkpoint_every=2", "train.lr=1e-3", "runtime.seed=7", "runtime.threads=1",
        "runtime.micro_batches=" + microBatches));
  }

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    int steps = Integer.parseInt(args[1]);
    int micro = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    Native.init(1);
    Distributed dist = Distributed.fromEnvironment();
    try {
      RewardConfig c = config(steps, micro);
      RewardData data = RewardData.load(c.data());
      RewardStep step = RewardStep.create(c, data, dist);
      Files.createDirectories(out);
      Loop loop = new Loop(step, Loop.Settings.of(c.train(), steps, c.runtime().seed()), dist.isMain() ? out.resolve("checkpoints") : null)
          .distributed(dist);
      if (dist.isMain()) {
        loop.listen(Listeners.metrics(out.resolve("metrics.jsonl")));
        loop.listen(new TrainingListener() {
          @Override
          public void onStep(long k, Map<String, Double> metrics) {
            try {
              if (k == 3) copy(out.resolve("checkpoints").resolve("last"), out.resolve("step2"));
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        });
      }
      loop.run();
      Weights.save(step.net(), out.resolve("rank" + dist.rank() + ".safetensors"), Map.of());
      dist.close();
    } catch (DistributedException e) {
      System.err.println("steer4j: error: " + e.getMessage());
      System.exit(DistributedException.EXIT_CODE);
    }
    System.exit(0);
  }

  static void copy(Path from, Path to) throws java.io.IOException {
    AtomicFiles.deleteTree(to);
    List<Path> files = new ArrayList<>();
    try (var s = Files.walk(from)) {
      s.forEach(files::add);
    }
    for (Path f : files) {
      Path t = to.resolve(from.relativize(f).toString());
      if (Files.isDirectory(f)) Files.createDirectories(t);
      else Files.copy(f, t);
    }
  }
}
