package org.steer4j.train;

import static org.bytedeco.pytorch.global.torch.isfinite;
import static org.bytedeco.pytorch.global.torch.zeros_like;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.dist.Distributed;
import org.steer4j.io.SafeTensors;
import org.steer4j.io.SafeTensorsException;
import org.steer4j.kernels.AdamStep;

/**
 * Adam / AdamW (torch.optim semantics, amsgrad off) over named parameters, each updated by the
 * fused native step ({@link AdamStep}): one pass per parameter instead of the eager update's
 * seven with their temporaries. Its state (moments and step count) saves to and loads from
 * safetensors, beside the model's weights.
 *
 * <p>Data parallel: with a {@link #reduceGradients distributed} job, {@link #step} first sums
 * every gradient over the ranks (one bucketed all-reduce), so every rank makes the same update.
 * The ranks' losses are weighted so that the sum is the gradient of the global batch's loss (see
 * {@code reward.RewardStep}); a parameter no rank gave a gradient stays without one.
 */
public final class FusedAdam {
  private final Map<String, Tensor> params;
  private final Map<String, Tensor> expAvg = new LinkedHashMap<>(), expAvgSq = new LinkedHashMap<>();
  private AdamStep.Settings settings;
  private long steps;
  private Distributed distributed = Distributed.single();

  /** Optimises the parameters of {@code params} that require grad. */
  public FusedAdam(Map<String, Tensor> params, AdamStep.Settings settings) {
    this.params = new LinkedHashMap<>();
    params.forEach((name, p) -> {
      if (p.requires_grad()) this.params.put(name, p);
    });
    this.settings = settings;
    try (NoGradGuard guard = new NoGradGuard()) {
      for (var e : this.params.entrySet()) {
        if (!e.getValue().is_contiguous()) throw new IllegalArgumentException("parameter '" + e.getKey() + "' is not contiguous");
        expAvg.put(e.getKey(), zeros_like(e.getValue()));
        expAvgSq.put(e.getKey(), zeros_like(e.getValue()));
      }
    }
  }

  /** Drops every gradient (as {@code zero_grad(set_to_none=True)}). */
  public void zeroGrad() {
    for (Tensor p : params.values()) {
      if (p.grad().defined()) p.mutable_grad().put(new Tensor());
    }
  }

  /** Sums the gradients over the ranks of {@code distributed} before every {@link #step}. */
  public FusedAdam reduceGradients(Distributed distributed) {
    this.distributed = distributed;
    return this;
  }

  /**
   * Sums each gradient over the ranks (a rank without one contributes zeros), in place; the
   * parameters no rank gave a gradient keep none, as torch skips them. Every rank must call it
   * with the same parameters: one all-reduce of the gradients and one flag per parameter.
   */
  private void allReduceGradients() {
    try (NoGradGuard guard = new NoGradGuard()) {
      List<Tensor> grads = new ArrayList<>();
      float[] defined = new float[params.size()];
      int i = 0;
      for (Tensor p : params.values()) {
        Tensor g = p.grad();
        defined[i++] = g.defined() ? 1 : 0;
        if (!g.defined()) {
          g = zeros_like(p);
          p.mutable_grad().put(g);
        }
        grads.add(g);
      }
      Tensor flags = org.bytedeco.pytorch.global.torch.tensor(defined);
      grads.add(flags);
      distributed.allReduce(grads, Distributed.Reduction.SUM);
      float[] any = new float[defined.length];
      flags.data_ptr_float().get(any);
      i = 0;
      for (Tensor p : params.values()) {
        if (any[i++] == 0) p.mutable_grad().put(new Tensor());
      }
    }
  }

  /**
   * Copies rank 0's moments and step count to every rank (data-parallel ranks start from rank
   * 0's state: it alone reads checkpoints).
   */
  public void broadcastState(Distributed d) {
    if (d.worldSize() == 1) return;
    List<Tensor> state = new ArrayList<>(expAvg.values());
    state.addAll(expAvgSq.values());
    d.broadcast(state, 0);
    Tensor count = org.bytedeco.pytorch.global.torch.tensor(new long[] {steps});
    d.broadcast(List.of(count), 0);
    steps = count.item_long();
  }

  /**
   * One update of every parameter that has a gradient (summed over the ranks first when data
   * parallel).
   *
   * @throws NonFiniteException naming the first parameter with a NaN or infinite gradient; no
   *     parameter is updated then (on every rank: the check follows the all-reduce)
   */
  public void step() {
    if (distributed.worldSize() > 1) allReduceGradients();
    for (var e : params.entrySet()) {
      Tensor g = e.getValue().grad();
      if (g.defined() && isfinite(g).all().item_int() == 0) throw new NonFiniteException("non-finite gradient of '" + e.getKey() + "'");
    }
    ++steps;
    for (var e : params.entrySet()) {
      Tensor g = e.getValue().grad();
      if (!g.defined()) continue;  // unused this step, as torch skips it
      AdamStep.apply(e.getValue(), g.contiguous(), expAvg.get(e.getKey()), expAvgSq.get(e.getKey()), settings, steps);
    }
  }

  /** Adam or AdamW as a recipe's train config sets it (betas 0.9, 0.999). */
  public static FusedAdam of(Map<String, Tensor> params, org.steer4j.config.TrainConfig t) {
    boolean adamw = t.optimizer() == org.steer4j.config.TrainConfig.Optimizer.ADAMW;
    return new FusedAdam(params, new AdamStep.Settings(t.lr(), 0.9, 0.999, t.eps(), t.weightDecay(), adamw));
  }

  /** Sets the learning rate of the next steps (schedules such as warmup). */
  public void setLearningRate(double lr) {
    settings = new AdamStep.Settings(lr, settings.beta1(), settings.beta2(), settings.eps(), settings.weightDecay(), settings.decoupled());
  }

  public long steps() {
    return steps;
  }

  public AdamStep.Settings settings() {
    return settings;
  }

  /** Moments as {@code exp_avg.<name>} / {@code exp_avg_sq.<name>}, the step count in the metadata. */
  public void save(Path file) throws IOException {
    Map<String, Tensor> state = new LinkedHashMap<>();
    expAvg.forEach((k, v) -> state.put("exp_avg." + k, v));
    expAvgSq.forEach((k, v) -> state.put("exp_avg_sq." + k, v));
    SafeTensors.write(file, state, Map.of("steps", Long.toString(steps), "optimizer", settings.decoupled() ? "adamw" : "adam"));
  }

  public void load(Path file) {
    try (SafeTensors st = SafeTensors.open(file); NoGradGuard guard = new NoGradGuard()) {
      for (String name : params.keySet()) {
        for (var kind : Map.of("exp_avg.", expAvg, "exp_avg_sq.", expAvgSq).entrySet()) {
          String key = kind.getKey() + name;
          if (!st.contains(key)) throw new SafeTensorsException(file + ": no optimizer state '" + key + "'");
          kind.getValue().get(name).copy_(st.tensor(key));
        }
      }
      steps = Long.parseLong(st.metadata().getOrDefault("steps", "0"));
    }
  }
}
