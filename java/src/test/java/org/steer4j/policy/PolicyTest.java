package org.steer4j.policy;

import static org.bytedeco.pytorch.global.torch.log_softmax;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.bytedeco.pytorch.global.torch.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.policy.DpoConfig.LogProb;
import org.steer4j.nn.PairRows;
import org.steer4j.kernels.Tape;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.ForwardOptions;
import org.steer4j.runtime.Native;

/** The policy's sequence log-probs, its reference, and where it starts. */
class PolicyTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(2);
  }

  static PolicyModelConfig npDpo() {
    return PolicyFixtures.policyConfig("np_dpo", List.of()).policy();
  }

  /** Three sequences of different prompt and response lengths, right-padded to 9. */
  static SequenceBatch batch() {
    return SequenceBatch.of(List.of(new long[] {1, 5, 6, 7, 8, 9, 10, 11, 2}, new long[] {1, 12, 13, 14, 2}, new long[] {1, 20, 2}),
        new long[] {4, 2, 1}, PolicyFixtures.cpu());
  }

  /** sum over response positions of log softmax(logits of the sequence run alone)[next token], in float64. */
  static double byHand(DecoderLm model, long[] sequence, int promptLength) {
    Tensor ids = tensor(sequence).view(1, sequence.length);
    Tensor logp = log_softmax(model.logits(ids, null, ForwardOptions.BASE).to(ScalarType.Double), 2);
    double sum = 0;
    for (int t = promptLength; t < sequence.length; ++t) sum += logp.select(0, 0).select(0, t - 1).select(0, sequence[t]).item_double();
    return sum;
  }

  @Test
  void sequenceLogProbSumsTheResponseTokensOnlyNotPromptOrPadding() {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      DecoderLm model = PolicyFixtures.model(1, 0.2);
      Policy policy = Policy.create(model, npDpo(), 8);
      SequenceBatch b = batch();
      long[][] sequences = {{1, 5, 6, 7, 8, 9, 10, 11, 2}, {1, 12, 13, 14, 2}, {1, 20, 2}};
      int[] prompts = {4, 2, 1};
      for (LogProb impl : LogProb.values()) {
        Tensor reference = policy.referenceLogProbs(b, impl);
        Tensor fresh = policy.logProbs(b, null, impl, null);
        for (int i = 0; i < 3; ++i) {
          double expected = byHand(model, sequences[i], prompts[i]);
          // float32 log-softmax sums of <= 8 tokens against float64: a few 1e-6 relative
          assertEquals(expected, reference.select(0, i).item_double(), 1e-4 * Math.abs(expected), impl + " reference, sequence " + i);
          assertEquals(expected, fresh.select(0, i).item_double(), 1e-4 * Math.abs(expected), impl + " policy, sequence " + i);
        }
      }
      // changing a prompt token changes the context but is never scored itself; padding is never read
      ResponseLabelsCheck.assertMaskExcludesPromptAndPadding(b);
    }
  }

  @Test
  void aFreshPolicyIsItsReferenceWithAnyLatent() {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      DecoderLm model = PolicyFixtures.model(2, 0.2);
      Policy policy = Policy.create(model, npDpo(), 8);
      SequenceBatch b = batch();
      Tensor z = randn(3, 16).mul(new Scalar(3));  // LoRA B = 0 and the identity FiLM ignore z entirely
      Tensor reference = policy.referenceLogProbs(b, LogProb.FUSED);
      Tensor conditioned = policy.logProbs(b, z, LogProb.FUSED, null);
      assertEquals(0.0, conditioned.sub(reference).abs().max().item_double(), 1e-5);
      // and the identity FiLM leaves the logits themselves unchanged
      Tensor plain = model.logits(b.ids(), b.mask(), ForwardOptions.BASE);
      Tensor filmed = model.logits(b.ids(), b.mask(), policy.options(z));
      assertEquals(0.0, filmed.sub(plain).abs().max().item_double(), 1e-6);
    }
  }

  @Test
  void trainingMovesThePolicyButNotItsReference() {
    try (PointerScope scope = new PointerScope()) {
      DecoderLm model = PolicyFixtures.model(3, 0.2);
      Policy policy = Policy.create(model, npDpo(), 8);
      SequenceBatch b = batch();
      Tensor before = policy.referenceLogProbs(b, LogProb.FUSED);
      // one gradient step by hand on everything trainable
      Tensor context = randn(4, 8);
      Tensor z = policy.latent(new PairRows(context, tensor(new long[] {0, 2}), tensor(new long[] {1, 3}), 1, 2));
      Tape tape = new Tape();
      Tensor logp = policy.logProbs(b, z.expand(3, 16), LogProb.FUSED, tape);
      tape.backward(logp.sum());
      try (NoGradGuard guard = new NoGradGuard()) {
        for (Tensor t : policy.trainableState().values()) {
          assertTrue(t.grad().defined(), "every trainable tensor gets a gradient");
          t.add_(t.grad().mul(new Scalar(0.5)));
        }
        assertEquals(0.0, policy.referenceLogProbs(b, LogProb.FUSED).sub(before).abs().max().item_double(), 0.0, "the reference is frozen");
        assertTrue(policy.logProbs(b, z.expand(3, 16).detach(), LogProb.FUSED, null).sub(before).abs().max().item_double() > 1e-3);
      }
    }
  }

  @Test
  void savedWeightsLoadIntoAFreshPolicyAndTheAdapterInPeftLayout() throws Exception {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      Policy trained = Policy.create(PolicyFixtures.model(4, 0.2), npDpo(), 8);
      for (Tensor t : trained.trainableState().values()) t.add_(randn(t.sizes().vec().get()).mul(new Scalar(0.1)));
      trained.save(dir, "tiny");
      Policy loaded = Policy.create(PolicyFixtures.model(4, 0.2), npDpo(), 8);
      loaded.load(dir);
      for (var e : trained.trainableState().entrySet()) assertTrue(e.getValue().equal(loaded.trainableState().get(e.getKey())), e.getKey());
      assertTrue(java.nio.file.Files.exists(dir.resolve("adapter/adapter_model.safetensors")));
    }
  }
}
