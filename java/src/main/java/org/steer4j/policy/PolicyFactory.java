package org.steer4j.policy;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.steer4j.config.Configs;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.TextTokenizer;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Provenance;
import org.steer4j.train.Checkpoints;
import java.util.Map;

/**
 * The one place policies are assembled, for training (the policy recipe) and for serving
 * ({@code api.PolicyModel}): a fresh policy on a base model, or a saved one (its {@link
 * PolicyCard}, its base model, tokenizer and chat format) from a checkpoint directory.
 */
public final class PolicyFactory {
  private PolicyFactory() {}

  /** A saved policy with what it needs to read and write text. */
  public record Loaded(Policy policy, PolicyCard card, ChatEncoder chat, TextTokenizer tokenizer) {}

  /** A fresh policy of {@code config} on {@code base}, initial weights from the run seed. */
  public static Policy create(PolicyConfig config, DecoderLm base, long contextWidth) {
    manual_seed(config.runtime().seed());
    return Policy.create(base, config.policy(), contextWidth);
  }

  /**
   * The checkpoint directory of {@code dir}: itself when it holds {@value PolicyCard#FILE}, else
   * a policy run directory's {@code checkpoints/best}.
   *
   * @throws IllegalArgumentException when neither holds a policy
   */
  public static Path checkpoint(Path dir) {
    Path checkpoint = Files.exists(dir.resolve(PolicyCard.FILE)) ? dir : dir.resolve("checkpoints").resolve("best");
    if (!Files.exists(checkpoint.resolve(PolicyCard.FILE))) {
      throw new IllegalArgumentException(dir + ": no " + PolicyCard.FILE + " here or in checkpoints/best (not a steer4j policy)");
    }
    return checkpoint;
  }

  /**
   * Loads a saved policy in evaluation mode onto {@code device} ("cpu", "cuda:0"), on the base
   * checkpoint {@code base} (null: the one its card records).
   */
  public static Loaded load(Path dir, Path base, String device) {
    Path checkpoint = checkpoint(dir);
    Checkpoints.verify(checkpoint);
    Native.ensureInit();
    PolicyCard card = Configs.loadUpgraded(PolicyCard.class, checkpoint.resolve(PolicyCard.FILE),
        tree -> Provenance.upgradeLegacyCard(tree, "policy_experiment", Map.of("base_fingerprint", PolicyCard.BASE_INPUT)));
    Path basePath = base != null ? base : Path.of(card.base().path());
    Path tokenizerPath = base != null || card.base().tokenizer().isBlank() ? basePath : Path.of(card.base().tokenizer());
    DecoderLm lm = DecoderLm.load(basePath, card.base().dtype(), new Device(device));
    TextTokenizer tokenizer = TextTokenizer.load(tokenizerPath);
    ChatEncoder chat = new ChatEncoder(tokenizer, card.base().format().renderer(lm.config(), tokenizer.file()), card.base().systemPrompt(),
        tokenizer.eosId(lm.config()));
    Policy policy = Policy.create(lm, card.policy(), card.contextWidth());
    policy.load(checkpoint);
    policy.train(false);
    return new Loaded(policy, card, chat, tokenizer);
  }

}
