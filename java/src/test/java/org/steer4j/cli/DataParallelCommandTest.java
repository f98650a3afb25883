package org.steer4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.run.MetricsLog;

/**
 * {@code steer4j experiment --nproc 2}: two ranks (child JVMs with the torchrun variables) train
 * NP-BTL together; rank 0 alone writes the run (every step once in metrics.jsonl, with its
 * all-reduce time), records how its batches meet BatchNorm (synchronised across the ranks by
 * default), and evaluates.
 */
class DataParallelCommandTest {
  @TempDir Path dir;

  @Test
  void twoRanksTrainOneRunThatRankZeroWrites() throws Exception {
    Steer4jTest.Result r = Steer4jTest.run("experiment", "../configs/synthetic/experiment.yaml", "--nproc", "2", "--dist-timeout", "60",
        "run.output_dir=" + dir, "data.size=400", "eval.batches=1", "eval.contexts=[0, 3]", "curves=false", "runtime.threads=2",
        "models=[nppl.yaml]", "model_overrides=[train.steps=4, train.val_every=2, train.checkpoint_every=2, sampler.batch_size=4, model.hidden=32]");
    assertEquals(0, r.code(), r.err());
    Path run = CrashResumeTest.runDir(dir);
    assertTrue(Files.readString(run.resolve("config.yaml")).contains("micro_batches: 1"), "the run records how its batches meet BatchNorm");
    List<ObjectNode> train = MetricsLog.read(run.resolve("models/np-btl/metrics.jsonl")).stream()
        .filter(m -> m.path("split").asText().equals("train")).toList();
    assertEquals(List.of(1L, 2L, 3L, 4L), train.stream().map(m -> m.get("step").asLong()).toList());
    assertTrue(train.stream().allMatch(m -> m.has("comm_ms")), train.toString());
    assertTrue(Files.readString(run.resolve("run.log")).contains("2 ranks x 1 thread (BatchNorm synchronised across the ranks)"), Files.readString(run.resolve("run.log")));
    assertTrue(Files.readAllLines(run.resolve("results.csv")).size() > 1);
    assertTrue(Files.exists(run.resolve("models/np-btl/checkpoints/last/optimizer.safetensors")));
  }
}
