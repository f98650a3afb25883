package org.steer4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One parquet file, read through DuckDB's JDBC driver (an in-memory database per file): its
 * columns and their DuckDB types, checks of the columns a reader needs, and its rows streamed one
 * at a time as JSON, so that parquet and JSONL rows go through the same parsing and validation.
 * Every error is a {@link DatasetException} naming the file.
 */
final class ParquetTable implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** DuckDB's integer types, for columns that may hold integers. */
  static final Set<String> INTEGER_TYPES =
      Set.of("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT");

  private final Path file;
  private final Connection connection;
  private final Map<String, String> columns;

  private ParquetTable(Path file, Connection connection, Map<String, String> columns) {
    this.file = file;
    this.connection = connection;
    this.columns = columns;
  }

  /** Whether a file is read as parquet: its name ends with {@code .parquet}. */
  static boolean isParquet(Path file) {
    Path name = file.getFileName();
    return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".parquet");
  }

  /** Opens a file and reads its schema; {@code missing} is the message for a missing file. */
  static ParquetTable open(Path file, String missing) {
    if (!Files.isRegularFile(file)) throw new DatasetException(file + ": " + missing);
    Connection connection = connect(file, true);
    Map<String, String> columns = new LinkedHashMap<>();
    try (PreparedStatement s = connection.prepareStatement("DESCRIBE SELECT * FROM read_parquet(?)")) {
      s.setString(1, file.toString());
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) columns.put(r.getString("column_name"), r.getString("column_type"));
      }
    } catch (SQLException e) {
      closeQuietly(connection);
      throw new DatasetException(file + ": not a readable parquet file (" + cause(e) + ")");
    }
    return new ParquetTable(file, connection, columns);
  }

  /** Column name -> DuckDB type (e.g. {@code VARCHAR}, {@code BIGINT}, {@code STRUCT(a BIGINT)[]}), in file order. */
  Map<String, String> columns() {
    return columns;
  }

  /** Requires a column whose type passes {@code ok}; {@code expected} says which types do. */
  void require(String column, String expected, Predicate<String> ok) {
    String type = columns.get(column);
    if (type == null) throw new DatasetException(file + ": no column '" + column + "' (columns: " + String.join(", ", columns.keySet()) + ")");
    if (!ok.test(type)) throw new DatasetException(file + ": column '" + column + "' is " + type + ", expected " + expected);
  }

  /** The DuckDB type of an expression over the table's columns, or null when it does not bind (a field is missing). */
  String typeOf(String expression) {
    try (PreparedStatement s = connection.prepareStatement("DESCRIBE SELECT " + expression + " AS x FROM read_parquet(?)")) {
      s.setString(1, file.toString());
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? r.getString("column_type") : null;
      }
    } catch (SQLException e) {
      return null;
    }
  }

  /**
   * Streams every row as the JSON of {@code jsonExpression} (a DuckDB struct expression over the
   * columns) to the visitor, with "file: row N" (from 1) for messages. A table with no rows is an error.
   */
  void rows(String jsonExpression, JsonLines.Visitor visitor) {
    String sql = "SELECT to_json(" + jsonExpression + ") FROM read_parquet(?)";
    long row = 0;
    try (PreparedStatement s = connection.prepareStatement(sql)) {
      s.setString(1, file.toString());
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          ++row;
          JsonNode node;
          try {
            node = JSON.readTree(r.getString(1));
          } catch (IOException e) {
            throw new DatasetException(file + ": row " + row + ": unreadable: " + e.getMessage());
          }
          visitor.line(node, file + ": row " + row);
        }
      }
    } catch (SQLException e) {
      throw new DatasetException(file + ": can't read row " + (row + 1) + " (" + streamedCause(e, jsonExpression) + ")");
    }
    if (row == 0) throw new DatasetException(file + ": no rows (an empty table)");
  }

  @Override
  public void close() {
    closeQuietly(connection);
  }

  private static Connection connect(Path file, boolean stream) {
    Properties p = new Properties();
    // results stream chunk by chunk instead of being materialised whole in DuckDB's memory
    p.setProperty("jdbc_stream_results", Boolean.toString(stream));
    try {
      return DriverManager.getConnection("jdbc:duckdb:", p);
    } catch (SQLException e) {
      throw new DatasetException(file + ": can't start DuckDB to read parquet (" + cause(e) + ")");
    }
  }

  /**
   * DuckDB's JDBC driver reports a failure inside a streamed result only as "Invalid result set";
   * the same scan without streaming (a count, so no result is held) names the real cause.
   */
  private String streamedCause(SQLException e, String jsonExpression) {
    String cause = cause(e);
    if (!cause.contains("Invalid result set")) return cause;
    Connection plain = connect(file, false);
    try (PreparedStatement s = plain.prepareStatement("SELECT count(to_json(" + jsonExpression + ")) FROM read_parquet(?)")) {
      s.setString(1, file.toString());
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) r.getLong(1);
      }
      return cause;
    } catch (SQLException again) {
      return cause(again);
    } finally {
      closeQuietly(plain);
    }
  }

  /** DuckDB's message on one line, without its "Invalid Input Error: " category and the SQL excerpt. */
  static String cause(SQLException e) {
    String m = String.valueOf(e.getMessage()).strip();
    int nl = m.indexOf('\n');
    if (nl >= 0) m = m.substring(0, nl).strip();
    return m.replaceFirst("^[A-Za-z ]+ Error: ", "");
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // nothing was written; a failed close loses nothing
    }
  }
}
