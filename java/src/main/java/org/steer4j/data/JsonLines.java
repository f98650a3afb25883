package org.steer4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.steer4j.io.TextFiles;

/** Reads JSONL files line by line, with errors that name the file and line. */
final class JsonLines {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonLines() {}

  /** Receives each non-blank line's JSON and its location ("file: line N") for messages. */
  @FunctionalInterface
  interface Visitor {
    void line(JsonNode node, String where);
  }

  /**
   * Visits every non-blank line ({@link TextFiles}: UTF-8, BOM, CRLF); {@code missing} is the
   * message for a missing file.
   */
  static void read(Path file, String missing, Visitor visitor) {
    if (!Files.exists(file)) throw new DatasetException(file + ": " + missing);
    TextFiles.lines(file, (line, lineNo) -> {
      if (line.isBlank()) return;
      String where = file + ": line " + lineNo;
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new DatasetException(where + ": malformed JSON: " + e.getOriginalMessage());
      }
      visitor.line(node, where);
    });
  }
}
