package org.steer4j.reward;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.config.Configs;
import org.steer4j.config.RuntimeConfig.Precision;
import org.steer4j.nn.Weights;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Provenance;
import org.steer4j.train.Checkpoints;

/**
 * The one place reward networks are assembled, for training (the recipes) and for serving
 * ({@code api.RewardModel}), so the two cannot drift apart. A saved model is a directory with
 * {@value #WEIGHTS} (parameters and BatchNorm buffers) and {@value #CARD} (its {@link ModelCard}).
 */
public final class RewardNetFactory {
  public static final String WEIGHTS = "model.safetensors", CARD = "model.yaml";

  private RewardNetFactory() {}

  /** A fresh network of {@code config} for options of width {@code inputWidth}, initial weights from the run seed. */
  public static RewardNet create(RewardConfig config, long inputWidth) {
    manual_seed(config.runtime().seed());
    return network(config.model(), inputWidth, config.runtime().dtype() == Precision.BFLOAT16);
  }

  /** The network of an architecture, with LibTorch's default initialisation (bf16: the wide input layers in bfloat16). */
  public static RewardNet network(RewardModelConfig model, long inputWidth, boolean bf16) {
    return new RewardNet(inputWidth, model, new TensorOptions(ScalarType.Float), bf16);
  }

  /**
   * The checkpoint directory of {@code dir}: itself when it holds {@value #CARD}, else a model
   * run directory's {@code checkpoints/best}.
   *
   * @throws IllegalArgumentException when neither holds a reward model
   */
  public static Path checkpoint(Path dir) {
    Path checkpoint = Files.exists(dir.resolve(CARD)) ? dir : dir.resolve("checkpoints").resolve("best");
    if (!Files.exists(checkpoint.resolve(CARD))) {
      throw new IllegalArgumentException(dir + ": no " + CARD + " here or in checkpoints/best (not a steer4j reward model)");
    }
    return checkpoint;
  }

  /** The card of a saved model (one saved by steer4j 0.1, without a provenance record, too). */
  public static ModelCard card(Path checkpoint) {
    return Configs.loadUpgraded(ModelCard.class, checkpoint.resolve(CARD), tree -> Provenance.upgradeLegacyCard(tree, "reward_experiment", Map.of()));
  }

  /** Loads a saved model (from {@link #checkpoint}) in evaluation mode. */
  public static RewardNet load(Path checkpoint, boolean bf16) {
    Checkpoints.verify(checkpoint);
    Native.ensureInit();
    RewardNet net = network(card(checkpoint).model(), card(checkpoint).inputWidth(), bf16);
    Weights.load(net, checkpoint.resolve(WEIGHTS));
    net.eval();
    return net;
  }

  /** Saves weights and card into {@code dir}. */
  public static void save(Path dir, RewardNet net, ModelCard card) throws IOException {
    Weights.save(net, dir.resolve(WEIGHTS), Map.of("format", "pt", "producer", "steer4j"));
    AtomicFiles.writeString(dir.resolve(CARD), Configs.toYaml(card));
  }
}
