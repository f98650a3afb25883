package org.steer4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.runtime.InputException;

/** Text files read as editors, Excel and pandas write them: UTF-8, BOM or not, LF or CRLF. */
class TextFilesTest {
  @TempDir Path dir;

  List<String> lines(byte[] content) throws Exception {
    Path f = dir.resolve("t.txt");
    Files.write(f, content);
    List<String> out = new ArrayList<>();
    TextFiles.lines(f, (line, n) -> out.add(n + ":" + line));
    return out;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aByteOrderMarkIsStrippedAndCrlfIsALineEnd() throws Exception {
    byte[] text = bytes("\uFEFFidx,split\r\n0,tr\u00e4in\r\n\r\nlast");
    assertEquals(List.of("1:idx,split", "2:0,tr\u00e4in", "3:", "4:last"), lines(text));
    assertEquals(List.of("1:a", "2:b"), lines(bytes("a\nb\n")), "no line after the last line end");
    assertEquals(List.of(), lines(new byte[0]));
    assertEquals(List.of("1:\uFEFFb"), lines(bytes("\uFEFF\uFEFFb")), "only one leading mark is a BOM");
  }

  @Test
  void invalidUtf8NamesTheFileAndLine() throws Exception {
    byte[] latin1 = "ok\nstill ok\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
    InputException e = assertThrows(InputException.class, () -> lines(latin1));
    assertTrue(e.getMessage().endsWith("t.txt: line 3: not valid UTF-8 (save the file as UTF-8)"), e.getMessage());
  }

  @Test
  void aMissingFileIsNamed() {
    InputException e = assertThrows(InputException.class, () -> TextFiles.read(dir.resolve("none.csv")));
    assertTrue(e.getMessage().endsWith("none.csv: no such file"), e.getMessage());
  }
}
