package org.steer4j.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.train.TrainingListener;

/**
 * The run's clock keeps a killed session's time (all but the seconds since its last write), and
 * a resumed session adds its own, per model and in total.
 */
class RunClockTest {
  @TempDir Path dir;
  long now;

  @Test
  void aKilledSessionKeepsItsTimeUpToItsLastWriteAndAResumeAddsItsOwn() {
    RunClock first = new RunClock(dir, () -> now);
    now += 5_000_000_000L;  // 5 s of loading
    TrainingListener training = first.listener("np-btl");
    training.onStart(1, 1000);
    for (int step = 1; step <= 40; ++step) {  // 40 steps of 1 s: written at 30 s
      now += 1_000_000_000L;
      training.onStep(step, Map.of());
    }
    // killed here: no onEnd, no finishSession
    RunClock second = new RunClock(dir, () -> now);
    assertEquals(2, second.sessions(), "the killed session counts");
    assertEquals(30.0, second.trainingSeconds("np-btl"), 1e-9, "its training up to the last write");
    now += 2_000_000_000L;
    TrainingListener resumed = second.listener("np-btl");
    resumed.onStart(41, 1000);
    now += 10_000_000_000L;
    resumed.onStep(41, Map.of());
    resumed.onEnd(1000);
    assertEquals(40.0, second.trainingSeconds("np-btl"), 1e-9);
    now += 1_000_000_000L;
    // the first session's 35 s written (5 s loading + 30 s training), then this one's 2 + 10 + 1
    assertEquals(35.0 + 13.0, second.finishSession(), 1e-9);

    // a finished model resumed runs no step: its training time stays the run's
    RunClock third = new RunClock(dir, () -> now);
    TrainingListener done = third.listener("np-btl");
    done.onStart(1001, 1000);
    now += 3_000_000_000L;  // loading its checkpoint
    done.onEnd(1000);
    assertEquals(40.0, third.trainingSeconds("np-btl"), 1e-9);
  }
}
