package org.steer4j.run;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of long work: on a terminal a bar redrawn in place ({@code [#####.....] 512/1000
 * 41.3 it/s ETA 0:12 loss 0.412}); otherwise (CI, pipes, files) a plain log line every tenth of
 * the way, so logs stay readable.
 */
public final class Progress {
  private static final boolean TERMINAL = System.console() != null && System.getenv("STEER4J_PLAIN") == null;
  private final String label;
  private final long total;
  private final PrintStream out;
  private final boolean terminal;
  private final long start = System.nanoTime();
  private long lastDraw;
  private int lastTenth = -1;

  public Progress(String label, long total) {
    this(label, total, System.err, TERMINAL);
  }

  Progress(String label, long total, PrintStream out, boolean terminal) {
    this.label = label;
    this.total = Math.max(total, 1);
    this.out = out;
    this.terminal = terminal;
  }

  /** Reports that {@code done} of the total are finished; {@code status} is e.g. "loss 0.41". */
  public synchronized void update(long done, String status) {
    long now = System.nanoTime();
    double seconds = (now - start) / 1e9;
    double rate = done / Math.max(seconds, 1e-9);
    String eta = done > 0 ? duration((total - done) / rate) : "?";
    if (terminal) {
      if (now - lastDraw < 100_000_000L && done < total) return;  // redraw at most 10 times a second
      lastDraw = now;
      int width = 30;
      int filled = (int) (width * Math.min(done, total) / total);
      out.print(String.format(Locale.ROOT, "\r%s [%s%s] %d/%d %.1f it/s ETA %s %s\u001b[K", label,
          "#".repeat(filled), ".".repeat(width - filled), done, total, rate, eta, status));
      if (done >= total) out.println();
      out.flush();
    } else {
      int tenth = (int) (10 * Math.min(done, total) / total);
      if (tenth == lastTenth) return;
      lastTenth = tenth;
      out.println(String.format(Locale.ROOT, "%s %d/%d (%d%%) %.1f it/s ETA %s %s", label, done,
          total, 10 * tenth, rate, eta, status));
    }
  }

  /** Clears a bar being drawn so that a log line can be printed above it. */
  static void clearLine(PrintStream out) {
    if (TERMINAL) out.print("\r\u001b[K");
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                     : String.format("%d:%02d", s / 60, s % 60);
  }
}
