package org.steer4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.data.SyntheticWorld;
import picocli.CommandLine;

/**
 * Every user-input error reaches the user as one line, {@code steer4j: error: <file>: <cause>},
 * with exit status 2; only a fault of steer4j itself prints a stack trace, with a hint to report it.
 */
class UserErrorsTest {
  @TempDir Path dir;

  record Outcome(int code, String err) {}

  static Outcome run(String... args) {
    CommandLine cli = Steer4j.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    cli.setOut(new PrintWriter(new StringWriter()));
    return new Outcome(cli.execute(args), err.toString());
  }

  static void assertOneLine(Outcome o, String startsWith) {
    assertEquals(2, o.code(), o.err());
    String[] lines = o.err().strip().split("\n");
    assertEquals(1, lines.length, "one line, no stack trace: " + o.err());
    assertTrue(lines[0].startsWith("steer4j: error: " + startsWith), lines[0]);
  }

  @Test
  void aMalformedSafetensorsFileOfAPairsDatasetIsOneLine() throws Exception {
    Path data = dir.resolve("pairs");
    SyntheticWorld.generate(200, 0).write(data);
    Path features = data.resolve("pairs.safetensors");
    byte[] bytes = Files.readAllBytes(features);
    Files.write(features, Arrays.copyOf(bytes, bytes.length - 9));
    Outcome o = run("experiment", "../configs/synthetic/experiment.yaml", "data.source=pairs", "data.path=" + data,
        "run.output_dir=" + dir.resolve("out"));
    assertOneLine(o, features.toString() + ": ");
    assertTrue(o.err().contains("truncated"), o.err());
  }

  @Test
  void aCorruptTrainingStateOnResumeIsOneLineSayingWhatToDelete() throws Exception {
    Path out = dir.resolve("out");
    Outcome first = run("experiment", "../configs/synthetic/experiment.yaml", "run.output_dir=" + out, "data.size=400",
        "model_overrides=[train.steps=4, train.val_every=2, train.checkpoint_every=2, sampler.batch_size=4]", "eval.batches=1",
        "eval.contexts=[0]", "curves=false", "runtime.threads=1");
    assertEquals(0, first.code(), first.err());
    Path run;
    try (var s = Files.walk(out, 2)) {
      run = s.filter(p -> p.getFileName().toString().endsWith("-synthetic")).findFirst().orElseThrow();
    }
    Path state = run.resolve("models/np-btl/checkpoints/last/state.json");
    Files.writeString(state, "{\"step\": 2, \"total");
    Outcome o = run("experiment", "../configs/synthetic/experiment.yaml", "--resume", run.toString());
    assertOneLine(o, state.getParent() + ": corrupt checkpoint: state.json does not match its checksum; delete " + state.getParent());
    // a checkpoint of steer4j 0.1 has no checksums: the unreadable state itself is reported
    Files.delete(state.getParent().resolve("checksums.sha256"));
    o = run("experiment", "../configs/synthetic/experiment.yaml", "--resume", run.toString());
    assertOneLine(o, state + ": ");
    assertTrue(o.err().contains("delete " + state.getParent()), o.err());
  }

  @Test
  void aFaultOfSteer4jPrintsItsStackTraceAndAskForAReport() {
    CommandLine cli = Steer4j.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    int code = Steer4j.handle(new NullPointerException("boom"), cli, null);
    assertEquals(70, code);
    assertTrue(err.toString().contains("at org.steer4j.cli.UserErrorsTest"), err.toString());
    assertTrue(err.toString().contains("steer4j: internal error: java.lang.NullPointerException: boom (a bug in steer4j: please report it"), err.toString());
  }
}
