package org.steer4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.steer4j.kernels.AdamStep;
import org.steer4j.runtime.Native;

/** The fused optimizer takes the same steps as LibTorch's Adam and AdamW, and resumes exactly. */
class FusedAdamTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(2);
  }

  static Map<String, Tensor> params(long seed) {
    torch.manual_seed(seed);
    Map<String, Tensor> p = new LinkedHashMap<>();
    p.put("w", torch.randn(37, 11).requires_grad_(true));
    p.put("b", torch.randn(11).requires_grad_(true));
    return p;
  }

  /** A loss with gradients that differ step to step. */
  static Tensor loss(Map<String, Tensor> p, int step) {
    torch.manual_seed(100 + step);
    Tensor x = torch.randn(5, 37);
    return torch.tanh(x.matmul(p.get("w")).add(p.get("b"))).pow(new org.bytedeco.pytorch.Scalar(2)).sum();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void matchesLibTorchAdamAndAdamW(boolean decoupled) {
    double lr = 1e-2, eps = 3e-5, wd = 0.05;
    Map<String, Tensor> ours = params(1), theirs = params(1);
    FusedAdam fused = new FusedAdam(ours, new AdamStep.Settings(lr, 0.9, 0.999, eps, wd, decoupled));
    TensorVector list = new TensorVector(theirs.get("w"), theirs.get("b"));
    Optimizer reference;
    if (decoupled) {
      AdamWOptions o = new AdamWOptions(lr);
      o.eps().put(eps);
      o.weight_decay().put(wd);
      reference = new AdamW(list, o);
    } else {
      AdamOptions o = new AdamOptions(lr);
      o.eps().put(eps);
      o.weight_decay().put(wd);
      reference = new Adam(list, o);
    }
    for (int step = 0; step < 6; ++step) {
      fused.zeroGrad();
      loss(ours, step).backward();
      fused.step();
      reference.zero_grad();
      loss(theirs, step).backward();
      reference.step();
    }
    for (String k : ours.keySet()) {
      double diff = ours.get(k).sub(theirs.get(k)).abs().max().item_double();
      // float32, one pass vs seven with different rounding: a few ulps of values ~1
      assertTrue(diff < 1e-6, k + ": max difference " + diff);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true})
  void zeroGradDropsGradientsAndStateRoundTrips(boolean unused) throws Exception {
    Map<String, Tensor> p = params(2);
    FusedAdam a = new FusedAdam(p, new AdamStep.Settings(1e-3, 0.9, 0.999, 1e-8, 0.01, true));
    loss(p, 0).backward();
    assertTrue(p.get("w").grad().defined());
    a.step();
    a.zeroGrad();
    assertFalse(p.get("w").grad().defined(), "zeroGrad sets gradients to none");
    Path file = dir.resolve("opt.safetensors");
    a.save(file);
    Map<String, Tensor> q;
    try (NoGradGuard guard = new NoGradGuard()) {
      q = new LinkedHashMap<>();
      for (var e : p.entrySet()) q.put(e.getKey(), e.getValue().detach().clone().requires_grad_(true));
    }
    FusedAdam b = new FusedAdam(q, a.settings());
    b.load(file);
    assertEquals(1, b.steps());
    for (FusedAdam o : List.of(a, b)) {
      Map<String, Tensor> target = o == a ? p : q;
      o.zeroGrad();
      loss(target, 1).backward();
      o.step();
    }
    for (String k : p.keySet()) assertTrue(p.get(k).equal(q.get(k)), k + " differs after a save/load of the optimizer");
  }
}
