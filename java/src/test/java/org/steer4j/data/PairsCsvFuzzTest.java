package org.steer4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import java.util.Arrays;
import org.steer4j.fuzz.FuzzContract;

/**
 * Fuzzes the pairs.csv reader of {@link PairsDataset} ({@code readTable}, pure Java). The row
 * count N that pairs.safetensors would give is the input's first byte when it is below 16 (the
 * rest is the file), else the number of line ends minus one (the header). Seeds:
 * {@code PairsCsvFuzzTestInputs/table/}.
 */
class PairsCsvFuzzTest {
  @DictionaryEntries({"idx", "split", "choice_", "train", "val", "test", "0.0", "1.0", ",", "+Inf", "NaN"})  // libFuzzer dictionaries: no line breaks
  @FuzzTest(maxDuration = "5s")
  void table(byte[] input) {
    int n;
    byte[] csv = input;
    if (input.length > 0 && input[0] >= 0 && input[0] < 16) {
      n = input[0];
      csv = Arrays.copyOfRange(input, 1, input.length);
    } else {
      int lines = 0;
      for (byte b : input) if (b == '\n') ++lines;
      n = Math.max(lines - 1, 0);
    }
    Path file = FuzzContract.file("pairs.csv", csv);
    int rows = n;
    PairsDataset.Table t = FuzzContract.check(file.toString(), () -> PairsDataset.readTable(file, rows));
    if (t == null) return;
    assertEquals(n, t.splits().length);
    assertEquals(t.labels().size(), t.choices().length);
    for (var split : t.splits()) assertNotNull(split, "every row has a split");
    for (byte[] column : t.choices()) {
      for (byte c : column) if (c != 0 && c != 1 && c != PairsDataset.TIE) throw new AssertionError("choice " + c);
    }
  }
}
