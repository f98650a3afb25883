package org.steer4j.policy;

import static org.bytedeco.pytorch.global.torch.softmax;
import static org.bytedeco.pytorch.global.torch.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.runtime.Rng;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.ForwardOptions;
import org.steer4j.llm.KvCache;

/**
 * Batched decoding of responses: greedy, or temperature and top-p sampling, up to a number of new
 * tokens or a stop token, with whatever the forward options carry (LoRA on or off, a FiLM
 * modulation with one row per prompt, i.e. a policy conditioned on each prompt's user).
 *
 * <p>With the KV cache (the default) the prompts run once (right-padded; each sequence's cache
 * advances by its own length) and each step feeds one token per sequence, its attention over
 * the cache by the native decode kernel unless asked otherwise; FiLM applies at every step, since
 * it rides in the options of every forward. Without the cache every step re-encodes each whole
 * prefix: the baseline the cache is tested and benchmarked against. A sequence that has stopped
 * keeps being fed (its outputs are dropped) so the batch advances in lock-step.
 */
public final class SampledGenerator {
  /** One response: its tokens (the stop token excluded), and whether it ended at a stop token. */
  public record Generation(long[] tokens, boolean stopped) {}

  private final DecoderLm model;
  private final boolean kvCache;
  private final boolean nativeAttention;

  /** KV-cached decoding with the native decode attention. */
  public SampledGenerator(DecoderLm model) {
    this(model, true, true);
  }

  public SampledGenerator(DecoderLm model, boolean kvCache, boolean nativeAttention) {
    this.model = model;
    this.kvCache = kvCache;
    this.nativeAttention = nativeAttention;
  }

  /** Responses to {@code prompts} (token ids, at least one each) under {@code options}. */
  public List<Generation> generate(List<long[]> prompts, ForwardOptions options, Sampling sampling) {
    if (options.cache() != null) throw new IllegalArgumentException("the generator makes its own KV cache; pass options without one");
    int n = prompts.size();
    if (n == 0) return List.of();
    for (int i = 0; i < n; ++i) if (prompts.get(i).length == 0) throw new IllegalArgumentException("prompt " + i + " is empty");
    ForwardOptions base = options.withNativeDecodeAttention(nativeAttention);
    Rng[] rngs = new Rng[n];
    for (int i = 0; i < n; ++i) rngs[i] = Rng.derive(sampling.seed(), "sample", i);
    List<List<Long>> out = new ArrayList<>();
    for (int i = 0; i < n; ++i) out.add(new ArrayList<>());
    boolean[] stopped = new boolean[n];
    long[] lengths = new long[n];
    int width = 0;
    for (int i = 0; i < n; ++i) {
      lengths[i] = prompts.get(i).length;
      width = Math.max(width, prompts.get(i).length);
    }
    try (NoGradGuard guard = new NoGradGuard()) {
      KvCache cache = kvCache ? model.newCache(n, width + sampling.maxNewTokens()) : null;
      ForwardOptions step = cache == null ? base : base.withCache(cache);
      long[] next;
      try (PointerScope scope = new PointerScope()) {
        SequenceBatch prefill = SequenceBatch.of(prompts, new long[n], model.device());
        next = choose(lastLogits(model.logits(prefill.ids(), prefill.mask(), step), lengths), sampling, rngs);
      }
      for (int t = 0; t < sampling.maxNewTokens(); ++t) {
        boolean all = true;
        for (int i = 0; i < n; ++i) {
          if (stopped[i]) continue;
          if (sampling.isStop(next[i])) stopped[i] = true;
          else out.get(i).add(next[i]);
          all &= stopped[i];
        }
        if (all || t + 1 == sampling.maxNewTokens()) break;
        for (int i = 0; i < n; ++i) ++lengths[i];  // each sequence now includes the token just chosen
        try (PointerScope scope = new PointerScope()) {
          if (cache != null) {
            Tensor column = tensor(next).view(n, 1).to(model.device(), ScalarType.Long);
            next = choose(model.logits(column, null, step).select(1, 0), sampling, rngs);
          } else {
            SequenceBatch b = SequenceBatch.of(prefixes(prompts, out, next, lengths, sampling), new long[n], model.device());
            next = choose(lastLogits(model.logits(b.ids(), b.mask(), step), lengths), sampling, rngs);
          }
        }
      }
    }
    List<Generation> result = new ArrayList<>(n);
    for (int i = 0; i < n; ++i) result.add(new Generation(out.get(i).stream().mapToLong(Long::longValue).toArray(), stopped[i]));
    return result;
  }

  /**
   * The whole sequences so far, for the uncached path: prompt, generated tokens, and the token
   * just chosen. A stopped sequence continues with what it was fed since (its outputs are
   * dropped; rows never see each other).
   */
  private static List<long[]> prefixes(List<long[]> prompts, List<List<Long>> generated, long[] next, long[] lengths, Sampling sampling) {
    List<long[]> out = new ArrayList<>(prompts.size());
    for (int i = 0; i < prompts.size(); ++i) {
      long[] prompt = prompts.get(i);
      long[] p = Arrays.copyOf(prompt, (int) lengths[i]);
      List<Long> g = generated.get(i);
      for (int j = prompt.length; j < lengths[i] - 1; ++j) {
        int k = j - prompt.length;
        p[j] = k < g.size() ? g.get(k) : sampling.stopTokens().length > 0 ? sampling.stopTokens()[0] : 0;
      }
      p[(int) lengths[i] - 1] = next[i];
      out.add(p);
    }
    return out;
  }

  /** Logits [N, V] at position {@code lengths[i] - 1} of each row of {@code logits [N, S, V]}. */
  private static Tensor lastLogits(Tensor logits, long[] lengths) {
    int n = (int) logits.size(0);
    long[] index = new long[n];
    for (int i = 0; i < n; ++i) index[i] = lengths[i] - 1;
    Tensor at = tensor(index).to(logits.device(), ScalarType.Long).view(n, 1, 1).expand(n, 1, logits.size(2));
    return logits.gather(1, at).squeeze(1);
  }

  /**
   * The next token of each row from its logits [N, V]: argmax, or a draw from the softmax at the
   * temperature restricted to the top-p nucleus. The draw inverts the nucleus's cumulative
   * distribution at a uniform from the row's own stream, so only N numbers cross to the JVM.
   */
  static long[] choose(Tensor logits, Sampling sampling, Rng[] rngs) {
    int n = (int) logits.size(0);
    long v = logits.size(1);
    long[] out = new long[n];
    if (sampling.greedy()) {
      logits.argmax(new LongOptional(1), false).cpu().contiguous().data_ptr_long().get(out);
      return out;
    }
    Tensor probs = softmax(logits.to(ScalarType.Float).div(new Scalar(sampling.temperature())), 1);
    var sorted = probs.sort(1, true);
    Tensor values = sorted.get0(), indices = sorted.get1();
    if (sampling.topP() < 1) {
      // keep a token while the mass before it is under top_p: the first token always stays
      Tensor before = values.cumsum(1).sub(values);
      values = values.mul(before.lt(new Scalar(sampling.topP())).to(ScalarType.Float));
    }
    Tensor cdf = values.cumsum(1);
    float[] u = new float[n];
    for (int i = 0; i < n; ++i) u[i] = (float) rngs[i].nextDouble();
    Tensor target = tensor(u).to(cdf.device(), ScalarType.Float).view(n, 1).mul(cdf.narrow(1, v - 1, 1));
    Tensor position = cdf.lt(target).sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional(ScalarType.Long))
        .clamp(new ScalarOptional(new Scalar(0)), new ScalarOptional(new Scalar(v - 1)));
    indices.gather(1, position.unsqueeze(1)).squeeze(1).cpu().contiguous().data_ptr_long().get(out);
    return out;
  }
}
