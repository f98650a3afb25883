package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongConsumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.dist.Distributed;
import org.steer4j.runtime.Tensors;

/**
 * Embeddings of (prompt, response) texts as the paper makes them: the text in a chat format, EOS
 * appended, and the final hidden state (after the last norm) at that EOS, one float32 vector of
 * width hidden_size per text. Batches are formed from texts sorted by length, so padding stays
 * small, and right-padded; the base model runs (no adapters, no FiLM).
 */
public final class Embedder {
  private final DecoderLm model;
  private final TextTokenizer tokenizer;
  private final ChatRenderer format;
  private final String systemPrompt;
  private final long eosId;
  private final int batchSize;

  public Embedder(DecoderLm model, TextTokenizer tokenizer, ChatRenderer format, String systemPrompt, long eosId, int batchSize) {
    if (batchSize <= 0) throw new IllegalArgumentException("batch size must be > 0");
    if (eosId < 0 || eosId >= model.config().vocabSize()) {
      throw new IllegalArgumentException("EOS id " + eosId + " is outside the model's vocabulary of " + model.config().vocabSize());
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.format = format;
    this.systemPrompt = systemPrompt;
    this.eosId = eosId;
    this.batchSize = batchSize;
  }

  /**
   * Token ids of the text of (prompt, response), without the EOS that {@link #embed} appends; the
   * tokenizer adds special tokens only for the plain format (chat formats and templates write
   * their own BOS).
   */
  public static List<long[]> encode(TextTokenizer tokenizer, ChatRenderer format, String systemPrompt, List<String[]> promptResponses) {
    List<String> texts = new ArrayList<>(promptResponses.size());
    for (String[] pr : promptResponses) texts.add(format.render(systemPrompt, pr[0], pr[1]).text());
    return tokenizer.encodeAll(texts, format.addSpecialTokens());
  }

  /** Token ids of (prompt, response) pairs in this embedder's format. */
  public List<long[]> encode(List<String[]> promptResponses) {
    return encode(tokenizer, format, systemPrompt, promptResponses);
  }

  /**
   * Embeddings [texts, H] (float32, CPU) of token sequences (without EOS). {@code progress}
   * receives the number of texts done after each batch.
   */
  public Tensor embed(List<long[]> ids, LongConsumer progress) {
    return embed(ids, progress, Distributed.single());
  }

  /**
   * The same sharded over the ranks of {@code dist} (a collective): the batches are those one
   * process forms (longest texts first), rank r embeds those with index i % W == r, and the rows
   * are all-gathered, so every rank gets one process's table (bit for bit at the same threads per
   * process). {@code progress} counts this rank's texts.
   */
  public Tensor embed(List<long[]> ids, LongConsumer progress, Distributed dist) {
    int n = ids.size();
    int vocab = model.config().vocabSize();
    for (int i = 0; i < n; ++i) {
      for (long t : ids.get(i)) {
        if (t < 0 || t >= vocab) {
          throw new IllegalArgumentException("token id " + t + " is outside the model's vocabulary of " + vocab
              + ": the tokenizer does not belong to this model");
        }
      }
    }
    int hidden = model.config().hiddenSize();
    Tensor out;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; ++i) order[i] = i;
    Arrays.sort(order, Comparator.comparingInt((Integer i) -> ids.get(i).length).reversed());  // longest first: OOM shows at once
    int batches = (n + batchSize - 1) / batchSize;
    long[] done = {0};
    try (NoGradGuard guard = new NoGradGuard()) {
      if (dist.worldSize() == 1) {
        out = Tensors.empty(new TensorOptions(ScalarType.Float), n, hidden);
        for (int i = 0; i < batches; ++i) {
          try (PointerScope scope = new PointerScope()) {
            int start = i * batchSize, count = Math.min(batchSize, n - start);
            out.index_copy_(0, tensor(rowsOf(order, start, count)), batch(ids, order, start, count));
            progress(progress, done, count);
          }
        }
      } else {
        // Rank r embeds batches i = r, r + W, ... into its rows of `mine` (round k at rows
        // k * batchSize ..), one all-gather stacks every rank's, and each text's row is picked
        // out of the stack: native tensors throughout, float32 as computed.
        int w = dist.worldSize(), r = dist.rank(), rounds = (batches + w - 1) / w;
        Tensor mine = org.bytedeco.pytorch.global.torch.zeros(new long[] {(long) rounds * batchSize, hidden}, new TensorOptions(ScalarType.Float));
        for (int k = 0, i = r; i < batches; ++k, i += w) {
          try (PointerScope scope = new PointerScope()) {
            int start = i * batchSize, count = Math.min(batchSize, n - start);
            mine.narrow(0, (long) k * batchSize, count).copy_(batch(ids, order, start, count));
            progress(progress, done, count);
          }
        }
        Tensor stacked = dist.allGather(mine).view(-1, hidden);  // [W * rounds * batchSize, hidden]
        long[] rowOf = new long[n];  // text -> its row in the stack
        for (int i = 0; i < batches; ++i) {
          int start = i * batchSize, count = Math.min(batchSize, n - start);
          for (int b = 0; b < count; ++b) rowOf[order[start + b]] = ((long) (i % w) * rounds + i / w) * batchSize + b;
        }
        out = stacked.index_select(0, tensor(rowOf));
      }
    }
    return out;
  }

  private static long[] rowsOf(Integer[] order, int start, int count) {
    long[] rows = new long[count];
    for (int b = 0; b < count; ++b) rows[b] = order[start + b];
    return rows;
  }

  private static void progress(LongConsumer progress, long[] done, int count) {
    done[0] += count;
    if (progress != null) progress.accept(done[0]);
  }

  /** Last-token hidden states [count, hidden] (float, CPU) of the texts order[start .. start + count), each with EOS appended. */
  private Tensor batch(List<long[]> ids, Integer[] order, int start, int count) {
    int width = ids.get(order[start]).length + 1;
    long[] flat = new long[count * width], mask = new long[count * width];
    for (int b = 0; b < count; ++b) {
      long[] seq = ids.get(order[start + b]);
      System.arraycopy(seq, 0, flat, b * width, seq.length);
      flat[b * width + seq.length] = eosId;
      Arrays.fill(mask, b * width, b * width + seq.length + 1, 1);
    }
    Tensor idsT = tensor(flat).view(count, width).to(model.device(), ScalarType.Long);
    Tensor maskT = tensor(mask).view(count, width).to(model.device(), ScalarType.Long);
    return model.lastTokenHidden(idsT, maskT, ForwardOptions.BASE).to(ScalarType.Float).cpu();
  }

  public DecoderLm model() {
    return model;
  }
}
