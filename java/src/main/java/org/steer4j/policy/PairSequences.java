package org.steer4j.policy;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.steer4j.runtime.Fingerprint;

/**
 * The token ids of every preference pair of a dataset, row for row with its {@link
 * org.steer4j.data.PairsDataset}: one prompt, and the two options' responses (terminator
 * included). Tokenized once; batches of (row, option) sequences are cut from here.
 */
public final class PairSequences {
  private final long[][] prompts;
  private final long[][][] responses;  // [row][option]

  public PairSequences(List<long[]> prompts, List<long[]> responsesA, List<long[]> responsesB) {
    int n = prompts.size();
    if (responsesA.size() != n || responsesB.size() != n) {
      throw new IllegalArgumentException(n + " prompts but " + responsesA.size() + " and " + responsesB.size() + " responses");
    }
    this.prompts = new long[n][];
    this.responses = new long[n][2][];
    for (int i = 0; i < n; ++i) {
      if (prompts.get(i).length == 0) throw new IllegalArgumentException("row " + i + ": empty prompt (a log-prob needs a token before the response)");
      if (responsesA.get(i).length == 0 || responsesB.get(i).length == 0) throw new IllegalArgumentException("row " + i + ": empty response");
      this.prompts[i] = prompts.get(i).clone();
      this.responses[i][0] = responsesA.get(i).clone();
      this.responses[i][1] = responsesB.get(i).clone();
    }
  }

  public int rows() {
    return prompts.length;
  }

  public int promptLength(int row) {
    return prompts[row].length;
  }

  public long[] prompt(int row) {
    return prompts[row].clone();
  }

  public long[] response(int row, int option) {
    return responses[row][option].clone();
  }

  /** Prompt then response of option {@code option} (0 = a, 1 = b). */
  public long[] sequence(int row, int option) {
    long[] p = prompts[row], r = responses[row][option];
    long[] s = java.util.Arrays.copyOf(p, p.length + r.length);
    System.arraycopy(r, 0, s, p.length, r.length);
    return s;
  }

  public int length(int row, int option) {
    return prompts[row].length + responses[row][option].length;
  }

  /** The batch of sequences ({@code rows[i]}, {@code options[i]}). */
  public SequenceBatch batch(int[] rows, int[] options, Device device) {
    List<long[]> seqs = new ArrayList<>(rows.length);
    long[] promptLengths = new long[rows.length];
    for (int i = 0; i < rows.length; ++i) {
      seqs.add(sequence(rows[i], options[i]));
      promptLengths[i] = prompts[rows[i]].length;
    }
    return SequenceBatch.of(seqs, promptLengths, device);
  }

  /** Fingerprint of every id of every sequence, and where each response starts. */
  public String fingerprint() {
    Fingerprint f = new Fingerprint().add("pair-sequences").add(rows());
    for (int i = 0; i < rows(); ++i) f.add(prompts[i]).add(responses[i][0]).add(responses[i][1]);
    return f.hex();
  }
}
