package org.steer4j.kernels;

import static org.bytedeco.pytorch.global.torch.arange;
import static org.bytedeco.pytorch.global.torch.zeros_like;

import java.util.Arrays;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Labels and mask that make {@link LogProbOp} score exactly the response tokens of (prompt,
 * response) sequences in a right-padded batch: not the prompt, not the padding (the fixed
 * semantics of docs/method.md section 6).
 *
 * <p>Row n of {@code inputIds [N, T]} holds {@code promptLengths[n]} prompt tokens, then the
 * response, {@code sequenceLengths[n]} tokens in all, then padding up to T. A causal LM's logits
 * at position t predict token t + 1, so
 *
 * <pre>
 * labels[n, t] = inputIds[n, t + 1]                       (t &lt; T - 1; 0 at t = T - 1)
 * mask[n, t]   = 1 if promptLengths[n] &lt;= t + 1 &lt; sequenceLengths[n], else 0
 * </pre>
 *
 * <p>Both keep the logits' full length T, the last position never scored, rather than T - 1:
 * the usual {@code logits[:, :-1]} is not contiguous in a batch, and the kernel would need an
 * {@code [N, T - 1, V]} copy of it (1.2 GB at a 152k vocabulary). Pass the model's logits as
 * they are.
 */
public record ResponseLabels(Tensor labels, Tensor mask) {

  /**
   * Shifted labels (int64) and the response mask (float32), on the device of {@code inputIds}.
   * Requires {@code 1 <= promptLengths[n] <= sequenceLengths[n] <= T}: the first token of a
   * sequence has no prediction, so a prompt has at least one token.
   */
  public static ResponseLabels of(Tensor inputIds, long[] promptLengths, long[] sequenceLengths) {
    final String op = "ResponseLabels";
    if (inputIds.dim() != 2) {
      throw new IllegalArgumentException(op + ": inputIds must be [N, T], got dim " + inputIds.dim());
    }
    final long n = inputIds.size(0), t = inputIds.size(1);
    if (promptLengths.length != n || sequenceLengths.length != n) {
      throw new IllegalArgumentException(
          op + ": " + n + " sequences but " + promptLengths.length + " prompt lengths and "
              + sequenceLengths.length + " sequence lengths");
    }
    for (int i = 0; i < n; ++i) {
      if (promptLengths[i] < 1 || promptLengths[i] > sequenceLengths[i] || sequenceLengths[i] > t) {
        throw new IllegalArgumentException(
            op + ": sequence " + i + " has prompt length " + promptLengths[i] + " and length "
                + sequenceLengths[i] + "; need 1 <= prompt <= length <= T = " + t);
      }
    }
    Tensor ids = inputIds.to(ScalarType.Long);
    Tensor labels = zeros_like(ids);
    if (t > 1) labels.narrow(1, 0, t - 1).copy_(ids.narrow(1, 1, t - 1));

    TensorOptions longs = ids.options();
    // next[t] = t + 1: the index of the token that position t predicts.
    Tensor next = arange(new Scalar(1), new Scalar(t + 1), longs).unsqueeze(0);
    Tensor prompt = lengths(promptLengths).to(ids.device(), ScalarType.Long).unsqueeze(1);
    Tensor end = lengths(sequenceLengths).to(ids.device(), ScalarType.Long).unsqueeze(1);
    Tensor mask = next.ge(prompt).logical_and(next.lt(end)).to(ScalarType.Float);
    return new ResponseLabels(labels, mask);
  }

  private static Tensor lengths(long[] values) {
    return torch.tensor(Arrays.copyOf(values, values.length));
  }
}
