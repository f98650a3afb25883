package org.steer4j.policy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.dist.Distributed;
import org.steer4j.dist.DistributedException;
import org.steer4j.io.SafeTensors;
import org.steer4j.llm.DecoderLm;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Provenance;
import org.steer4j.train.Listeners;
import org.steer4j.train.Loop;

/**
 * One process of {@link DpoDataParallelTest}: trains the tiny NP-DPO policy of {@link
 * PolicyFixtures} ({@code dpo.gradient_accumulation = 2}, LoRA dropout on) as the rank its
 * environment says (a world of one without one), with one thread, and leaves in {@code OUT} its
 * trained tensors ({@code rank<r>.safetensors}), the reference log-probs it computed sharded with the
 * others ({@code reference<r>.safetensors}) and, on rank 0, its metrics and checkpoints.
 *
 * <pre>DpoDataParallelRank OUT STEPS</pre>
 */
public final class DpoDataParallelRank {
  private DpoDataParallelRank() {}

  static PolicyConfig config(int steps) {
    return PolicyFixtures.policyConfig("np_dpo", List.of("train.steps=" + steps, "train.val_every=2", "train.checkpoint_every=2",
        "dpo.gradient_accumulation=2", "runtime.threads=1"));
  }

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    int steps = Integer.parseInt(args[1]);
    Native.init(1);
    Distributed dist = Distributed.fromEnvironment();
    try {
      PolicyConfig c = config(steps);
      Path own = out.resolve("rank" + dist.rank());  // tokenizer and feature cache of this process
      ChatEncoder chat = PolicyFixtures.chat(own.resolve("tokenizer"));
      DecoderLm model = PolicyFixtures.model(5, 0.05);
      PolicyData data = PolicyFixtures.data(c.data(), model, chat, own);
      // sharded: batches of 8 sequences, rank r computing every W-th; kept for the test to compare
      Tensor logps = ReferenceLogProbCache.compute(model, data.sequences(), 8, c.dpo().logprob(), null, dist);
      Files.createDirectories(out);
      SafeTensors.write(out.resolve("reference" + dist.rank() + ".safetensors"), Map.of("logps", logps), Map.of());
      float[][] reference = ReferenceLogProbCache.table(logps);
      PolicyCard card = new PolicyCard(c.policy(), c.base(), data.pairs().width(), PolicyCard.BASE_EOS, data.labels(), c.dpo().beta(),
          Provenance.of("test", c.runtime().seed(), data.description()));
      DpoStep step = new DpoStep(PolicyFactory.create(c, model, data.pairs().width()), c, data, reference, card, dist);
      Loop loop = new Loop(step, Loop.Settings.of(c.train(), steps, c.runtime().seed()), dist.isMain() ? out.resolve("checkpoints") : null)
          .distributed(dist);
      if (dist.isMain()) loop.listen(Listeners.metrics(out.resolve("metrics.jsonl")));
      loop.run();
      Files.createDirectories(out);
      SafeTensors.write(out.resolve("rank" + dist.rank() + ".safetensors"), step.policy().trainableState(), Map.of());
      dist.close();
    } catch (DistributedException e) {
      System.err.println("steer4j: error: " + e.getMessage());
      System.exit(DistributedException.EXIT_CODE);
    }
    System.exit(0);
  }
}
