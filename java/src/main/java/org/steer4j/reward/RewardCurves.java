package org.steer4j.reward;

import static org.bytedeco.pytorch.global.torch.linspace;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.config.SamplerConfig;
import org.steer4j.data.Batch;
import org.steer4j.data.LabelUsers;
import org.steer4j.runtime.Rng;
import org.steer4j.data.Split;
import org.steer4j.data.SyntheticWorld;
import org.steer4j.data.TaskSampler;
import org.steer4j.eval.Plots;

/**
 * For the synthetic world only (1-D options; the experiment calls it for no other data, since
 * only this world has a true reward to draw): the reward curves r(y) each model infers for each user
 * type from a few of that user's context pairs, against the true reward. Rewards are only
 * identified up to an increasing affine map, so every curve is standardised (zero mean, unit
 * variance over the grid) before it is drawn.
 */
public final class RewardCurves {
  private static final int GRID = 101;

  private RewardCurves() {}

  /** One PNG per user type: the true reward and each model's inferred curve for each C. */
  public static List<Path> plot(Map<String, RewardNet> models, RewardData data, List<Integer> contexts, long seed, Path dir)
      throws IOException {
    List<Path> files = new ArrayList<>();
    if (data.pairs().width() != 1) return files;
    LabelUsers users = new LabelUsers(data.pairs(), List.of());
    for (String label : users.names()) {
      int type = Integer.parseInt(label);
      List<Plots.Series> series = new ArrayList<>();
      double[] y = new double[GRID], truth = new double[GRID];
      for (int i = 0; i < GRID; ++i) truth[i] = SyntheticWorld.reward(y[i] = i / (GRID - 1.0), type);
      series.add(new Plots.Series("true r(y, " + label + ")", y, standardise(truth), null, true));
      for (var e : models.entrySet()) {
        RewardNet net = e.getValue();
        List<Integer> cs = net.config().conditional() ? contexts : List.of(0);
        for (int c : cs) {
          double[] r = curve(net, data, users, label, c, seed);
          series.add(new Plots.Series(e.getKey() + (net.config().conditional() ? " C=" + c : ""), y, standardise(r), null, false));
        }
      }
      Path png = dir.resolve("reward_curves_user_" + label + ".png");
      Plots.lines("Inferred reward r(y) for user type " + label + " (standardised)", "option y", "reward (standardised)", series, png);
      files.add(png);
    }
    return files;
  }

  static double[] curve(RewardNet net, RewardData data, LabelUsers users, String label, int contexts, long seed) {
    net.eval();
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      Tensor z = null;
      if (net.config().conditional()) {
        // C context pairs of this user from the test split.
        LabelUsers one = new LabelUsers(data.pairs(), List.of(label));
        SamplerConfig shape = new SamplerConfig(1, Math.max(contexts, 1), 0, Math.max(contexts, 1), SamplerConfig.ContextMode.SUBSET);
        Batch b = new TaskSampler(data.pairs(), one, Split.TEST, shape).sample(Rng.derive(seed, "curve-" + label, contexts), contexts, 1);
        z = net.latent(b.context(), b.contextChoices());
      }
      Tensor grid = linspace(new Scalar(0), new Scalar(1), GRID, new TensorOptions(ScalarType.Float)).view(1, GRID, 1);
      Tensor r = net.head().utility(net.decode(grid, z)).reshape(GRID).to(ScalarType.Double).contiguous();
      double[] out = new double[GRID];
      r.data_ptr_double().get(out);
      return out;
    }
  }

  static double[] standardise(double[] v) {
    double mean = 0, ss = 0;
    for (double x : v) mean += x;
    mean /= v.length;
    for (double x : v) ss += (x - mean) * (x - mean);
    double sd = Math.sqrt(ss / v.length);
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; ++i) out[i] = sd > 0 ? (v[i] - mean) / sd : 0;
    return out;
  }
}
