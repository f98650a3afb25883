package org.steer4j.policy;

import static org.bytedeco.pytorch.global.torch.tensor;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.data.Batch;

/**
 * The DPO view of a batch of tasks: for each task's chosen targets, the sequence of the chosen
 * response and of the rejected one (per the task's user), in one padded batch ordered [all
 * chosen ; all rejected] so that one forward scores both; the task each sequence belongs to
 * (which latent conditions it); and the reference log-probs of both sides, read from the
 * precomputed table.
 *
 * @param sequences 2P sequences: chosen of pairs 0..P-1, then rejected of pairs 0..P-1
 * @param tasks task index of each of the 2P sequences, int64 on the device
 * @param referenceChosen reference log-probs [P] (float32, CPU)
 * @param referenceRejected reference log-probs [P]
 * @param pairTasks task of each pair [P]
 */
public record PreferenceBatch(SequenceBatch sequences, Tensor tasks, Tensor referenceChosen, Tensor referenceRejected, int[] pairTasks) {
  public int pairs() {
    return pairTasks.length;
  }

  /**
   * The pairs at target positions {@code targets} of every task of {@code batch}; {@code
   * reference} holds the reference log-probs of every dataset row's two options [rows][2].
   */
  public static PreferenceBatch of(Batch batch, int[] targets, PairSequences data, float[][] reference, Device device) {
    int b = batch.tasks(), t = batch.targetCount(), p = b * targets.length;
    long[] choices = new long[b * t];
    batch.choices().to(ScalarType.Long).contiguous().data_ptr_long().get(choices);
    int[] rows = new int[2 * p], options = new int[2 * p], pairTasks = new int[p];
    long[] tasks = new long[2 * p];
    float[] refChosen = new float[p], refRejected = new float[p];
    int k = 0;
    for (int task = 0; task < b; ++task) {
      for (int target : targets) {
        int row = batch.rows()[task][target];
        int chosen = (int) choices[task * t + target];
        rows[k] = row;
        options[k] = chosen;
        rows[p + k] = row;
        options[p + k] = 1 - chosen;
        tasks[k] = task;
        tasks[p + k] = task;
        pairTasks[k] = task;
        refChosen[k] = reference[row][chosen];
        refRejected[k] = reference[row][1 - chosen];
        ++k;
      }
    }
    return new PreferenceBatch(data.batch(rows, options, device), tensor(tasks).to(device, ScalarType.Long), tensor(refChosen), tensor(refRejected),
        pairTasks);
  }

  /** Every target position of the batch. */
  public static int[] allTargets(Batch batch) {
    return java.util.stream.IntStream.range(0, batch.targetCount()).toArray();
  }

  /** The target positions that are not context pairs. */
  public static int[] unseenTargets(Batch batch) {
    List<Integer> out = new ArrayList<>();
    for (int j = 0; j < batch.targetCount(); ++j) if (!batch.inContext(j)) out.add(j);
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The policy's log-probs split into chosen [P] and rejected [P]. */
  public Tensor[] split(Tensor logps) {
    int p = pairs();
    return new Tensor[] {logps.narrow(0, 0, p), logps.narrow(0, p, p)};
  }
}
