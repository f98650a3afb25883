package org.steer4j.policy;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.function.LongConsumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.dist.Distributed;
import org.steer4j.io.TensorCache;
import org.steer4j.llm.DecoderLm;
import org.steer4j.runtime.Fingerprint;
import org.steer4j.runtime.Provenance;

/**
 * The reference policy's log-prob of every option of every pair, [rows, 2], computed once and
 * kept on disk: the reference is frozen, so its log-probs are a function of the base weights and
 * the token ids alone, and recomputing them every run (or every step, as a second model in
 * memory would) is waste. The key is a fingerprint of the model (config, dtype and every weight),
 * of the data (every token id and where each response starts) and of the tokenizer file; any
 * change to one of them gives a new key and a recomputation.
 */
public final class ReferenceLogProbCache {
  private static final String KIND = "reference-logps";
  private final TensorCache cache;

  public ReferenceLogProbCache(Path dir) {
    this.cache = new TensorCache(dir);
  }

  /** The cache key of (model, data, tokenizer). {@code tokenizer} may be null (in-memory tests). */
  public static String key(String modelFingerprint, PairSequences data, Path tokenizer) {
    Fingerprint f = new Fingerprint().add(KIND).add(modelFingerprint).add(data.fingerprint());
    if (tokenizer != null) f.addFile(tokenizer);
    return f.hex();
  }

  /** Fingerprint of a model's config, dtype and weights (one pass over them). */
  public static String modelFingerprint(DecoderLm model) {
    return new Fingerprint().add(model.config().toJson().toString()).add(model.dtype().name()).add(model.stateDict()).hex();
  }

  /** The table for {@code key}: read from disk, or computed with {@code model}'s base weights and stored. */
  public float[][] get(String key, DecoderLm model, PairSequences data, int batchSize, DpoConfig.LogProb impl, LongConsumer progress) {
    return get(key, model, data, batchSize, impl, progress, Distributed.single());
  }

  /**
   * The same on every rank of {@code dist} (a collective): the table is read when rank 0 finds it
   * stored, else computed sharded over the ranks ({@link #compute(DecoderLm, PairSequences, int,
   * DpoConfig.LogProb, LongConsumer, Distributed)}) and stored by rank 0 alone. The cache must be
   * on storage every rank sees.
   */
  public float[][] get(String key, DecoderLm model, PairSequences data, int batchSize, DpoConfig.LogProb impl, LongConsumer progress,
      Distributed dist) {
    // Decided once, by rank 0's view, before anyone writes: every rank then reads, or every rank
    // takes part in the sharded computation.
    boolean stored = cache.has(KIND, key);
    if (dist.worldSize() > 1) stored = dist.allGather(new double[] {stored ? 1 : 0})[0][0] == 1;
    Tensor computed = stored ? null : compute(model, data, batchSize, impl, progress, dist);
    Tensor logps;
    if (computed != null && !dist.isMain()) {
      logps = computed;  // rank 0 stores it
    } else {
      logps = cache.get(KIND, key,
          Provenance.of("reference_logps", 0, "reference log-probs [rows, 2] of " + data.rows() + " pairs under " + model.config())
              .withInput("base_weights_tokens_tokenizer", key),
          () -> Map.of("logps", computed != null ? computed : compute(model, data, batchSize, impl, progress))).get("logps");
    }
    if (logps.dim() != 2 || logps.size(0) != data.rows() || logps.size(1) != 2) {
      throw new IllegalStateException(cache.file(KIND, key) + ": holds " + Arrays.toString(logps.sizes().vec().get()) + ", expected [" + data.rows() + ", 2]");
    }
    return table(logps);
  }

  /**
   * Computes the table: sequences sorted by length (little padding), {@code batchSize} per
   * forward, the base model with adapters and FiLM off.
   */
  public static Tensor compute(DecoderLm model, PairSequences data, int batchSize, DpoConfig.LogProb impl, LongConsumer progress) {
    return compute(model, data, batchSize, impl, progress, Distributed.single());
  }

  /**
   * The same sharded over the ranks of {@code dist} (a collective): the batches are those one
   * process forms, rank r runs those with index i % W == r, and the values are all-gathered, so
   * every rank gets one process's table (bit for bit at the same threads per process).
   * {@code progress} counts this rank's sequences.
   */
  public static Tensor compute(DecoderLm model, PairSequences data, int batchSize, DpoConfig.LogProb impl, LongConsumer progress,
      Distributed dist) {
    int n = data.rows();
    Integer[] order = new Integer[2 * n];
    for (int i = 0; i < order.length; ++i) order[i] = i;
    Arrays.sort(order, Comparator.comparingInt((Integer i) -> data.length(i / 2, i % 2)).reversed());
    int batches = (order.length + batchSize - 1) / batchSize;
    long[] done = {0};
    double[][] perBatch = dist.shard(batches, batchSize, b -> {
      int start = b * batchSize, count = Math.min(batchSize, order.length - start);
      int[] rows = new int[count], options = new int[count];
      for (int k = 0; k < count; ++k) {
        rows[k] = order[start + k] / 2;
        options[k] = order[start + k] % 2;
      }
      double[] out = new double[batchSize];  // zero-padded after count
      try (PointerScope scope = new PointerScope()) {
        float[] values = new float[count];
        Policy.referenceLogProbs(model, data.batch(rows, options, model.device()), impl).to(ScalarType.Float).cpu().contiguous().data_ptr_float().get(values);
        for (int k = 0; k < count; ++k) out[k] = values[k];
      }
      done[0] += count;
      if (progress != null) progress.accept(done[0]);
      return out;
    });
    float[] flat = new float[2 * n];  // row-major [rows, 2]
    for (int b = 0; b < batches; ++b) {
      for (int k = 0; k < batchSize && b * batchSize + k < order.length; ++k) {
        int i = order[b * batchSize + k];
        flat[2 * (i / 2) + i % 2] = (float) perBatch[b][k];  // a float carried in a double: exact
      }
    }
    return org.bytedeco.pytorch.global.torch.tensor(flat).view(n, 2);
  }

  /** A [rows, 2] tensor as rows of (option a, option b) log-probs. */
  public static float[][] table(Tensor logps) {
    int n = (int) logps.size(0);
    float[] flat = new float[2 * n];
    logps.to(ScalarType.Float).contiguous().data_ptr_float().get(flat);
    float[][] out = new float[n][2];
    for (int i = 0; i < n; ++i) {
      out[i][0] = flat[2 * i];
      out[i][1] = flat[2 * i + 1];
    }
    return out;
  }

  /** Tables read from disk so far. */
  public int hits() {
    return cache.hits();
  }

  /** Tables computed so far. */
  public int computations() {
    return cache.computations();
  }

  public Path file(String key) {
    return cache.file(KIND, key);
  }
}
