package org.steer4j.policy;

import static org.bytedeco.pytorch.global.torch.tensor;

import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.kernels.ResponseLabels;

/**
 * (prompt, response) token sequences as one right-padded batch: {@code ids [N, L]} (int64; pad
 * id 0, never read), {@code mask [N, L]} (1 = token), and per sequence where its response
 * starts and how long it is, from which {@link #labels()} makes the shifted labels and the
 * response-only mask of its log-prob.
 */
public record SequenceBatch(Tensor ids, Tensor mask, long[] promptLengths, long[] lengths) {
  /** Pads {@code sequences} (each a prompt of {@code promptLengths[i]} tokens, then the response) onto {@code device}. */
  public static SequenceBatch of(List<long[]> sequences, long[] promptLengths, Device device) {
    int n = sequences.size(), width = 1;
    if (promptLengths.length != n) throw new IllegalArgumentException(n + " sequences but " + promptLengths.length + " prompt lengths");
    for (long[] s : sequences) width = Math.max(width, s.length);
    long[] ids = new long[n * width], mask = new long[n * width], lengths = new long[n];
    for (int i = 0; i < n; ++i) {
      long[] s = sequences.get(i);
      lengths[i] = s.length;
      System.arraycopy(s, 0, ids, i * width, s.length);
      java.util.Arrays.fill(mask, i * width, i * width + s.length, 1);
    }
    return new SequenceBatch(tensor(ids).view(n, width).to(device, ScalarType.Long), tensor(mask).view(n, width).to(device, ScalarType.Long),
        promptLengths.clone(), lengths);
  }

  public int size() {
    return lengths.length;
  }

  /** Shifted labels and the mask of the response tokens (prompt and padding excluded). */
  public ResponseLabels labels() {
    return ResponseLabels.of(ids, promptLengths, lengths);
  }
}
