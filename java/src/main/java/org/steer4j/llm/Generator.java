package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.tensor;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Greedy decoding of right-padded prompts, with or without a KV cache. With a cache the prompt
 * is run once and each step feeds one token per sequence; without, every step re-runs the whole
 * (re-padded) sequences. Both must choose the same tokens, which is how the cache is tested.
 */
public final class Generator {
  private Generator() {}

  /** {@code maxNewTokens} greedy tokens per sequence, [N][maxNewTokens] (no early stop at EOS). */
  public static long[][] greedy(DecoderLm model, Tensor ids, Tensor mask, int maxNewTokens, ForwardOptions options, boolean useCache) {
    if (options.cache() != null) throw new IllegalArgumentException("pass useCache rather than a cache in the options");
    int n = (int) ids.size(0);
    long[][] prompts = rows(ids, mask);
    long[][] out = new long[n][maxNewTokens];
    try (NoGradGuard guard = new NoGradGuard()) {
      if (useCache) {
        KvCache cache = model.newCache(n, (int) ids.size(1) + maxNewTokens);
        ForwardOptions cached = options.withCache(cache);
        long[] next;
        try (PointerScope scope = new PointerScope()) {
          next = argmaxAtLast(model.logits(ids, mask, cached), lengths(prompts));
        }
        for (int step = 0; step < maxNewTokens; ++step) {
          for (int i = 0; i < n; ++i) out[i][step] = next[i];
          if (step + 1 == maxNewTokens) break;
          try (PointerScope scope = new PointerScope()) {
            Tensor column = tensor(next).view(n, 1).to(model.device(), ScalarType.Long);
            next = argmaxAtLast(model.logits(column, null, cached), new long[n]);
          }
        }
      } else {
        List<List<Long>> seqs = new ArrayList<>();
        for (long[] p : prompts) {
          List<Long> s = new ArrayList<>();
          for (long t : p) s.add(t);
          seqs.add(s);
        }
        for (int step = 0; step < maxNewTokens; ++step) {
          try (PointerScope scope = new PointerScope()) {
            Batch b = pad(seqs);
            long[] next = argmaxAtLast(model.logits(b.ids().to(model.device(), ScalarType.Long), b.mask().to(model.device(), ScalarType.Long), options), b.lengths());
            for (int i = 0; i < n; ++i) {
              out[i][step] = next[i];
              seqs.get(i).add(next[i]);
            }
          }
        }
      }
    }
    return out;
  }

  /** A right-padded batch (pad id 0) of token sequences. */
  public record Batch(Tensor ids, Tensor mask, long[] lengths) {}

  public static Batch pad(List<List<Long>> seqs) {
    int n = seqs.size(), width = 1;
    for (List<Long> s : seqs) width = Math.max(width, s.size());
    long[] ids = new long[n * width], mask = new long[n * width], lengths = new long[n];
    for (int i = 0; i < n; ++i) {
      List<Long> s = seqs.get(i);
      lengths[i] = s.size();
      for (int j = 0; j < s.size(); ++j) {
        ids[i * width + j] = s.get(j);
        mask[i * width + j] = 1;
      }
    }
    return new Batch(tensor(ids).view(n, width), tensor(mask).view(n, width), lengths);
  }

  /** Argmax of logits [N, S, V] at position {@code lengths[i] - 1} of each row (the last one when 0). */
  private static long[] argmaxAtLast(Tensor logits, long[] lengths) {
    int n = (int) logits.size(0);
    long s = logits.size(1);
    long[] index = new long[n];
    for (int i = 0; i < n; ++i) index[i] = lengths[i] == 0 ? s - 1 : lengths[i] - 1;
    Tensor at = tensor(index).to(logits.device(), ScalarType.Long).view(n, 1, 1).expand(n, 1, logits.size(2));
    Tensor last = logits.gather(1, at).squeeze(1);
    long[] out = new long[n];
    last.argmax(new LongOptional(1), false).cpu().contiguous().data_ptr_long().get(out);
    return out;
  }

  private static long[][] rows(Tensor ids, Tensor mask) {
    int n = (int) ids.size(0), s = (int) ids.size(1);
    long[] flat = new long[n * s], m = new long[n * s];
    ids.to(ScalarType.Long).cpu().contiguous().data_ptr_long().get(flat);
    if (mask != null) mask.to(ScalarType.Long).cpu().contiguous().data_ptr_long().get(m);
    else java.util.Arrays.fill(m, 1);
    long[][] out = new long[n][];
    for (int i = 0; i < n; ++i) {
      int len = 0;
      while (len < s && m[i * s + len] != 0) ++len;
      out[i] = java.util.Arrays.copyOfRange(flat, i * s, i * s + len);
    }
    return out;
  }

  private static long[] lengths(long[][] rows) {
    long[] l = new long[rows.length];
    for (int i = 0; i < rows.length; ++i) l[i] = rows[i].length;
    return l;
  }
}
