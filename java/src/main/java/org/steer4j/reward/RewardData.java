package org.steer4j.reward;

import java.nio.file.Path;
import org.steer4j.data.DataConfig;
import org.steer4j.data.LabelUsers;
import org.steer4j.data.MixtureWorld;
import org.steer4j.data.PairsDataset;
import org.steer4j.data.SyntheticWorld;
import org.steer4j.data.Users;

/** The pairs and users a reward run trains and evaluates on, made from its data config. */
public record RewardData(PairsDataset pairs, Users users, String description) {
  /**
   * The same pairs with users restricted to {@code labels} (e.g. a single-objective baseline
   * trained on one label's users); unchanged when {@code labels} is empty or the users are
   * mixtures.
   */
  public RewardData withLabels(java.util.List<String> labels) {
    if (labels.isEmpty() || !(users instanceof LabelUsers)) return this;
    return new RewardData(pairs, new LabelUsers(pairs, labels), description + "; trained on users " + labels);
  }

  public static RewardData load(DataConfig c) {
    return switch (c.source()) {
      case SYNTHETIC -> {
        PairsDataset d = SyntheticWorld.generate(c.size(), c.seed());
        yield new RewardData(d, new LabelUsers(d, c.labels()), "synthetic world, " + c.size() + " pairs, seed " + c.seed());
      }
      case MIXTURE -> {
        var m = c.mixture();
        MixtureWorld world = MixtureWorld.generate(c.size(), m.dim(), m.objectives(), c.seed());
        Users users = c.users() == DataConfig.UserKind.MIXTURE ? world.mixtureUsers(m.alpha(), m.beta()) : new LabelUsers(world.data(), c.labels());
        yield new RewardData(world.data(), users, "mixture world, " + c.size() + " pairs, D " + m.dim() + ", K "
            + m.objectives() + ", seed " + c.seed() + "; users: " + users.describe());
      }
      case PAIRS -> {
        PairsDataset d = PairsDataset.read(Path.of(c.path()));
        yield new RewardData(d, new LabelUsers(d, c.labels()), "pairs dataset " + c.path() + " (" + d.size() + " pairs, D " + d.width() + ")");
      }
    };
  }
}
