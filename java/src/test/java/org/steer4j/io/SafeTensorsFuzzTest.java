package org.steer4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import org.steer4j.fuzz.FuzzContract;

/**
 * Fuzzes the safetensors header and data layout checks of {@link SafeTensors#open}, which run in
 * Java before LibTorch is touched ({@code SafeTensorsParseTest} proves it). An input starting
 * with '{' is framed: the JSON header up to the first NUL byte, then the data bytes; the harness
 * writes the length prefix, so mutations of the header keep a consistent file. Any other input is
 * the file as is. Seeds: {@code SafeTensorsFuzzTestInputs/open/}.
 */
class SafeTensorsFuzzTest {
  @DictionaryEntries({"null", "true", "false", "1e999", "-1", "0", "4294967296", "9223372036854775808", "1.5", "[]", "{}", "\\u2028", "\\n", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F32\"", "\"BF16\"", "\"I64\"", "\"BOOL\"", "\"U8\""})
  @FuzzTest(maxDuration = "5s")
  void open(byte[] input) {
    Path file = FuzzContract.file("fuzz.safetensors", framed(input));
    SafeTensors st = FuzzContract.check(file.toString(), () -> SafeTensors.open(file));
    if (st == null) return;
    try (st) {
      long bytes = 0;
      for (String name : st.names()) {
        SafeTensors.Entry e = st.entry(name);
        bytes += e.numel() * e.dtype().size();  // a validated header never overflows these
        assertEquals(e.end() - e.begin(), e.numel() * e.dtype().size(), name);
      }
      st.metadata().forEach((k, v) -> assertEquals(v, st.metadata().get(k)));
      if (bytes < 0) throw new AssertionError("negative byte count");
    }
  }

  /** The file for {@code input}: as is, or, for an input starting with '{', header + NUL + data framed. */
  static byte[] framed(byte[] input) {
    if (input.length == 0 || input[0] != '{') return input;
    int nul = 0;
    while (nul < input.length && input[nul] != 0) ++nul;
    byte[] header = Arrays.copyOf(input, nul);
    byte[] data = nul < input.length ? Arrays.copyOfRange(input, nul + 1, input.length) : new byte[0];
    return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(header.length).put(header).put(data).array();
  }
}
