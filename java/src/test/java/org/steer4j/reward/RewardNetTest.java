package org.steer4j.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.steer4j.config.Configs;
import org.steer4j.config.SamplerConfig;
import org.steer4j.data.Batch;
import org.steer4j.data.LabelUsers;
import org.steer4j.data.PairsDataset;
import org.steer4j.runtime.Rng;
import org.steer4j.data.Split;
import org.steer4j.data.SyntheticWorld;
import org.steer4j.data.TaskSampler;
import org.steer4j.kernels.Tape;
import org.steer4j.nn.Weights;
import org.steer4j.runtime.Native;

/** NP-BTL is a function of the context as a set, handles C = 0, and its fast path is exact. */
class RewardNetTest {
  static PairsDataset data;

  @BeforeAll
  static void init() {
    Native.init(2);
    data = SyntheticWorld.generate(1000, 1);
  }

  static RewardNet net(String... overrides) {
    torch.manual_seed(3);
    RewardModelConfig c = Configs.defaults(RewardModelConfig.class, List.of(overrides));
    return new RewardNet(1, c, new TensorOptions(ScalarType.Float), false);
  }

  static Batch batch(int contexts) {
    TaskSampler s = new TaskSampler(data, new LabelUsers(data, List.of()), Split.TRAIN, new SamplerConfig(6, 12, 0, 11, SamplerConfig.ContextMode.SUBSET));
    return s.sample(new Rng(11), contexts, 6);
  }

  static double maxAbs(Tensor a, Tensor b) {
    return a.sub(b).abs().max().item_double();
  }

  @ParameterizedTest
  @ValueSource(strings = {"self_attention", "mean", "sum"})
  void latentIsInvariantToTheOrderOfTheContextPairs(String aggregator) {
    RewardNet net = net("aggregator=" + aggregator, "context_encoder=mlp");
    net.eval();  // attention dropout off
    Batch b = batch(7);
    Tensor permutation = torch.tensor(new long[] {3, 0, 6, 1, 5, 2, 4});
    try (NoGradGuard guard = new NoGradGuard()) {
      Tensor z = net.latent(b.context(), b.contextChoices());
      Tensor zp = net.latent(b.context().index_select(1, permutation), b.contextChoices().index_select(1, permutation));
      // float32 sums over 7 pairs in another order: ~1e-7 relative
      assertTrue(maxAbs(z, zp) < 1e-5 * (1 + z.abs().max().item_double()), aggregator + ": " + maxAbs(z, zp));
      Tensor other = net.latent(b.context().narrow(1, 0, 3), b.contextChoices().narrow(1, 0, 3));
      assertTrue(maxAbs(z, other) > 1e-4, "a different context must change z");
    }
  }

  @Test
  void emptyContextGivesTheLearnedPriorLatentAndTrains() {
    RewardNet net = net();
    Batch b = batch(0);
    try (NoGradGuard guard = new NoGradGuard()) {
      net.eval();
      Tensor z = net.latent(b.context(), b.contextChoices());
      assertArrayEquals(new long[] {6, 256}, z.sizes().vec().get());
      assertTrue(torch.isfinite(z).all().item_long() == 1);
      // Same input row for every task; BLAS micro-kernels may round edge rows differently.
      assertTrue(maxAbs(z.select(0, 0), z.select(0, 5)) < 1e-6, "every task gets the same prior latent");
    }
    net.train(true);
    Tape tape = new Tape();
    var out = net.forward(b, tape);
    tape.backward(RewardLoss.of(out, b.choices(), 0).loss());
    assertTrue(torch.isfinite(out.logp()).all().item_long() == 1);
  }

  @Test
  void fusedAndEagerDecodersGiveTheSameLossAndGradients() {
    RewardNet fused = net("fused_decoder=true"), eager = net("fused_decoder=false");
    try (NoGradGuard guard = new NoGradGuard()) {
      var src = Weights.state(fused);
      Weights.state(eager).forEach((k, v) -> v.copy_(src.get(k)));
    }
    Batch b = batch(5);
    torch.manual_seed(1);
    Tape tape = new Tape();
    var lf = RewardLoss.of(fused.forward(b, tape), b.choices(), 0).loss();
    tape.backward(lf);
    torch.manual_seed(1);  // same attention dropout
    Tape none = new Tape();
    var le = RewardLoss.of(eager.forward(b, none), b.choices(), 0).loss();
    none.backward(le);
    assertTrue(Math.abs(lf.item_double() - le.item_double()) < 1e-5, lf.item_double() + " vs " + le.item_double());
    var gf = fused.named_parameters();
    var ge = eager.named_parameters();
    double largest = 0;
    for (long i = 0; i < ge.size(); ++i) largest = Math.max(largest, ge.get(i).value().grad().norm().item_double());
    for (long i = 0; i < gf.size(); ++i) {
      Tensor a = gf.get(i).value().grad(), e = ge.get(i).value().grad();
      // Relative to the gradient's norm, floored at 1 % of the largest gradient norm: batch
      // norm makes the gradient of the target encoder's output bias a sum that is exactly zero
      // in exact arithmetic, leaving only float32 rounding in both implementations.
      double rel = a.sub(e).norm().item_double() / Math.max(e.norm().item_double(), 1e-2 * largest);
      assertTrue(rel < 1e-4, gf.get(i).key().getString() + ": relative gradient error " + rel);
    }
  }

  @Test
  void stochasticLatentTrainsWithAKlTerm() {
    RewardNet net = net("latent=stochastic", "latent_samples=3", "beta_kl=0.5");
    net.train(true);
    Batch b = batch(4);
    Tape tape = new Tape();
    var out = net.forward(b, tape);
    assertArrayEquals(new long[] {3, 6, 12, 2}, out.logp().sizes().vec().get());
    assertTrue(out.kl().item_double() >= 0);
    tape.backward(RewardLoss.of(out, b.choices(), 0.5).loss());
  }
}
