package org.steer4j.data;

import static org.bytedeco.pytorch.global.torch.from_blob;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.runtime.Rng;

/**
 * A world of our own where users form a continuum: options x ~ N(0, I_D); K objectives with
 * utilities u_k(x) = w_k . x + 0.5 sin(2 v_k . x) (random unit directions, so objectives
 * conflict on about half of the pairs); a user is a weight vector w ~ Dirichlet(alpha) on the
 * simplex and chooses b over a with Bradley-Terry probability sigmoid(beta (u_w(b) - u_w(a))),
 * u_w = sum_k w_k u_k. The dataset's labels are the K pure objectives (noise-free choices).
 */
public final class MixtureWorld {
  private final PairsDataset data;
  private final float[] utilities;  // [N][2][K]
  private final int objectives;

  private MixtureWorld(PairsDataset data, float[] utilities, int objectives) {
    this.data = data;
    this.utilities = utilities;
    this.objectives = objectives;
  }

  public static MixtureWorld generate(int n, int dim, int objectives, long seed) {
    Rng rng = Rng.derive(seed, "mixture-world", 0);
    double[][] w = new double[objectives][], v = new double[objectives][];
    for (int k = 0; k < objectives; ++k) {
      w[k] = unit(rng, dim);
      v[k] = unit(rng, dim);
    }
    float[] a = new float[n * dim], b = new float[n * dim];
    for (int i = 0; i < n * dim; ++i) {
      a[i] = (float) rng.nextGaussian();
      b[i] = (float) rng.nextGaussian();
    }
    float[] u = new float[n * 2 * objectives];
    byte[][] choices = new byte[objectives][n];
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < objectives; ++k) {
        double ua = utility(a, i, dim, w[k], v[k]), ub = utility(b, i, dim, w[k], v[k]);
        u[(i * 2) * objectives + k] = (float) ua;
        u[(i * 2 + 1) * objectives + k] = (float) ub;
        choices[k][i] = ub > ua ? (byte) 1 : (byte) 0;
      }
    }
    Split[] splits = new Split[n];
    for (int i = 0; i < n; ++i) splits[i] = SyntheticWorld.split(rng.nextDouble());
    List<String> labels = new ArrayList<>();
    for (int k = 0; k < objectives; ++k) labels.add("obj" + k);
    PairsDataset data = PairsDataset.of(matrix(a, n, dim), matrix(b, n, dim), labels, splits, choices);
    return new MixtureWorld(data, u, objectives);
  }

  private static double[] unit(Rng rng, int dim) {
    double[] x = new double[dim];
    double norm = 0;
    for (int i = 0; i < dim; ++i) norm += (x[i] = rng.nextGaussian()) * x[i];
    norm = Math.sqrt(norm);
    for (int i = 0; i < dim; ++i) x[i] /= norm;
    return x;
  }

  private static double utility(float[] x, int row, int dim, double[] w, double[] v) {
    double lin = 0, wave = 0;
    for (int j = 0; j < dim; ++j) {
      lin += w[j] * x[row * dim + j];
      wave += v[j] * x[row * dim + j];
    }
    return lin + 0.5 * Math.sin(2 * wave);
  }

  private static Tensor matrix(float[] v, int rows, int cols) {
    try (FloatPointer p = new FloatPointer(v)) {
      return from_blob(p, new long[] {rows, cols}, new TensorOptions(ScalarType.Float)).clone();
    }
  }

  public PairsDataset data() {
    return data;
  }

  public int objectives() {
    return objectives;
  }

  /** The utility of option {@code option} (0 = a, 1 = b) of {@code row} under weights {@code w}. */
  public double utility(int row, int option, double[] w) {
    double s = 0;
    for (int k = 0; k < objectives; ++k) s += w[k] * utilities[(row * 2 + option) * objectives + k];
    return s;
  }

  /** Users that are Dirichlet(alpha) mixtures of the objectives, choosing with BT noise beta. */
  public Users mixtureUsers(double alpha, double beta) {
    return new Mixtures(alpha, beta);
  }

  private final class Mixtures implements Users {
    private final double alpha, beta;
    private final Map<Split, int[]> rows = new EnumMap<>(Split.class);

    Mixtures(double alpha, double beta) {
      this.alpha = alpha;
      this.beta = beta;
      for (Split s : Split.values()) {
        int count = 0;
        for (int i = 0; i < data.size(); ++i) if (data.split(i) == s) ++count;
        int[] r = new int[count];
        for (int i = 0, j = 0; i < data.size(); ++i) if (data.split(i) == s) r[j++] = i;
        rows.put(s, r);
      }
    }

    @Override
    public User draw(Rng rng) {
      return User.mixture(rng.nextDirichlet(objectives, alpha));
    }

    @Override
    public int[] rows(Split split, User user) {
      return rows.get(split);
    }

    @Override
    public byte choice(User user, int row, Rng rng) {
      double margin = utility(row, 1, user.weights()) - utility(row, 0, user.weights());
      double pb = 1 / (1 + Math.exp(-beta * margin));
      return rng.nextDouble() < pb ? (byte) 1 : (byte) 0;
    }

    @Override
    public String describe() {
      return "Dirichlet(" + alpha + ") mixtures of " + objectives + " objectives, BT noise beta " + beta;
    }
  }
}
