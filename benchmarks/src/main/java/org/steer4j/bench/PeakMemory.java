package org.steer4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak resident memory of a piece of work, from Linux's per-process high-water mark.
 *
 * <p>Method: write "5" to {@code /proc/self/clear_refs}, which resets the high-water mark
 * {@code VmHWM} to the current {@code VmRSS} (Linux 4.0+); read {@code VmRSS}; run the work;
 * read {@code VmHWM}. The difference is the most memory the work held at once beyond what was
 * already resident: its temporaries, outputs and gradients. LibTorch's CPU allocator does not
 * cache, and glibc serves every block over 32 MiB with its own mmap and returns it on free, so
 * large tensors show up in RSS when created and leave it when freed. Small allocations (the JVM,
 * JIT threads, malloc arenas) add a few MiB of noise; this is a measure for tensors of tens of
 * MiB and more. Outside Linux, {@link #measure} returns -1.
 */
final class PeakMemory {
  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private PeakMemory() {}

  /** Bytes by which the resident set peaked above its size before {@code work} ran, or -1. */
  static long measure(Runnable work) {
    if (!Files.isWritable(CLEAR_REFS)) return -1;
    try {
      Files.writeString(CLEAR_REFS, "5", StandardCharsets.US_ASCII);
      long before = kilobytes("VmRSS:");
      work.run();
      return (kilobytes("VmHWM:") - before) * 1024;
    } catch (IOException e) {
      return -1;
    }
  }

  static String mebibytes(long bytes) {
    return bytes < 0 ? "n/a" : String.format("%.0f MiB", bytes / (1024.0 * 1024.0));
  }

  private static long kilobytes(String field) throws IOException {
    for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
      if (line.startsWith(field)) return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
    }
    throw new IOException(field + " missing in " + STATUS);
  }
}
