package org.steer4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run directories a user can trust: self-contained (resume reads the run's own configs), nothing
 * left behind by a run that fails on its config or data, the thread count recorded, files that
 * follow the umask, and the same run writing the same bytes.
 */
class RunDirectoryTrustTest {
  @TempDir Path dir;

  /** A copy of the synthetic experiment in its own folder, so a test can edit its model files. */
  Path experiment() throws Exception {
    Path cfg = Files.createDirectories(dir.resolve("cfg"));
    for (String f : List.of("experiment.yaml", "btl.yaml", "dpl.yaml", "nppl.yaml")) Files.copy(Path.of("../configs/synthetic").resolve(f), cfg.resolve(f));
    return cfg.resolve("experiment.yaml");
  }

  static final List<String> SMALL = List.of("data.size=400", "eval.batches=1", "eval.contexts=[0]", "curves=false",
      "model_overrides=[train.steps=4, train.val_every=2, train.checkpoint_every=2, sampler.batch_size=4]");

  UserErrorsTest.Outcome start(Path experiment, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("experiment", experiment.toString(), "run.output_dir=" + out));
    args.addAll(SMALL);
    args.addAll(List.of(more));
    return UserErrorsTest.run(args.toArray(String[]::new));
  }

  static Path onlyRun(Path out) throws Exception {
    try (Stream<Path> s = Files.walk(out, 2)) {
      List<Path> runs = s.filter(p -> p.getFileName().toString().endsWith("-synthetic")).toList();
      assertEquals(1, runs.size(), runs.toString());
      return runs.get(0);
    }
  }

  @Test
  void resumeReadsTheRunsOwnModelFilesAndRefusesOverridesThatChangeIt() throws Exception {
    Path experiment = experiment(), out = dir.resolve("out");
    assertEquals(0, start(experiment, out, "runtime.threads=1").code());
    Path run = onlyRun(out);
    assertTrue(Files.isRegularFile(run.resolve("configs/nppl.yaml")), "the run keeps copies of its model files");
    String before = Files.readString(run.resolve("models/np-btl/config.yaml"));
    // edit the original model file: a resume must not see it
    Path nppl = experiment.getParent().resolve("nppl.yaml");
    Files.writeString(nppl, Files.readString(nppl).replace("lr: 1.0e-4", "lr: 0.5"));
    UserErrorsTest.Outcome resumed = UserErrorsTest.run("experiment", experiment.toString(), "--resume", run.toString());
    assertEquals(0, resumed.code(), resumed.err());
    assertEquals(before, Files.readString(run.resolve("models/np-btl/config.yaml")), "the run's effective config is untouched");
    UserErrorsTest.Outcome changed = UserErrorsTest.run("experiment", experiment.toString(), "--resume", run.toString(), "model_overrides=[train.lr=0.5]");
    UserErrorsTest.assertOneLine(changed, run.resolve("config.yaml") + ": --resume with overrides that change the run (");
    assertTrue(changed.err().contains("train.lr: 1.0E-4 -> 0.5"), changed.err());
  }

  @Test
  void aRunThatFailsOnItsConfigOrDataLeavesNoDirectory() throws Exception {
    Path experiment = experiment(), out = dir.resolve("out");
    UserErrorsTest.assertOneLine(start(experiment, out, "model_overrides=[train.lrr=1]"), experiment.getParent().resolve("btl.yaml") + ": ");
    UserErrorsTest.assertOneLine(start(experiment, out, "data.source=pairs", "data.path=" + dir.resolve("missing")), dir.resolve("missing") + ": ");
    Files.writeString(experiment.getParent().resolve("empty.yaml"), "");
    UserErrorsTest.assertOneLine(UserErrorsTest.run("experiment", experiment.getParent().resolve("empty.yaml").toString()), "");
    assertFalse(Files.exists(out), "no run directory was created");
  }

  @Test
  void allCoresAreRecordedAsANumberAndFilesFollowTheUmask() throws Exception {
    Path experiment = experiment(), out = dir.resolve("out");
    assertEquals(0, start(experiment, out, "runtime.threads=0").code());
    Path run = onlyRun(out);
    assertTrue(Files.readString(run.resolve("config.yaml")).contains("threads: " + Runtime.getRuntime().availableProcessors()),
        "runtime.threads 0 is recorded as the count it meant");
    assertFalse(Files.exists(run.resolve("checkpoints")), "no empty top-level checkpoints/");
    Path reference = Files.createFile(run.resolve("reference-file"));  // created with the process umask
    for (String f : List.of("results.csv", "report.md", "config.yaml", "models/np-btl/checkpoints/last/model.safetensors")) {
      assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(reference)),
          PosixFilePermissions.toString(Files.getPosixFilePermissions(run.resolve(f))), f);
    }
  }

  @Test
  void theSameRunWritesTheSameCheckpointBytes() throws Exception {
    Path experiment = experiment();
    assertEquals(0, start(experiment, dir.resolve("a"), "runtime.threads=1").code());
    assertEquals(0, start(experiment, dir.resolve("b"), "runtime.threads=1").code());
    Path a = onlyRun(dir.resolve("a")).resolve("models"), b = onlyRun(dir.resolve("b")).resolve("models");
    List<Path> files;
    try (Stream<Path> s = Files.walk(a)) {
      files = s.filter(p -> Files.isRegularFile(p) && p.toString().contains("checkpoints")).toList();
    }
    assertTrue(files.size() >= 12, files.toString());
    for (Path f : files) assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(b.resolve(a.relativize(f))), a.relativize(f).toString());
  }

  /** The training times a report gives per model, e.g. "np-btl: 4 steps in 0.3 s" -> 0.3. */
  static java.util.Map<String, Double> trainingSeconds(Path report) throws Exception {
    java.util.Map<String, Double> out = new java.util.TreeMap<>();
    var m = java.util.regex.Pattern.compile("^- ([\\w-]+): (\\d+) steps in ([0-9.]+) s", java.util.regex.Pattern.MULTILINE).matcher(Files.readString(report));
    while (m.find()) out.put(m.group(1), Double.parseDouble(m.group(3)));
    return out;
  }

  @Test
  void resumingAFinishedRunReportsItAsItWas() throws Exception {
    Path experiment = experiment(), out = dir.resolve("out");
    assertEquals(0, start(experiment, out, "runtime.threads=1").code());
    Path run = onlyRun(out);
    var before = trainingSeconds(run.resolve("report.md"));
    String results = Files.readString(run.resolve("results.csv"));
    UserErrorsTest.Outcome resumed = UserErrorsTest.run("experiment", experiment.toString(), "--resume", run.toString());
    assertEquals(0, resumed.code(), resumed.err());
    assertEquals(before.keySet(), trainingSeconds(run.resolve("report.md")).keySet());
    assertEquals(before, trainingSeconds(run.resolve("report.md")), "training times are the run's, not the resume's 0 s");
    assertEquals(results, Files.readString(run.resolve("results.csv")));
    String log = Files.readString(run.resolve("run.log"));
    assertTrue(log.contains("np-btl: already trained (4 steps)") && !log.contains("training steps 5..4"), log);
    assertTrue(Files.readString(run.resolve("report.md")).contains("over the run's 2 sessions"));
  }

  /** A user's 1-d pairs dataset whose labels are not the synthetic world's user types. */
  Path userDataset() throws Exception {
    Path data = dir.resolve("pairs");
    var world = org.steer4j.data.SyntheticWorld.generate(400, 3);
    byte[][] choices = {new byte[400], new byte[400]};
    org.steer4j.data.Split[] splits = new org.steer4j.data.Split[400];
    for (int r = 0; r < 400; ++r) {
      splits[r] = world.split(r);
      choices[0][r] = world.choice(0, r);
      choices[1][r] = world.choice(1, r);
    }
    org.steer4j.data.PairsDataset.of(world.featuresA(), world.featuresB(), List.of("alice", "bob"), splits, choices).write(data);
    return data;
  }

  @Test
  void resumeRefusesAnInputFileThatChangedSinceTheRunStarted() throws Exception {
    Path data = userDataset(), out = dir.resolve("out"), experiment = experiment();
    assertEquals(0, start(experiment, out, "data.source=pairs", "data.path=" + data, "data.labels=[alice, bob]", "runtime.threads=1").code());
    Path run = onlyRun(out);
    Path csv = data.resolve("pairs.csv");
    Files.writeString(csv, Files.readString(csv) + "\n");  // an edit after the run started: one more (blank) line
    UserErrorsTest.Outcome o = UserErrorsTest.run("experiment", experiment.toString(), "--resume", run.toString());
    UserErrorsTest.assertOneLine(o, csv.toAbsolutePath().normalize() + ": changed since the run started");
  }

  @Test
  void curvesAreDrawnOnlyForAWorldWithATrueCurve() throws Exception {
    Path data = userDataset();
    Path out = dir.resolve("out");
    UserErrorsTest.Outcome o = start(experiment(), out, "data.source=pairs", "data.path=" + data, "data.labels=[alice, bob]", "curves=true",
        "runtime.threads=1");
    assertEquals(0, o.code(), o.err());
    Path run = onlyRun(out);
    assertTrue(Files.exists(run.resolve("report.md")));
    try (Stream<Path> s = Files.list(run.resolve("plots"))) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("reward_curves")), "no 'true r(y)' for a user's data");
    }
  }

  @Test
  void aCorruptLastCheckpointIsRefusedSayingWhatToDelete() throws Exception {
    Path experiment = experiment(), out = dir.resolve("out");
    assertEquals(0, start(experiment, out, "runtime.threads=1", "model_overrides=[train.steps=6, train.val_every=2, train.checkpoint_every=2, sampler.batch_size=4]").code());
    Path run = onlyRun(out), last = run.resolve("models/dpl/checkpoints/last");
    // a torn write the rename protocol can't see: a flipped byte inside the weights
    Path weights = last.resolve("model.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    bytes[bytes.length - 3] ^= 0x40;
    Files.write(weights, bytes);
    UserErrorsTest.Outcome o = UserErrorsTest.run("experiment", experiment.toString(), "--resume", run.toString());
    UserErrorsTest.assertOneLine(o, last + ": corrupt checkpoint: model.safetensors does not match its checksum; delete " + last);
  }
}
