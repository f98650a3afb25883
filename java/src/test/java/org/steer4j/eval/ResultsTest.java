package org.steer4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Result tables show each label once: "all" only when it is not a copy of the single label. */
class ResultsTest {
  static AccuracyRow row(String model, String label, int c, double acc) {
    return new AccuracyRow(model, label, c, acc, 1, 10);
  }

  @Test
  void aWorldWithOneLabelGetsOneTableNotTwoCopies() {
    List<AccuracyRow> one = List.of(row("btl", "x", 0, 70), row("btl", "all", 0, 70));
    assertEquals(List.of("x"), Results.labels(one));
    assertFalse(Results.markdown(one).contains("all tasks"), Results.markdown(one));
    List<AccuracyRow> two = List.of(row("btl", "x", 0, 70), row("btl", "y", 0, 80), row("btl", "all", 0, 75));
    assertEquals(List.of("x", "y", "all"), Results.labels(two));
    assertTrue(Results.markdown(two).contains("all tasks"));
  }
}
