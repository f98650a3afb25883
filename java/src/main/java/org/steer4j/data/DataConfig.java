package org.steer4j.data;

import java.util.List;
import org.steer4j.config.Checks;

/**
 * Where the preference pairs come from and who the users are.
 *
 * @param source synthetic (the paper's world), mixture (our continuum world) or pairs (a pairs
 *     dataset directory, {@code path})
 * @param path the pairs dataset directory (source = pairs); relative paths resolve against the
 *     working directory
 * @param size N, pairs to generate (synthetic, mixture)
 * @param seed the data seed (generation; the reference uses 0), independent of the run seed
 * @param labels the labels (objectives, user types) tasks are drawn from; empty = all
 * @param users labels: each task is one label's user; mixture: Dirichlet mixtures of the
 *     objectives (source = mixture)
 * @param mixture the mixture world's settings
 */
public record DataConfig(
    Source source, String path, int size, long seed, List<String> labels, UserKind users, MixtureConfig mixture) {
  public DataConfig {
    labels = labels == null ? List.of() : List.copyOf(labels);
    // data.path of a pairs source may also come from an experiment's pipeline.embed (checked there)
    Checks.require(source == Source.PAIRS || size >= 100, "data.size must be >= 100 pairs, got " + size);
    Checks.require(users != UserKind.MIXTURE || source == Source.MIXTURE, "data.users: mixture needs data.source: mixture (it needs the objectives' utilities)");
  }

  public static DataConfig defaults() {
    return new DataConfig(Source.SYNTHETIC, null, 20000, 0, List.of(), UserKind.LABELS, MixtureConfig.defaults());
  }

  public enum Source {
    SYNTHETIC,
    MIXTURE,
    PAIRS
  }

  public enum UserKind {
    LABELS,
    MIXTURE
  }

  /**
   * @param dim D, option width
   * @param objectives K
   * @param alpha Dirichlet concentration of user weights
   * @param beta Bradley-Terry inverse temperature of the users' choices
   */
  public record MixtureConfig(int dim, int objectives, double alpha, double beta) {
    public MixtureConfig {
      Checks.positive("data.mixture.dim", dim);
      Checks.require(objectives >= 2, "data.mixture.objectives must be >= 2");
      Checks.positive("data.mixture.alpha", alpha);
      Checks.positive("data.mixture.beta", beta);
    }

    public static MixtureConfig defaults() {
      return new MixtureConfig(8, 3, 1.0, 4.0);
    }
  }
}
