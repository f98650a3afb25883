package org.steer4j.recipes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import org.steer4j.data.DatasetException;
import org.steer4j.data.PrepareConfig;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.data.UltraFeedback;
import org.steer4j.data.UltraFeedbackPairs;

/**
 * UltraFeedback preparation as a job: read the JSONL rows, build the pairs of the configured
 * subset, write the text-pairs table and a summary JSON beside it (used by {@code steer4j
 * prepare} and by an experiment's pipeline).
 */
public final class Prepare {
  private Prepare() {}

  public static UltraFeedbackPairs.Result run(PrepareConfig cfg) throws IOException {
    var rows = UltraFeedback.read(Path.of(cfg.input()));
    var result = UltraFeedbackPairs.build(rows, cfg.subset(), cfg.seed(), cfg.trainFraction(), cfg.valFraction());
    var s = result.stats();
    if (s.kept() == 0) {
      // Nothing to train on is never a success: say why, with the counts.
      throw new DatasetException(cfg.input() + ": no " + cfg.subset().name().toLowerCase(java.util.Locale.ROOT) + " pairs: " + s.rows() + " rows, "
          + s.prompts() + " prompts, " + s.completions() + " completions with a response, " + s.droppedCompletions()
          + " of them dropped for a missing or non-integer (N/A) rating, " + s.pairs() + " candidate pairs, 0 kept");
    }
    Path output = Path.of(cfg.output());
    result.pairs().write(output, UltraFeedback.ASPECTS);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    var summary = json.createObjectNode();
    summary.set("config", json.valueToTree(cfg));
    summary.set("counts", json.valueToTree(result.stats()));
    summary.putPOJO("labels", result.pairs().labels());
    AtomicFiles.writeString(summaryFile(output), json.writeValueAsString(summary) + "\n");
    return result;
  }

  /** {@code text_pairs.jsonl} -> {@code text_pairs.summary.json}. */
  public static Path summaryFile(Path output) {
    return output.resolveSibling(output.getFileName().toString().replaceFirst("\\.jsonl$", "") + ".summary.json");
  }
}
