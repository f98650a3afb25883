package org.steer4j.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.steer4j.runtime.Native;

/**
 * Logits and last hidden states of tiny random Llama, Qwen2 and Gemma checkpoints against
 * independent implementations (numpy in float64; Hugging Face transformers when its fixtures are
 * committed), on a right-padded batch. Only real-token positions are compared.
 */
class LogitsOracleTest {
  // float32 against a float64 reference through 2 layers of O(1) activations: ~1e-6 expected,
  // 1e-4 relative to the largest |value| is the bar set for the port.
  private static final double TOLERANCE = 1e-4;

  @BeforeAll
  static void init() {
    Native.init(1);
  }

  static Stream<LlmFixtures.Fixture> fixtures() {
    return LlmFixtures.all().stream();
  }

  @Test
  void everyFamilyHasANumpyFixture() {
    List<String> names = LlmFixtures.all().stream().map(LlmFixtures.Fixture::name).toList();
    for (String family : new String[] {"llm/llama", "llm/qwen2", "llm/gemma"}) assertTrue(names.contains(family), names.toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void logitsAndLastHiddenStatesMatchTheReference(LlmFixtures.Fixture fixture) {
    try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
      DecoderLm model = DecoderLm.load(fixture.dir(), ModelDtype.FLOAT32, new Device("cpu"));
      Tensor ids = fixture.input("input_ids"), mask = fixture.input("attention_mask");
      Tensor hidden = model.hiddenStates(ids, mask, ForwardOptions.DEFAULT);
      Tensor logits = model.head(hidden);
      Tensor expectedLogits = fixture.expected("logits"), expectedHidden = fixture.expected("last_hidden");
      assertArrayEquals(expectedLogits.sizes().vec().get(), logits.sizes().vec().get());
      double logitError = relativeError(logits, expectedLogits, mask);
      double hiddenError = relativeError(hidden, expectedHidden, mask);
      System.out.printf(Locale.ROOT, "oracle %-12s logits max rel error %.2e, last hidden %.2e%n", fixture.name(), logitError, hiddenError);
      assertTrue(logitError < TOLERANCE, fixture + ": logits off by " + logitError);
      assertTrue(hiddenError < TOLERANCE, fixture + ": last hidden states off by " + hiddenError);
    }
  }

  /** max |a - b| / max |b| over the positions where mask is 1. */
  static double relativeError(Tensor actual, Tensor expected, Tensor mask) {
    Tensor keep = mask.to(ScalarType.Bool).unsqueeze(2).expand(expected.sizes().vec().get());
    Tensor a = actual.to(ScalarType.Double).masked_select(keep), b = expected.to(ScalarType.Double).masked_select(keep);
    return a.sub(b).abs().max().item_double() / b.abs().max().item_double();
  }
}
