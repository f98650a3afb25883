package org.steer4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.steer4j.config.SamplerConfig;
import org.steer4j.config.SamplerConfig.ContextMode;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Rng;

/** The sampler draws tasks as the reference does, and its invariants hold. */
class TaskSamplerTest {
  static PairsDataset data;

  @BeforeAll
  static void init() {
    Native.init(1);
    data = SyntheticWorld.generate(2000, 3);
  }

  static float feature(Tensor t, long... index) {
    Tensor x = t;
    for (long i : index) x = x.select(0, i);
    return x.item_float();
  }

  @Test
  void batchesHaveTheConfiguredSizesAndTheContextIsASubsetOfTheTargets() {
    TaskSampler s = new TaskSampler(data, new LabelUsers(data, List.of()), Split.TRAIN, new SamplerConfig(8, 20, 0, 10, ContextMode.SUBSET));
    Set<Integer> seenC = new HashSet<>();
    for (int k = 0; k < 40; ++k) {
      Batch b = s.sample(Rng.derive(1, "t", k));
      int c = b.contextCount();
      seenC.add(c);
      assertTrue(c >= 0 && c <= 10);
      assertArrayEquals(new long[] {8, 20, 2, 1}, b.targets().sizes().vec().get());
      assertArrayEquals(new long[] {8, 20}, b.choices().sizes().vec().get());
      assertArrayEquals(new long[] {8, c, 2, 1}, b.context().sizes().vec().get());
      assertEquals(c, b.contextIndex().length);
      assertEquals(c, java.util.Arrays.stream(b.contextIndex()).distinct().count(), "context positions are distinct");
      for (int task = 0; task < 8; ++task) {
        assertEquals(20, java.util.Arrays.stream(b.rows()[task]).distinct().count(), "targets are drawn without replacement");
        for (int j = 0; j < 20; ++j) {
          int row = b.rows()[task][j];
          assertEquals(Split.TRAIN, data.split(row));
          assertEquals(data.choice(b.users()[task].label(), row), b.choices().select(0, task).select(0, j).item_long());
          assertEquals(data.featuresA().select(0, row).item_float(), feature(b.targets(), task, j, 0, 0));
        }
        for (int ci = 0; ci < c; ++ci) {  // the context pair is the target at its position
          int pos = b.contextIndex()[ci];
          assertEquals(feature(b.targets(), task, pos, 1, 0), feature(b.context(), task, ci, 1, 0));
          assertEquals(b.choices().select(0, task).select(0, pos).item_long(), b.contextChoices().select(0, task).select(0, ci).item_long());
        }
      }
    }
    assertTrue(seenC.contains(0) && seenC.contains(10), "C covers its range: " + seenC);
  }

  @Test
  void disjointContextComesFromOtherRowsOfTheSameUser() {
    TaskSampler s = new TaskSampler(data, new LabelUsers(data, List.of()), Split.TRAIN, new SamplerConfig(4, 6, 3, 3, ContextMode.DISJOINT));
    Batch b = s.sample(new Rng(9));
    assertEquals(null, b.contextIndex());
    for (int task = 0; task < 4; ++task) {
      Set<Float> targets = new HashSet<>();
      for (int j = 0; j < 6; ++j) targets.add(feature(b.targets(), task, j, 0, 0));
      for (int c = 0; c < 3; ++c) {
        assertTrue(!targets.contains(feature(b.context(), task, c, 0, 0)), "a context pair is not one of the targets");
      }
    }
  }

  @Test
  void theSameGeneratorStateGivesTheSameTargetsWhateverC() {
    TaskSampler s = new TaskSampler(data, new LabelUsers(data, List.of()), Split.TEST, new SamplerConfig(4, 20, 0, 19, ContextMode.SUBSET));
    Batch a = s.sample(Rng.derive(5, "e", 0), 1, 4), b = s.sample(Rng.derive(5, "e", 0), 10, 4);
    for (int task = 0; task < 4; ++task) assertArrayEquals(a.rows()[task], b.rows()[task]);
    assertTrue(a.choices().equal(b.choices()));
    Batch other = s.sample(Rng.derive(5, "e", 1), 1, 4);
    assertNotEquals(java.util.Arrays.deepToString(a.rows()), java.util.Arrays.deepToString(other.rows()));
  }

  @Test
  void labelUsersOnlyDrawRowsWithoutTies() {
    byte[][] choices = {{0, 1, PairsDataset.TIE, 1}};
    Split[] splits = {Split.TRAIN, Split.TRAIN, Split.TRAIN, Split.TEST};
    PairsDataset d = PairsDataset.of(org.bytedeco.pytorch.global.torch.randn(4, 2), org.bytedeco.pytorch.global.torch.randn(4, 2),
        List.of("x"), splits, choices);
    assertArrayEquals(new int[] {0, 1}, new LabelUsers(d, List.of()).rows(Split.TRAIN, User.label("x", 0)));
  }

  @Test
  void mixtureUsersAreOnTheSimplexAndFollowTheirWeights() {
    MixtureWorld w = MixtureWorld.generate(3000, 4, 3, 1);
    Users users = w.mixtureUsers(1.0, 50.0);  // nearly noise-free choices
    Rng rng = new Rng(3);
    User u = users.draw(rng);
    assertEquals(1.0, java.util.Arrays.stream(u.weights()).sum(), 1e-12);
    int agree = 0, rows = 0;
    for (int row : users.rows(Split.TRAIN, u)) {
      double margin = w.utility(row, 1, u.weights()) - w.utility(row, 0, u.weights());
      if (Math.abs(margin) < 0.2) continue;
      ++rows;
      if ((users.choice(u, row, rng) == 1) == (margin > 0)) ++agree;
    }
    assertTrue(agree > 0.98 * rows, agree + " of " + rows);
  }
}
