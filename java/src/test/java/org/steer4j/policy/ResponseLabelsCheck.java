package org.steer4j.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.steer4j.kernels.ResponseLabels;

/** The response mask of a {@link SequenceBatch}, spelled out. */
final class ResponseLabelsCheck {
  private ResponseLabelsCheck() {}

  /** For {@link PolicyTest#batch()}: position t scores token t + 1, only where that token is a response token. */
  static void assertMaskExcludesPromptAndPadding(SequenceBatch b) {
    ResponseLabels labels = b.labels();
    float[] mask = new float[27];
    labels.mask().contiguous().data_ptr_float().get(mask);
    assertArrayEquals(new float[] {
        0, 0, 0, 1, 1, 1, 1, 1, 0,   // prompt of 4: tokens 4..8 scored, at positions 3..7
        0, 1, 1, 1, 0, 0, 0, 0, 0,   // prompt of 2, length 5: positions 1..3, then padding
        1, 1, 0, 0, 0, 0, 0, 0, 0},  // prompt of 1 (BOS), length 3: positions 0..1
        mask);
  }
}
