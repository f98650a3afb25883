package org.steer4j.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.steer4j.runtime.AtomicFiles;

/** PNG line plots (headless JFreeChart): accuracy vs C with error bars, reward curves. */
public final class Plots {
  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
    new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)
  };

  private Plots() {}

  /**
   * A line; {@code error} (half-widths) may be null; dashed lines draw references; {@code color}
   * indexes the palette (-1: by position), so that a model keeps its colour in every plot of a run.
   */
  public record Series(String name, double[] x, double[] y, double[] error, boolean dashed, int color) {
    public Series(String name, double[] x, double[] y, double[] error, boolean dashed) {
      this(name, x, y, error, dashed, -1);
    }
  }

  public static void lines(String title, String xLabel, String yLabel, List<Series> series, Path png) throws IOException {
    lines(title, xLabel, yLabel, series, png, Double.NaN);
  }

  /** As {@link #lines(String, String, String, List, Path)}, the y axis from {@code yFrom} (NaN: fitted to the data). */
  public static void lines(String title, String xLabel, String yLabel, List<Series> series, Path png, double yFrom) throws IOException {
    System.setProperty("java.awt.headless", "true");
    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
    for (Series s : series) {
      YIntervalSeries ys = new YIntervalSeries(s.name(), false, true);
      for (int i = 0; i < s.x().length; ++i) {
        double e = s.error() == null ? 0 : s.error()[i];
        ys.add(s.x()[i], s.y()[i], s.y()[i] - e, s.y()[i] + e);
      }
      data.addSeries(ys);
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL, true, false, false);
    chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    XYErrorRenderer renderer = new XYErrorRenderer();
    renderer.setDrawXError(false);
    renderer.setDrawYError(series.stream().anyMatch(s -> s.error() != null));
    org.jfree.chart.axis.NumberAxis range = (org.jfree.chart.axis.NumberAxis) plot.getRangeAxis();
    range.setAutoRangeIncludesZero(false);
    if (!Double.isNaN(yFrom)) {
      double top = series.stream().flatMapToDouble(s -> java.util.stream.IntStream.range(0, s.y().length)
          .mapToDouble(i -> s.y()[i] + (s.error() == null ? 0 : s.error()[i]))).max().orElse(yFrom + 1);
      range.setRange(yFrom, Math.max(top + 1, yFrom + 10));
    }
    renderer.setDefaultLinesVisible(true);
    renderer.setCapLength(6);
    for (int i = 0; i < series.size(); ++i) {
      int c = series.get(i).color() >= 0 ? series.get(i).color() : i;
      Color color = PALETTE[c % PALETTE.length];
      renderer.setSeriesPaint(i, color);
      boolean markers = series.get(i).x().length <= 12;
      renderer.setSeriesShapesVisible(i, markers);
      renderer.setSeriesStroke(i, series.get(i).dashed()
          ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f)
          : new BasicStroke(2f));
    }
    plot.setRenderer(renderer);
    BufferedImage image = chart.createBufferedImage(800, 520);
    AtomicFiles.write(png, out -> ImageIO.write(image, "png", out));
  }

  /**
   * Accuracy (%) vs C for every model on one label, with SEM error bars; each model in its colour
   * of the run (its place among all the rows' models), the y axis from 50 % (chance for a
   * preference between two options) or from 0 when a model is below chance.
   */
  public static void accuracyVsContext(List<AccuracyRow> rows, String label, Path png) throws IOException {
    List<Series> series = new ArrayList<>();
    List<String> models = rows.stream().map(AccuracyRow::model).distinct().toList();
    for (String model : models) {
      List<AccuracyRow> r = rows.stream().filter(a -> a.model().equals(model) && a.label().equals(label)).toList();
      if (r.isEmpty()) continue;
      series.add(new Series(model, r.stream().mapToDouble(AccuracyRow::context).toArray(),
          r.stream().mapToDouble(AccuracyRow::accuracy).toArray(), r.stream().mapToDouble(AccuracyRow::sem).toArray(), false,
          models.indexOf(model)));
    }
    boolean belowChance = series.stream().anyMatch(s -> java.util.Arrays.stream(s.y()).anyMatch(y -> y < 50));
    String what = label.equals("all") ? "all users" : label.equals("mixture") ? "mixture users" : "users of label " + label;
    lines("Accuracy vs context size C, " + what + (belowChance ? "" : " (axis from 50 %: chance)"), "context pairs C",
        "test accuracy on unseen targets (%)", series, png, belowChance ? 0 : 50);
  }

  /** Accuracy (%) vs questions asked, one line per (model, strategy), with SEM error bars. */
  public static void versusQuestions(List<AccuracyRow> rows, Path png) throws IOException {
    List<Series> series = new ArrayList<>();
    List<String> keys = rows.stream().map(r -> r.model() + " " + r.label()).distinct().toList();
    for (String key : keys) {
      List<AccuracyRow> r = rows.stream().filter(a -> (a.model() + " " + a.label()).equals(key)).toList();
      series.add(new Series(key, r.stream().mapToDouble(AccuracyRow::context).toArray(), r.stream().mapToDouble(AccuracyRow::accuracy).toArray(),
          r.stream().mapToDouble(AccuracyRow::sem).toArray(), false, keys.indexOf(key)));
    }
    lines("Active elicitation: accuracy vs questions asked (axis from 50 %: chance)", "questions answered Q", "held-out accuracy (%)", series, png, 50);
  }
}
