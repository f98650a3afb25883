import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.steer4j.config.Configs;
import org.steer4j.dist.Distributed;
import org.steer4j.nn.Weights;
import org.steer4j.reward.RewardConfig;
import org.steer4j.reward.RewardNetFactory;
import org.steer4j.runtime.Native;

/**
 * The all-reduce of one NP-BTL step's gradients alone (no waiting for a slower rank): rank 0
 * prints the median over 50 of Distributed.allReduce on tensors shaped like the model's parameters.
 *   AllReduce.java synthetic|uf   (as every rank of a job: WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT)
 */
public class AllReduce {
  public static void main(String[] args) {
    Native.init(1);
    boolean uf = args[0].equals("uf");
    RewardConfig c = Configs.defaults(RewardConfig.class, List.of("model.type=np_btl", "model.context_encoder=" + (uf ? "linear" : "mlp")));
    List<Tensor> grads = new ArrayList<>();
    long bytes = 0;
    for (Tensor p : Weights.parameters(RewardNetFactory.create(c, uf ? 4096 : 1)).values()) {
      grads.add(torch.ones_like(p));
      bytes += p.numel() * 4;
    }
    Distributed d = Distributed.fromEnvironment();
    double[] ms = new double[50];
    for (int i = -5; i < ms.length; ++i) {
      d.barrier();
      long t0 = System.nanoTime();
      d.allReduce(grads, Distributed.Reduction.SUM);
      if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    if (d.isMain()) System.out.printf("%-10s all-reduce of %d tensors, %.1f MB: median %.2f ms (min %.2f)%n", args[0], grads.size(), bytes / 1e6, ms[25], ms[0]);
    d.close();
  }
}
