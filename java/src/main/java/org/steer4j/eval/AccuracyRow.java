package org.steer4j.eval;

/**
 * One line of {@code results.csv}: a model's accuracy (%) on the test targets that were not in
 * the context, for one label and one C, as mean and standard error over tasks.
 */
public record AccuracyRow(String model, String label, int context, double accuracy, double sem, int tasks) {}
