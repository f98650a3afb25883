package org.steer4j.recipes;

/**
 * What an experiment config describes, its top-level {@code kind} key: reward models ({@link
 * ExperimentConfig}, the default, so configs written before policies existed keep working) or
 * policies ({@link PolicyExperimentConfig}). {@code steer4j experiment} reads it first and loads
 * the matching record.
 */
public enum ExperimentKind {
  REWARD,
  POLICY
}
