package org.steer4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write killed before its rename leaves a temporary that the next write of the same file removes; live writers' are kept. */
class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void theNextWriteRemovesWhatAKilledWriterLeft() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path orphan = dir.resolve(".report.md." + gone.pid() + ".1f2e3d.tmp");
    Path live = dir.resolve(".report.md." + ProcessHandle.current().pid() + ".abc.tmp");
    Path other = dir.resolve(".report.md.bak." + gone.pid() + ".1.tmp");  // another file's temporary
    for (Path p : new Path[] {orphan, live, other}) Files.writeString(p, "half");
    AtomicFiles.writeString(dir.resolve("report.md"), "whole");
    assertEquals("whole", Files.readString(dir.resolve("report.md")));
    assertFalse(Files.exists(orphan), "the killed writer's temporary is removed");
    assertTrue(Files.exists(live) && Files.exists(other), "a live writer's and another file's are kept");
  }
}
