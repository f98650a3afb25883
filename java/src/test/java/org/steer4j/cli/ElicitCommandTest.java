package org.steer4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.api.RewardModel;
import org.steer4j.api.UserState;

/** {@code steer4j elicit RUN_DIR}: a scripted user answers in the terminal; the state it prints restores. */
class ElicitCommandTest {
  @TempDir Path dir;

  @Test
  void aScriptedUserIsOnboardedAndTheirStateRestores() throws Exception {
    Path out = dir.resolve("out");
    assertEquals(0, UserErrorsTest.run("experiment", "../configs/synthetic/experiment.yaml", "run.output_dir=" + out, "data.size=400",
        "eval.batches=1", "eval.contexts=[0]", "curves=false", "runtime.threads=1", "model_overrides=[train.steps=4, sampler.batch_size=4]").code());
    Path run = RunDirectoryTrustTest.onlyRun(out), state = dir.resolve("user.json");
    InputStream stdin = System.in;
    try {
      System.setIn(new ByteArrayInputStream("a\nn\nb\nq\n".getBytes(StandardCharsets.UTF_8)));
      UserErrorsTest.Outcome o = UserErrorsTest.run("elicit", run.toString(), "--strategy", "uncertainty", "--pool", "20", "--state", state.toString());
      assertEquals(0, o.code(), o.err());
    } finally {
      System.setIn(stdin);
    }
    UserState st = UserState.fromJson(Files.readString(state));
    assertEquals(3, st.questionsAsked(), "three answers, the third question stopped by q");
    assertEquals(2, st.answers().size(), "no preference moves nothing");
    RewardModel model = RewardModel.load(run.resolve("models/np-btl"));
    assertTrue(java.util.Arrays.equals(st.latent(), model.restore(st).reward().latent()), "the printed state restores the same user");
  }

  @Test
  void theElicitationEvaluationRunsOnTheSyntheticWorldWithItsDeterministicLatent() throws Exception {
    Path out = dir.resolve("synthetic");
    UserErrorsTest.Outcome o = UserErrorsTest.run("experiment", "../configs/synthetic/experiment.yaml", "run.output_dir=" + out, "data.size=400",
        "eval.batches=1", "eval.contexts=[0]", "curves=false", "runtime.threads=1", "model_overrides=[train.steps=4, sampler.batch_size=4]",
        "elicitation.questions=2", "elicitation.pool=6", "elicitation.batches=1", "elicitation.batch_size=4");
    assertEquals(0, o.code(), o.err());
    java.util.List<String> lines = Files.readAllLines(RunDirectoryTrustTest.onlyRun(out).resolve("elicitation.csv"));
    assertEquals("model,strategy,questions,accuracy,sem", lines.get(0));
    assertEquals(1 + 2 * 3, lines.size(), "np-btl x (random, uncertainty) x Q = 0..2; information needs a stochastic latent: " + lines);
    String q0 = lines.get(1).split(",", 4)[3];
    assertTrue(lines.stream().filter(l -> l.startsWith("np-btl,") && l.split(",")[2].equals("0")).allMatch(l -> l.split(",", 4)[3].equals(q0)),
        "every strategy scores the same users' C = 0 accuracy at Q = 0: " + lines);
  }

  @Test
  void theElicitationEvaluationRunsOnAUsersPairsDataset() throws Exception {
    RunDirectoryTrustTest helper = new RunDirectoryTrustTest();
    helper.dir = dir;
    Path data = helper.userDataset(), out = dir.resolve("pairs-run");
    UserErrorsTest.Outcome o = UserErrorsTest.run("experiment", "../configs/synthetic/experiment.yaml", "run.output_dir=" + out, "data.source=pairs",
        "data.path=" + data, "data.labels=[alice, bob]", "eval.batches=1", "eval.contexts=[0]", "curves=false", "runtime.threads=1",
        "model_overrides=[train.steps=4, sampler.batch_size=4]", "elicitation.questions=2", "elicitation.pool=6", "elicitation.batches=1",
        "elicitation.batch_size=4", "elicitation.strategies=[random, uncertainty]");
    assertEquals(0, o.code(), o.err());
    java.util.List<String> lines = Files.readAllLines(RunDirectoryTrustTest.onlyRun(out).resolve("elicitation.csv"));
    assertEquals(1 + 2 * 3, lines.size(), lines.toString());
  }

  @Test
  void aTrainedRunIsEvaluatedForElicitationOnResumeAndTheSettingsAreRecorded() throws Exception {
    Path out = dir.resolve("later");
    assertEquals(0, UserErrorsTest.run("experiment", "../configs/synthetic/experiment.yaml", "run.output_dir=" + out, "data.size=400",
        "eval.batches=1", "eval.contexts=[0]", "curves=false", "runtime.threads=1", "model_overrides=[train.steps=4, sampler.batch_size=4]").code());
    Path run = RunDirectoryTrustTest.onlyRun(out);
    assertTrue(!Files.exists(run.resolve("elicitation.csv")));
    UserErrorsTest.Outcome o = UserErrorsTest.run("experiment", "../configs/synthetic/experiment.yaml", "--resume", run.toString(),
        "elicitation.questions=2", "elicitation.pool=6", "elicitation.batches=1", "elicitation.batch_size=4");
    assertEquals(0, o.code(), o.err());
    assertEquals(1 + 2 * 3, Files.readAllLines(run.resolve("elicitation.csv")).size());
    assertTrue(Files.readString(run.resolve("config.yaml")).contains("questions: 2"), "the resume records the elicitation settings it used");
    UserErrorsTest.assertOneLine(UserErrorsTest.run("experiment", "../configs/synthetic/experiment.yaml", "--resume", run.toString(), "eval.batches=2"),
        run.resolve("config.yaml") + ": --resume with overrides that change the run (");
  }
}
