package org.steer4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local torchrun: the first failing rank's status and log; no other rank's log is left behind. */
class LauncherTest {
  /** A rank: exits with the status its argument gives rank 1 (after a moment), or sleeps until it is stopped. */
  public static final class Rank {
    public static void main(String[] args) throws Exception {
      System.out.println("rank " + System.getenv("RANK") + " of " + System.getenv("WORLD_SIZE"));
      if (System.getenv("RANK").equals("1")) System.exit(Integer.parseInt(args[0]));
      Thread.sleep(60_000);
    }
  }

  @Test
  void theFirstFailingRankIsNamedAndOnlyItsLogIsKept(@TempDir Path logs) throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Launcher.run(3, Rank.class.getName(), List.of("3"), Duration.ofSeconds(30), new PrintStream(err, true, StandardCharsets.UTF_8), logs);
    String printed = err.toString(StandardCharsets.UTF_8);
    assertEquals(3, status, printed);
    assertTrue(printed.contains("rank 1 of 3 failed first (exit status 3)") && printed.contains("  rank 1 of 3"), printed);
    List<Path> left;
    try (Stream<Path> s = Files.list(logs)) {
      left = s.toList();
    }
    // rank 2's log was left in /tmp too, and rank 1's when rank 0 failed first, each unnamed
    assertEquals(1, left.size(), "rank 1's log, whose path was printed; rank 2's is deleted: " + left);
    assertTrue(left.get(0).getFileName().toString().startsWith("steer4j-rank1-") && printed.contains(left.get(0).toString()), printed);
  }
}
