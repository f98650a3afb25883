package org.steer4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads JSONL files line by line, with errors that name the file and line. */
final class JsonLines {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonLines() {}

  /** Receives each non-blank line's JSON and its location ("file: line N") for messages. */
  @FunctionalInterface
  interface Visitor {
    void line(JsonNode node, String where);
  }

  /** Visits every non-blank line; {@code missing} is the message for a missing file. */
  static void read(Path file, String missing, Visitor visitor) {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      while ((line = in.readLine()) != null) {
        ++lineNo;
        if (line.isBlank()) continue;
        String where = file + ": line " + lineNo;
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException e) {
          throw new DatasetException(where + ": malformed JSON: " + e.getMessage());
        }
        visitor.line(node, where);
      }
    } catch (NoSuchFileException e) {
      throw new DatasetException(file + ": " + missing);
    } catch (IOException e) {
      throw new DatasetException(file + ": can't read: " + e.getMessage());
    }
  }
}
