package org.steer4j.recipes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.runtime.InputException;

/**
 * The content hashes of the files a run reads (a dataset, a base model), in {@code inputs.json}:
 * written when the run starts, and checked when it resumes, so a run never continues on a file
 * that changed under it.
 */
final class RunInputs {
  static final String FILE = "inputs.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private RunInputs() {}

  /**
   * Records {@code inputs} (file -> SHA-256) for a new run, or checks them against the record of
   * a resumed one.
   *
   * @throws InputException naming a file whose content changed since the run started
   */
  static void recordOrCheck(Path runDir, Map<String, String> inputs) {
    Path file = runDir.resolve(FILE);
    try {
      if (Files.exists(file)) {
        ObjectNode recorded = (ObjectNode) JSON.readTree(file.toFile());
        for (var e : new TreeMap<>(inputs).entrySet()) {
          String was = recorded.path(e.getKey()).asText(null);
          if (was != null && !was.equals(e.getValue())) {
            throw new InputException(e.getKey() + ": changed since the run started (SHA-256 " + was.substring(0, 12) + "..., now "
                + e.getValue().substring(0, 12) + "...; recorded in " + file + "): restore the file, or start a new run");
          }
        }
        inputs.forEach((k, v) -> {
          if (!recorded.has(k)) recorded.put(k, v);
        });
        AtomicFiles.writeString(file, JSON.writeValueAsString(recorded) + "\n");
      } else {
        AtomicFiles.writeString(file, JSON.writeValueAsString(new TreeMap<>(inputs)) + "\n");
      }
    } catch (IOException | ClassCastException e) {
      throw new InputException(file + ": unreadable (" + e.getMessage() + ")", e);
    }
  }

}
