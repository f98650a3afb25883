package org.steer4j.runtime;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so that a reader (or a crash) never sees half of one: write a temporary sibling,
 * force it to disk, then rename it over the target.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Something that writes the whole content of a file to a stream. */
  @FunctionalInterface
  public interface Writer {
    void write(OutputStream out) throws IOException;
  }

  public static void write(Path target, Writer writer) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    // Not Files.createTempFile: it makes the file 0600 whatever the umask; output files should
    // follow the umask like any other tool's (CREATE_NEW uses the default mode, 0666 & ~umask).
    // Named after the writing process, so that a later write of the same target can delete what a
    // killed writer left (a kill -9 between creating and renaming it) and leave live writers' alone.
    String prefix = "." + target.getFileName() + ".";
    removeOrphans(dir, prefix);
    Path tmp = dir.resolve(prefix + ProcessHandle.current().pid() + "." + Long.toHexString(System.nanoTime() ^ Thread.currentThread().getId() << 48)
        + java.util.concurrent.ThreadLocalRandom.current().nextInt(1 << 20) + ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
        BufferedOutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
        writer.write(out);
        out.flush();
        channel.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Deletes {@code <prefix><pid>.<...>.tmp} files in {@code dir} whose writing process is gone. */
  private static void removeOrphans(Path dir, String prefix) throws IOException {
    long self = ProcessHandle.current().pid();
    try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.tmp")) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (!name.startsWith(prefix)) continue;
        int end = name.indexOf('.', prefix.length());
        if (end < 0) continue;
        long pid;
        try {
          pid = Long.parseLong(name.substring(prefix.length(), end));
        } catch (NumberFormatException e) {
          continue;  // another target's name, or an older temporary without a pid
        }
        if (pid != self && ProcessHandle.of(pid).isEmpty()) Files.deleteIfExists(p);
      }
    }
  }

  public static void writeString(Path target, String content) throws IOException {
    write(target, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
  }

  /** Deletes {@code dir} and everything below it (nothing when it does not exist). */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) Files.delete(p);
    }
  }
}
