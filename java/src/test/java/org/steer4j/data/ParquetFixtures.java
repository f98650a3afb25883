package org.steer4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Parquet fixtures made in the tests from the shipped JSONL fixtures with DuckDB (no binary
 * fixture is committed): UltraFeedback rows in the schema of the Hub's openbmb/UltraFeedback
 * shards, and text-pair tables with the columns of their JSONL form.
 */
public final class ParquetFixtures {
  /**
   * openbmb/UltraFeedback's columns and types, as the dataset card documents them (OpenBMB/UltraFeedback
   * README, "Dataset Format"): ratings are strings ("5", "N/A"); helpfulness and truthfulness also
   * carry "Type" and "Rationale For Rating".
   */
  public static final String HUB_COLUMNS = "{source: 'VARCHAR', instruction: 'VARCHAR', models: 'VARCHAR[]', completions: 'STRUCT("
      + "annotations STRUCT("
      + "helpfulness STRUCT(\"Rating\" VARCHAR, \"Rationale\" VARCHAR, \"Rationale For Rating\" VARCHAR, \"Type\" VARCHAR[]), "
      + "honesty STRUCT(\"Rating\" VARCHAR, \"Rationale\" VARCHAR), "
      + "instruction_following STRUCT(\"Rating\" VARCHAR, \"Rationale\" VARCHAR), "
      + "truthfulness STRUCT(\"Rating\" VARCHAR, \"Rationale\" VARCHAR, \"Rationale For Rating\" VARCHAR, \"Type\" VARCHAR[])), "
      + "critique VARCHAR, custom_system_prompt VARCHAR, \"fine-grained_score\" DOUBLE, model VARCHAR, overall_score DOUBLE, "
      + "principle VARCHAR, response VARCHAR)[]', correct_answers: 'VARCHAR[]', incorrect_answers: 'VARCHAR[]'}";

  private ParquetFixtures() {}

  /** UltraFeedback JSONL rows to a parquet file in the Hub's schema. */
  public static Path ultraFeedback(Path jsonl, Path parquet) throws SQLException {
    sql("COPY (SELECT * FROM read_json(" + literal(jsonl) + ", format = 'newline_delimited', columns = " + HUB_COLUMNS + ")) TO "
        + literal(parquet) + " (FORMAT parquet)");
    return parquet;
  }

  /**
   * UltraFeedback JSONL rows split into {@code n} parquet shards named as on the Hub
   * ({@code train-00000-of-0000n.parquet}), consecutive rows per shard, in {@code dir}.
   */
  public static List<Path> ultraFeedbackShards(Path jsonl, Path dir, int n) throws Exception {
    List<String> lines = Files.readAllLines(jsonl);
    Files.createDirectories(dir);
    List<Path> shards = new ArrayList<>();
    int per = (lines.size() + n - 1) / n;
    for (int k = 0; k < n; ++k) {
      Path part = dir.resolve("part-" + k + ".jsonl.tmp");
      Files.write(part, lines.subList(Math.min(lines.size(), k * per), Math.min(lines.size(), (k + 1) * per)));
      shards.add(ultraFeedback(part, dir.resolve(String.format("train-%05d-of-%05d.parquet", k, n))));
      Files.delete(part);
    }
    return shards;
  }

  /** A text-pairs JSONL table to parquet, columns and types as DuckDB reads the JSON. */
  public static Path textPairs(Path jsonl, Path parquet) throws SQLException {
    sql("COPY (SELECT * FROM read_json(" + literal(jsonl) + ", format = 'newline_delimited')) TO " + literal(parquet) + " (FORMAT parquet)");
    return parquet;
  }

  /** Writes the rows of a query to a parquet file. */
  public static Path query(String select, Path parquet) throws SQLException {
    sql("COPY (" + select + ") TO " + literal(parquet) + " (FORMAT parquet)");
    return parquet;
  }

  /** A path as an SQL string literal. */
  public static String literal(Path p) {
    return "'" + p.toString().replace("'", "''") + "'";
  }

  private static void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }
}
