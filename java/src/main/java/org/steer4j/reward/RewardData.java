package org.steer4j.reward;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.steer4j.runtime.Fingerprint;
import org.steer4j.runtime.Provenance;
import org.steer4j.data.DataConfig;
import org.steer4j.data.LabelUsers;
import org.steer4j.data.MixtureWorld;
import org.steer4j.data.PairsDataset;
import org.steer4j.data.SyntheticWorld;
import org.steer4j.data.Users;

/**
 * The pairs and users a reward run trains and evaluates on, made from its data config.
 *
 * @param inputs content hashes of the files the data was read from (file name -> SHA-256);
 *     empty for a generated world (its config and seed define it)
 */
public record RewardData(PairsDataset pairs, Users users, String description, Map<String, String> inputs) {
  public RewardData {
    inputs = Map.copyOf(inputs);
  }

  /** The provenance of a model trained on this data by {@code recipe} with {@code seed}. */
  public Provenance provenance(String recipe, long seed) {
    Provenance p = Provenance.of(recipe, seed, description);
    for (var e : new TreeMap<>(inputs).entrySet()) p = p.withInput(e.getKey(), e.getValue());
    return p;
  }

  /**
   * The same pairs with users restricted to {@code labels} (e.g. a single-objective baseline
   * trained on one label's users); unchanged when {@code labels} is empty or the users are
   * mixtures.
   */
  public RewardData withLabels(java.util.List<String> labels) {
    if (labels.isEmpty() || !(users instanceof LabelUsers)) return this;
    return new RewardData(pairs, new LabelUsers(pairs, labels), description + "; trained on users " + labels, inputs);
  }

  public static RewardData load(DataConfig c) {
    return switch (c.source()) {
      case SYNTHETIC -> {
        PairsDataset d = SyntheticWorld.generate(c.size(), c.seed());
        yield new RewardData(d, new LabelUsers(d, c.labels()), "synthetic world, " + c.size() + " pairs, seed " + c.seed(), Map.of());
      }
      case MIXTURE -> {
        var m = c.mixture();
        MixtureWorld world = MixtureWorld.generate(c.size(), m.dim(), m.objectives(), c.seed());
        Users users = c.users() == DataConfig.UserKind.MIXTURE ? world.mixtureUsers(m.alpha(), m.beta()) : new LabelUsers(world.data(), c.labels());
        yield new RewardData(world.data(), users, "mixture world, " + c.size() + " pairs, D " + m.dim() + ", K "
            + m.objectives() + ", seed " + c.seed() + "; users: " + users.describe(), Map.of());
      }
      case PAIRS -> {
        Path dir = Path.of(c.path());
        PairsDataset d = PairsDataset.read(dir);
        Map<String, String> hashes = Map.of(PairsDataset.FEATURES, Fingerprint.sha256(dir.resolve(PairsDataset.FEATURES)),
            PairsDataset.TABLE, Fingerprint.sha256(dir.resolve(PairsDataset.TABLE)));
        yield new RewardData(d, new LabelUsers(d, c.labels()), "pairs dataset " + c.path() + " (" + d.size() + " pairs, D " + d.width() + ")", hashes);
      }
    };
  }
}
