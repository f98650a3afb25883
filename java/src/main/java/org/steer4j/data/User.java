package org.steer4j.data;

/**
 * The user behind one task: one of the dataset's labels (an objective or a user type), or a
 * mixture of objectives with weights on the simplex.
 *
 * @param label the label index, or -1 for a mixture
 * @param weights the mixture weights (null for a label user)
 */
public record User(String name, int label, double[] weights) {
  public static User label(String name, int index) {
    return new User(name, index, null);
  }

  public static User mixture(double[] weights) {
    StringBuilder sb = new StringBuilder("mixture(");
    for (int i = 0; i < weights.length; ++i) sb.append(i == 0 ? "" : ",").append(String.format(java.util.Locale.ROOT, "%.2f", weights[i]));
    return new User(sb.append(')').toString(), -1, weights.clone());
  }

  public boolean isMixture() {
    return weights != null;
  }
}
