package org.steer4j.data;

import static org.bytedeco.pytorch.global.torch.from_blob;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.config.SamplerConfig;
import org.steer4j.config.SamplerConfig.ContextMode;
import org.steer4j.runtime.Rng;

/**
 * Draws batches of tasks as the reference does (docs/method.md section 1): each task a user (label
 * drawn uniformly, or a mixture) and T distinct rows of the split on which that user has a
 * preference; C drawn once per batch; the C context pairs either a random subset of the targets
 * shared by the batch (positions, as the reference) or C further rows of the same user.
 *
 * <p>Features are gathered with one {@code index_select} from a [N, 2, D] copy of the dataset
 * made once.
 */
public final class TaskSampler {
  private final Users users;
  private final Split split;
  private final SamplerConfig config;
  private final Tensor pairs;  // [N, 2, D]
  private Tensor targetBuffer;  // reused [B, T, 2, D] gather target, see reuseTargetBuffer

  public TaskSampler(PairsDataset data, Users users, Split split, SamplerConfig config) {
    this(data.stacked(), users, split, config);
  }

  /** Shares an already stacked [N, 2, D] feature tensor (e.g. between train and val samplers). */
  public TaskSampler(Tensor pairs, Users users, Split split, SamplerConfig config) {
    this.users = users;
    this.split = split;
    this.config = config;
    this.pairs = pairs;
  }

  public Tensor pairs() {
    return pairs;
  }

  /**
   * Gathers every training batch's target features into one buffer allocated now, instead of a
   * fresh tensor per batch. A fresh [64, 20, 2, 4096] float batch (42 MB, over glibc's 32 MiB
   * mmap ceiling) costs a page fault and a zero fill per 4 KiB page on every step: 12 ms of a
   * ~100 ms step, against 1 ms for the copy itself. The price: a batch's targets are overwritten
   * by the next {@link #sample} call, so only a caller that finishes with each batch before
   * drawing the next (the training loop) may turn this on.
   */
  public TaskSampler reuseTargetBuffer() {
    targetBuffer = org.steer4j.runtime.Tensors.empty(pairs.options(), (long) config.batchSize() * config.targets(), 2, pairs.size(2));
    return this;
  }

  public SamplerConfig config() {
    return config;
  }

  /** A batch with C ~ Uniform{min..max}. */
  public Batch sample(Rng rng) {
    return sample(rng, rng.nextInt(config.minContext(), config.maxContext()), config.batchSize());
  }

  /** A batch of {@code tasks} tasks with exactly {@code contexts} context pairs. */
  public Batch sample(Rng rng, int contexts, int tasks) {
    int t = config.targets();
    boolean subset = config.context() == ContextMode.SUBSET;
    if (subset && contexts > t) throw new IllegalArgumentException("C = " + contexts + " exceeds T = " + t);
    User[] who = new User[tasks];
    int[][] rows = new int[tasks][];
    int[][] contextRows = new int[tasks][];
    long[] targetIndex = new long[tasks * t];
    long[] choice = new long[tasks * t];
    for (int b = 0; b < tasks; ++b) {
      who[b] = users.draw(rng);
      int[] eligible = users.rows(split, who[b]);
      int need = subset ? t : t + contexts;
      if (eligible.length < need) {
        throw new DatasetException(split.key() + " split has " + eligible.length + " usable pairs for user "
            + who[b].name() + ", a task needs " + need);
      }
      int[] drawn = rng.sample(eligible, need);
      rows[b] = java.util.Arrays.copyOf(drawn, t);
      contextRows[b] = subset ? null : java.util.Arrays.copyOfRange(drawn, t, need);
      for (int j = 0; j < t; ++j) {
        targetIndex[b * t + j] = rows[b][j];
        choice[b * t + j] = users.choice(who[b], rows[b][j], rng);
      }
    }
    // Drawn after the tasks, so that batches drawn from the same generator state share their
    // users, rows and choices whatever C is (evaluation compares C values on equal targets).
    int[] contextIndex = subset ? rng.sample(t, contexts) : null;
    long d = pairs.size(2);
    Tensor rowsIndex = longs(targetIndex);
    Tensor targets = (targetBuffer != null && targetBuffer.size(0) == rowsIndex.size(0)
        ? org.bytedeco.pytorch.global.torch.index_select_out(targetBuffer, pairs, 0, rowsIndex)
        : pairs.index_select(0, rowsIndex)).view(tasks, t, 2, d);
    Tensor choices = longs(choice).view(tasks, t);
    Tensor context = null, contextChoices = null;  // a subset is read in place (Batch.contextRows)
    if (!subset) {
      long[] index = new long[tasks * contexts];
      long[] cc = new long[tasks * contexts];
      for (int b = 0; b < tasks; ++b) {
        for (int c = 0; c < contexts; ++c) {
          index[b * contexts + c] = contextRows[b][c];
          cc[b * contexts + c] = users.choice(who[b], contextRows[b][c], rng);
        }
      }
      context = gather(index).view(tasks, contexts, 2, d);
      contextChoices = longs(cc).view(tasks, contexts);
    }
    return new Batch(targets, choices, context, contextChoices, contextIndex, who, rows);
  }

  private Tensor gather(long[] rows) {
    return pairs.index_select(0, longs(rows));
  }

  static Tensor longs(long[] values) {
    if (values.length == 0) return org.steer4j.runtime.Tensors.empty(new TensorOptions(ScalarType.Long), 0);
    try (LongPointer p = new LongPointer(values)) {
      return from_blob(p, new long[] {values.length}, new TensorOptions(ScalarType.Long)).clone();
    }
  }
}
