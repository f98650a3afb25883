package org.steer4j.eval;

/**
 * One line of {@code results.csv}: a model's accuracy (%) on the test targets that were not in
 * the context, for one label and one C, as mean and standard error over tasks.
 */
public record AccuracyRow(String model, String label, int context, double accuracy, double sem, int tasks) {
  /** The row of per-task accuracies {@code values} (fractions): mean and standard error, in %. */
  public static AccuracyRow of(String model, String label, int context, java.util.List<Double> values) {
    int n = values.size();
    double mean = 0;
    for (double v : values) mean += v;
    mean /= n;
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    double sem = n > 1 ? Math.sqrt(ss / (n - 1) / n) : 0;
    return new AccuracyRow(model, label, context, 100 * mean, 100 * sem, n);
  }
}
