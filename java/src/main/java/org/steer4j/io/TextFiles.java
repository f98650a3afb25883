package org.steer4j.io;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.steer4j.runtime.InputException;

/**
 * Every text file steer4j reads (pairs.csv, JSONL, YAML, JSON configs) goes through here, so they
 * all read the way editors, Excel and pandas write them: UTF-8, with or without a byte-order mark
 * (stripped), lines ending in LF or CRLF; an invalid UTF-8 byte is an error naming the file and
 * its line, never a replacement character.
 */
public final class TextFiles {
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  private TextFiles() {}

  /** Receives each line (without its line end) and its 1-based number. */
  @FunctionalInterface
  public interface LineVisitor {
    void line(String line, int number);
  }

  /**
   * Visits every line of {@code file}.
   *
   * @throws InputException naming the file (and line) when it is missing, unreadable or not UTF-8
   */
  public static void lines(Path file, LineVisitor visitor) {
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream(256);
      int number = 0;
      boolean more = true;
      while (more) {
        int b;
        while ((b = in.read()) != -1 && b != '\n') line.write(b);
        more = b != -1;
        if (!more && line.size() == 0) break;  // no line after the last line end
        byte[] bytes = line.toByteArray();
        line.reset();
        ++number;
        int from = number == 1 && startsWithBom(bytes) ? BOM.length : 0;
        int to = bytes.length > from && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        String text;
        try {
          text = utf8.decode(ByteBuffer.wrap(bytes, from, to - from)).toString();
        } catch (CharacterCodingException e) {
          throw new InputException(file + ": line " + number + ": not valid UTF-8 (save the file as UTF-8)");
        }
        visitor.line(text, number);
      }
    } catch (NoSuchFileException e) {
      throw new InputException(file + ": no such file");
    } catch (IOException e) {
      throw new InputException(file + ": can't read: " + e.getMessage(), e);
    }
  }

  /** The whole of {@code file} as text, lines joined by LF. */
  public static String read(Path file) {
    StringBuilder sb = new StringBuilder();
    lines(file, (line, n) -> sb.append(line).append('\n'));
    return sb.toString();
  }

  private static boolean startsWithBom(byte[] bytes) {
    return bytes.length >= 3 && bytes[0] == BOM[0] && bytes[1] == BOM[1] && bytes[2] == BOM[2];
  }

}
