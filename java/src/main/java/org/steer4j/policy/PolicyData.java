package org.steer4j.policy;

import static org.bytedeco.pytorch.global.torch.tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.data.DatasetException;
import org.steer4j.data.DialogueWorld;
import org.steer4j.data.LabelUsers;
import org.steer4j.data.PairsDataset;
import org.steer4j.data.Split;
import org.steer4j.data.TextPairs;
import org.steer4j.data.Users;
import org.steer4j.dist.Distributed;
import org.steer4j.io.TensorCache;
import org.steer4j.io.TextFiles;
import org.steer4j.runtime.Provenance;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.Embedder;
import org.steer4j.run.RunLog;
import org.steer4j.runtime.Fingerprint;

/**
 * What a policy trains and is evaluated on, row for row: the pairs with each objective's choice
 * and split, and the context features of each option ({@code pairs}, as a {@link PairsDataset},
 * so tasks are drawn by the reward side's {@link org.steer4j.data.TaskSampler}); the token ids
 * of each pair's prompt and responses ({@code sequences}); the users; and for the dialogue world
 * the prompts' structure, which its scoring rules need ({@code world}, else null).
 */
public record PolicyData(PairsDataset pairs, Users users, PairSequences sequences, DialogueWorld world, String description) {

  /** Prompt texts and the two responses of every row (what gets tokenized and embedded). */
  private record Texts(List<String> prompts, List<String> responsesA, List<String> responsesB, List<String> labels, Split[] splits, byte[][] choices) {}

  /**
   * Builds the data a config describes on {@code base} (whose tokenizer and chat format {@code
   * chat} speaks). Context features come from the configured embeddings dataset or are the base
   * model's own EOS embeddings, computed once per (model, texts) and cached in {@code cache}.
   * Pairs with a sequence longer than {@code maxLength} tokens are dropped.
   */
  public static PolicyData load(PolicyDataConfig config, DecoderLm base, String baseFingerprint, ChatEncoder chat, int maxLength, TensorCache cache,
      RunLog log) {
    return load(config, base, baseFingerprint, chat, maxLength, cache, log, Distributed.single());
  }

  /**
   * The same on every rank of {@code dist} (a collective): base-model features missing from the
   * cache (rank 0's view decides) are embedded sharded over the ranks ({@link Embedder#embed(List,
   * java.util.function.LongConsumer, Distributed)}) and stored by rank 0 alone.
   */
  public static PolicyData load(PolicyDataConfig config, DecoderLm base, String baseFingerprint, ChatEncoder chat, int maxLength, TensorCache cache,
      RunLog log, Distributed dist) {
    DialogueWorld world = null;
    Texts texts;
    Map<Integer, Integer> sourceRows = null;  // row of the text table -> row of the embeddings dataset
    String description;
    if (config.source() == PolicyDataConfig.Source.DIALOGUE) {
      var d = config.dialogue();
      world = DialogueWorld.generate(d.size(), d.seed(), d.answerableFraction(), d.subset());
      texts = texts(world);
      description = String.format(java.util.Locale.ROOT, "dialogue world, %d pairs (%s), seed %d, %.0f %% answerable prompts; the objectives"
          + " disagree on %.0f %% of pairs where both are strict", d.size(), d.subset().name().toLowerCase(java.util.Locale.ROOT), d.seed(),
          100 * d.answerableFraction(), 100 * world.disagreement());
    } else {
      TextPairs table = TextPairs.read(Path.of(config.textPairs()));
      texts = texts(table);
      description = "text pairs " + config.textPairs() + " (" + table.size() + " pairs)";
      if (!config.embeddings().isBlank()) sourceRows = sourceIndex(Path.of(config.embeddings()), table);
    }

    // tokenize; keep the rows that fit (and, with an embeddings dataset, were embedded)
    List<Integer> kept = new ArrayList<>();
    List<long[]> prompts = new ArrayList<>(), a = new ArrayList<>(), b = new ArrayList<>();
    int tooLong = 0;
    for (int r = 0; r < texts.prompts().size(); ++r) {
      if (sourceRows != null && !sourceRows.containsKey(r)) continue;
      long[] p = chat.prompt(texts.prompts().get(r));
      long[] ra = chat.response(texts.prompts().get(r), texts.responsesA().get(r)), rb = chat.response(texts.prompts().get(r), texts.responsesB().get(r));
      if (p.length + Math.max(ra.length, rb.length) > maxLength) {
        ++tooLong;
        continue;
      }
      kept.add(r);
      prompts.add(p);
      a.add(ra);
      b.add(rb);
    }
    if (kept.isEmpty()) throw new DatasetException(description + ": no pair fits in " + maxLength + " tokens");
    if (tooLong > 0) description += "; dropped " + tooLong + " pairs longer than " + maxLength + " tokens";
    if (world != null && kept.size() != world.size()) throw new IllegalStateException("dialogue world texts must all fit: raise base.max_length");
    PairSequences sequences = new PairSequences(prompts, a, b);

    Tensor featuresA, featuresB;
    if (sourceRows != null) {
      PairsDataset embedded = PairsDataset.read(Path.of(config.embeddings()));
      Map<Integer, Integer> source = sourceRows;
      long[] rows = kept.stream().mapToLong(source::get).toArray();
      featuresA = embedded.featuresA().index_select(0, tensor(rows));
      featuresB = embedded.featuresB().index_select(0, tensor(rows));
      description += "; context features from " + config.embeddings() + " (D " + embedded.width() + ")";
    } else {
      Tensor[] f = baseEmbeddings(base, baseFingerprint, chat, texts, kept, cache, log, dist);
      featuresA = f[0];
      featuresB = f[1];
      description += "; context features: the base model's EOS embeddings (D " + featuresA.size(1) + ")";
    }
    Split[] splits = new Split[kept.size()];
    byte[][] choices = new byte[texts.labels().size()][kept.size()];
    for (int i = 0; i < kept.size(); ++i) {
      splits[i] = texts.splits()[kept.get(i)];
      for (int l = 0; l < choices.length; ++l) choices[l][i] = texts.choices()[l][kept.get(i)];
    }
    PairsDataset pairs = PairsDataset.of(featuresA, featuresB, texts.labels(), splits, choices);
    Users users = new LabelUsers(pairs, config.labels());
    return new PolicyData(pairs, users, sequences, world, description);
  }

  /** The labels users are drawn from. */
  public List<String> labels() {
    return users instanceof LabelUsers l ? l.names() : pairs.labels();
  }

  private static Texts texts(DialogueWorld world) {
    int n = world.size();
    List<String> p = new ArrayList<>(n), ra = new ArrayList<>(n), rb = new ArrayList<>(n);
    Split[] splits = new Split[n];
    byte[][] choices = new byte[DialogueWorld.OBJECTIVES.size()][n];
    for (int i = 0; i < n; ++i) {
      DialogueWorld.Pair pair = world.pairs().get(i);
      p.add(pair.prompt().text());
      ra.add(pair.responseA());
      rb.add(pair.responseB());
      splits[i] = pair.split();
      for (int l = 0; l < choices.length; ++l) choices[l][i] = pair.choices()[l];
    }
    return new Texts(p, ra, rb, DialogueWorld.OBJECTIVES, splits, choices);
  }

  private static Texts texts(TextPairs table) {
    int n = table.size();
    List<String> p = new ArrayList<>(n), ra = new ArrayList<>(n), rb = new ArrayList<>(n);
    Split[] splits = new Split[n];
    byte[][] choices = new byte[table.labels().size()][n];
    for (int i = 0; i < n; ++i) {
      TextPairs.Pair pair = table.pairs().get(i);
      p.add(pair.prompt());
      ra.add(pair.responseA());
      rb.add(pair.responseB());
      splits[i] = pair.split();
      for (int l = 0; l < choices.length; ++l) choices[l][i] = pair.choices()[l];
    }
    return new Texts(p, ra, rb, table.labels(), splits, choices);
  }

  /** Row of the text table -> row of the embeddings dataset, from its source_index.csv (pair idx per row). */
  private static Map<Integer, Integer> sourceIndex(Path embeddings, TextPairs table) {
    Path file = embeddings.resolve(PairsDataset.SOURCE_INDEX);
    Map<Integer, Integer> tableRowOfIdx = new HashMap<>();
    for (int r = 0; r < table.size(); ++r) tableRowOfIdx.put(table.pairs().get(r).idx(), r);
    Map<Integer, Integer> out = new LinkedHashMap<>();
    try {
      if (!Files.exists(file)) throw new DatasetException(file + ": no such file (steer4j embed writes it beside the embeddings)");
      List<String> lines = List.of(TextFiles.read(file).split("\n"));
      if (lines.isEmpty() || !lines.get(0).trim().equals("row,source_idx")) throw new DatasetException(file + ": header must be row,source_idx");
      for (int i = 1; i < lines.size(); ++i) {
        if (lines.get(i).isBlank()) continue;
        String[] f = lines.get(i).split(",");
        Integer tableRow = tableRowOfIdx.get(Integer.parseInt(f[1].trim()));
        if (tableRow == null) throw new DatasetException(file + ": line " + (i + 1) + ": pair idx " + f[1] + " is not in the text table");
        out.put(tableRow, Integer.parseInt(f[0].trim()));
      }
    } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
      throw new DatasetException(file + ": " + e.getMessage());
    }
    return out;
  }

  /** The base model's EOS embeddings of both options of the kept rows (each distinct text once), cached. */
  private static Tensor[] baseEmbeddings(DecoderLm base, String baseFingerprint, ChatEncoder chat, Texts texts, List<Integer> kept, TensorCache cache,
      RunLog log, Distributed dist) {
    Map<String, Integer> index = new LinkedHashMap<>();
    List<long[]> ids = new ArrayList<>();
    long[] rowsA = new long[kept.size()], rowsB = new long[kept.size()];
    for (int i = 0; i < kept.size(); ++i) {
      int r = kept.get(i);
      String prompt = texts.prompts().get(r);
      for (int o = 0; o < 2; ++o) {
        String response = o == 0 ? texts.responsesA().get(r) : texts.responsesB().get(r);
        Integer k = index.get(prompt + '\u0000' + response);
        if (k == null) {
          k = ids.size();
          index.put(prompt + '\u0000' + response, k);
          ids.add(chat.text(prompt, response));
        }
        (o == 0 ? rowsA : rowsB)[i] = k;
      }
    }
    Fingerprint key = new Fingerprint().add("base-eos-embeddings").add(baseFingerprint).add(chat.eosId()).add(ids.size());
    for (long[] t : ids) key.add(t);
    String hex = key.hex();  // once: the digest is final
    // Decided once, by rank 0's view, before anyone writes: every rank reads, or every rank embeds its share.
    boolean stored = cache.has("embeddings", hex);
    if (dist.worldSize() > 1) stored = dist.allGather(new double[] {stored ? 1 : 0})[0][0] == 1;
    Tensor computed = null;
    if (!stored) {
      if (log != null) log.info("embedding %d distinct texts with the base model (once; cached in %s)", ids.size(), cache.dir());
      computed = new Embedder(base, chat.tokenizer(), chat.format(), null, chat.eosId(), 64).embed(ids, null, dist);
    }
    Tensor fresh = computed;
    Tensor all = fresh != null && !dist.isMain() ? fresh  // rank 0 stores it
        : cache.get("embeddings", hex,
            Provenance.of("policy_data", 0, ids.size() + " EOS embeddings of the base model").withInput("base_weights_texts", hex),
            () -> Map.of("embeddings", fresh != null ? fresh : new Embedder(base, chat.tokenizer(), chat.format(), null, chat.eosId(), 64).embed(ids, null)))
            .get("embeddings");
    return new Tensor[] {all.index_select(0, tensor(rowsA)), all.index_select(0, tensor(rowsB))};
  }
}
