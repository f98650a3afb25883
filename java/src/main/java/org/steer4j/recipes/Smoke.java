package org.steer4j.recipes;

import static org.bytedeco.pytorch.global.torch.mse_loss;
import static org.bytedeco.pytorch.global.torch.manual_seed;
import static org.bytedeco.pytorch.global.torch.randn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.kernels.Tape;
import org.steer4j.nn.Weights;
import org.steer4j.nn.RewardDecoder;
import org.steer4j.run.MetricsLog;
import org.steer4j.run.Progress;
import org.steer4j.run.RunDirectory;
import org.steer4j.run.RunLog;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Seeds;
import org.steer4j.train.FusedAdam;
import org.steer4j.train.Listeners;
import org.steer4j.train.Loop;
import org.steer4j.train.Step;
import org.steer4j.config.TrainConfig;
import org.steer4j.runtime.Rng;

/**
 * Smoke run of the native op: the fused reward decoder against the eager composition (outputs
 * and gradients), their forward+backward times, and a short Adam fit through the autograd tape
 * (a conditioned decoder learning a teacher's rewards). Proves the build, the native library,
 * autograd wiring, run directory, metrics and checkpoints end to end in seconds.
 */
public final class Smoke {
  private final SmokeConfig config;
  private final RunDirectory run;
  private final RunLog log;

  public Smoke(SmokeConfig config, RunDirectory run) {
    this.config = config;
    this.run = run;
    this.log = run.log();
  }

  /** Runs the job; returns a summary of what was measured. */
  public Map<String, Double> run() throws Exception {
    Native.init(config.runtime().threads());
    new Seeds(config.runtime().seed()).seedTorch();
    log.info("steer4j smoke: B=%d N=%d Dt=%d Dz=%d H=%d, %d threads, run directory %s", config.tasks(),
        config.rowsPerTask(), config.targetWidth(), config.latentWidth(), config.hidden(), Native.threads(), run);
    Map<String, Double> summary = new LinkedHashMap<>();
    try (MetricsLog metrics = new MetricsLog(run.metricsFile())) {
      try (PointerScope scope = new PointerScope()) {
        compare(summary, metrics);
      }
      try (PointerScope scope = new PointerScope()) {
        time(summary, metrics);
      }
    }
    fit(summary);
    return summary;
  }

  private TensorOptions options() {
    return new TensorOptions(ScalarType.Float);
  }

  private RewardDecoder decoder(boolean fused) {
    return new RewardDecoder(config.targetWidth(), config.latentWidth(), config.hidden(), 1, fused, options());
  }

  private Tensor targets() {
    return randn(new long[] {config.tasks(), config.rowsPerTask(), config.targetWidth()}, options());
  }

  private Tensor latents() {
    return config.latentWidth() == 0 ? null : randn(new long[] {config.tasks(), config.latentWidth()}, options());
  }

  /** Fused vs eager on the same weights and inputs: relative errors of r and every gradient. */
  private void compare(Map<String, Double> summary, MetricsLog metrics) {
    RewardDecoder fused = decoder(true);
    RewardDecoder eager = decoder(false);
    copyParameters(fused, eager);
    Tensor t = targets(), z = latents();
    Tensor g = randn(new long[] {config.tasks(), config.rowsPerTask(), 1}, options());
    Map<String, Tensor> a = gradients(fused, t, z, g), b = gradients(eager, t, z, g);
    double worst = 0;
    Map<String, Double> errors = new LinkedHashMap<>();
    for (String name : a.keySet()) {
      double e = normRelativeError(a.get(name), b.get(name));
      errors.put("rel_err_" + name, e);
      worst = Math.max(worst, e);
    }
    metrics.write(0, "check", errors);
    log.info("fused vs eager: max relative error %.2e over r and all gradients %s", worst, errors.keySet());
    summary.put("max_rel_error", worst);
  }

  private Map<String, Tensor> gradients(RewardDecoder decoder, Tensor t0, Tensor z0, Tensor g) {
    Tensor t = t0.clone().requires_grad_(true);
    Tensor z = z0 == null ? null : z0.clone().requires_grad_(true);
    decoder.zero_grad(true);
    Tape tape = new Tape();
    Tensor r = decoder.forward(t, z, tape);
    tape.backward(r.mul(g).sum());
    Map<String, Tensor> out = new LinkedHashMap<>();
    out.put("r", r.detach());
    out.put("t", t.grad());
    if (z != null) out.put("z", z.grad());
    Weights.parameters(decoder).forEach((name, p) -> out.put(name, p.grad()));
    return out;
  }

  /** Median milliseconds of forward+backward, fused and eager, at the configured shape. */
  private void time(Map<String, Double> summary, MetricsLog metrics) {
    Tensor t = targets().requires_grad_(true), z = latents();
    if (z != null) z.requires_grad_(true);
    Progress progress = new Progress("timing", 2L * config.iterations());
    long done = 0;
    for (boolean fusedImpl : new boolean[] {true, false}) {
      RewardDecoder decoder = decoder(fusedImpl);
      double[] ms = new double[config.iterations()];
      for (int i = -3; i < config.iterations(); ++i) {  // 3 warm-up iterations
        try (PointerScope scope = new PointerScope()) {
          long start = System.nanoTime();
          Tape tape = new Tape();
          tape.backward(decoder.forward(t, z, tape).sum());
          if (i >= 0) {
            ms[i] = (System.nanoTime() - start) / 1e6;
            progress.update(++done, String.format(Locale.ROOT, "%s %.2f ms", fusedImpl ? "fused" : "eager", ms[i]));
          }
        }
      }
      java.util.Arrays.sort(ms);
      double median = ms[ms.length / 2];
      String key = fusedImpl ? "fused_fwd_bwd_ms" : "eager_fwd_bwd_ms";
      summary.put(key, median);
      metrics.write(0, "timing", Map.of(key, median));
    }
    summary.put("speedup", summary.get("eager_fwd_bwd_ms") / summary.get("fused_fwd_bwd_ms"));
    log.info("forward+backward median: fused %.3f ms, eager %.3f ms (%.2fx)  [a timing, not a benchmark:"
        + " see benchmarks/ for JMH]", summary.get("fused_fwd_bwd_ms"), summary.get("eager_fwd_bwd_ms"), summary.get("speedup"));
  }

  /**
   * A student decoder learns a random teacher's rewards with Adam through the tape, in the one
   * training loop (metrics, progress, checkpoints in {@code checkpoints/}).
   */
  private void fit(Map<String, Double> summary) {
    if (config.fitSteps() == 0) return;
    RewardDecoder teacher = decoder(false), student = decoder(true);
    teacher.eval();
    TrainConfig train = new TrainConfig(TrainConfig.Optimizer.ADAM, config.lr(), 1e-8, 0, config.fitSteps(), 0, config.fitSteps(), 1,
        config.fitSteps());
    FitStep step = new FitStep(teacher, student, FusedAdam.of(Weights.parameters(student), train));
    new Loop(step, Loop.Settings.of(train, config.fitSteps(), config.runtime().seed()), run.checkpoints())
        .listen(Listeners.metrics(run.metricsFile()))
        .listen(Listeners.progress("fit"))
        .run();
    summary.put("fit_first_loss", step.first);
    summary.put("fit_last_loss", step.last);
    log.info("fit: mse %.4f -> %.4f over %d Adam steps; checkpoint %s", step.first, step.last, config.fitSteps(), run.checkpoints().resolve("last"));
  }

  /** One Adam step of the student on a fresh random batch, the teacher's rewards as targets. */
  private final class FitStep implements Step {
    private final RewardDecoder teacher, student;
    private final FusedAdam adam;
    double first = Double.NaN, last = Double.NaN;

    FitStep(RewardDecoder teacher, RewardDecoder student, FusedAdam adam) {
      this.teacher = teacher;
      this.student = student;
      this.adam = adam;
    }

    @Override
    public Map<String, Double> run(Rng rng) {
      manual_seed(rng.nextLong());  // this step's inputs
      Tensor t = targets(), z = latents();
      Tensor target;
      try (NoGradGuard guard = new NoGradGuard()) {
        target = teacher.forward(t, z, null);
      }
      adam.zeroGrad();
      Tape tape = new Tape();
      Tensor loss = mse_loss(student.forward(t, z, tape), target);
      tape.backward(loss);
      adam.step();
      last = loss.item_double();
      if (Double.isNaN(first)) first = last;
      return Map.of("loss", last);
    }

    @Override
    public FusedAdam optimizer() {
      return adam;
    }

    @Override
    public void save(Path dir, long step) throws IOException {
      Weights.save(student, dir.resolve("decoder.safetensors"), Map.of("producer", "steer4j"));
    }

    @Override
    public void load(Path dir) {
      Weights.load(student, dir.resolve("decoder.safetensors"));
    }
  }

  private static void copyParameters(RewardDecoder from, RewardDecoder to) {
    try (NoGradGuard guard = new NoGradGuard()) {
      Map<String, Tensor> src = Weights.parameters(from);
      Weights.parameters(to).forEach((name, p) -> p.copy_(src.get(name)));
    }
  }

  /** ||a - b|| / ||b|| in double. */
  static double normRelativeError(Tensor a, Tensor b) {
    Tensor x = a.to(ScalarType.Double), y = b.to(ScalarType.Double);
    double denominator = y.norm().item_double();
    return x.sub(y).norm().item_double() / Math.max(denominator, 1e-30);
  }

}
