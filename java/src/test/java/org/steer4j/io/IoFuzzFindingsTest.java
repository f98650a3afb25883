package org.steer4j.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Findings of {@link SafeTensorsFuzzTest}, as plain regression tests (docs/inputs.md). */
class IoFuzzFindingsTest {
  @TempDir Path dir;

  private Path framed(String header) throws Exception {
    Path f = dir.resolve("f.safetensors");
    Files.write(f, SafeTensorsFuzzTest.framed(header.getBytes(StandardCharsets.UTF_8)));
    return f;
  }

  /** Was Jackson's getMessage(): a second line quoting the source ("at [Source: ...]"). */
  @Test
  void aMalformedJsonHeaderIsOneLineWithTheLocation() throws Exception {
    Path f = framed("{\"a\":[1:2]}");
    var e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(f));
    assertTrue(e.getMessage().startsWith(f + ": malformed JSON header: line 1, column 8: Unexpected character (':'"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  /** A tensor name with a line break (legal JSON) is echoed escaped, so the error stays one line. */
  @Test
  void aTensorNameWithALineBreakIsEscapedInTheMessage() throws Exception {
    Path f = framed("{\"a\\nb\":1}");
    var e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(f));
    assertTrue(e.getMessage().endsWith(": tensor 'a\\nb': entry must be an object"), e.getMessage());
  }
}
