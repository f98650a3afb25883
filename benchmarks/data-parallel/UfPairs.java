import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.steer4j.data.PairsDataset;
import org.steer4j.data.Split;
import org.steer4j.runtime.Native;
import org.steer4j.runtime.Rng;

/** A random pairs dataset at the UltraFeedback shape (D = 4096, two labels): only the shapes matter for speed. */
public class UfPairs {
  public static void main(String[] args) throws Exception {
    Native.init(2);
    int n = 4000;
    torch.manual_seed(0);
    TensorOptions f = new TensorOptions(torch.ScalarType.Float);
    Split[] splits = new Split[n];
    for (int i = 0; i < n; ++i) splits[i] = i % 10 == 0 ? Split.VAL : i % 10 == 1 ? Split.TEST : Split.TRAIN;
    byte[][] choices = new byte[2][n];
    Rng rng = new Rng(1);
    for (byte[] col : choices) for (int i = 0; i < n; ++i) col[i] = (byte) rng.nextInt(2);
    PairsDataset.of(torch.randn(new long[] {n, 4096}, f), torch.randn(new long[] {n, 4096}, f), List.of("helpfulness", "honesty"), splits, choices)
        .write(Path.of(args[0]));
  }
}
