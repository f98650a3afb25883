package org.steer4j.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.config.Configs;
import org.steer4j.data.MixtureWorld;
import org.steer4j.eval.AccuracyRow;
import org.steer4j.run.RunDirectory;
import org.steer4j.runtime.Native;

/** A user's own pairs dataset trains and evaluates end to end, its width taken from the data. */
class RewardExperimentTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(2);
  }

  @Test
  void pairsDatasetInTheDocumentedFormatRunsTheWholeExperiment() throws Exception {
    Path data = dir.resolve("my-pairs");
    MixtureWorld.generate(3000, 6, 2, 4).data().write(data);  // D = 6, labels obj0, obj1
    Files.writeString(dir.resolve("btl.yaml"), "run: {name: btl}\nmodel: {type: btl, hidden: 32}\nsampler: {batch_size: 16}\n"
        + "train: {steps: 30, val_every: 15, val_batches: 2, lr: 1.0e-3}\n");
    Files.writeString(dir.resolve("np.yaml"), "run: {name: np}\nmodel: {type: np_btl, hidden: 32, heads: 4, context_encoder: linear}\n"
        + "sampler: {batch_size: 16}\ntrain: {steps: 30, val_every: 15, val_batches: 2, lr: 1.0e-3}\n");
    Path experiment = dir.resolve("experiment.yaml");
    Files.writeString(experiment, "run: {name: mine, output_dir: " + dir.resolve("out") + "}\n"
        + "data: {source: pairs, path: " + data + "}\n"
        + "eval: {contexts: [0, 3], batches: 2, batch_size: 16}\nmodels: [btl.yaml, np.yaml]\n");
    RewardExperimentConfig c = Configs.load(RewardExperimentConfig.class, experiment, List.of());
    RunDirectory run = RunDirectory.create(dir.resolve("out"), "mine", c);
    List<AccuracyRow> rows = new RewardExperiment(c, dir, run).run();

    assertEquals(2 * 2 * 3, rows.size(), "2 models x 2 C x (obj0, obj1, all)");
    String csv = Files.readString(run.file("results.csv"));
    assertTrue(csv.startsWith("model,label,context,accuracy,sem\n"), csv);
    assertTrue(csv.contains("np,obj1,3,"), csv);
    assertTrue(Files.readString(run.file("report.md")).contains("| np |"));
    assertTrue(Files.size(run.path().resolve("plots/accuracy_all.png")) > 1000);
    String card = Files.readString(run.path().resolve("models/np/checkpoints/best/model.yaml"));
    assertTrue(card.contains("input_width: 6") && card.contains("pairs dataset"), card);
  }
}
