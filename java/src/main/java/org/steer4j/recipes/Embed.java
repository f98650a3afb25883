package org.steer4j.recipes;

import static org.bytedeco.pytorch.global.torch.cat;
import static org.bytedeco.pytorch.global.torch.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.steer4j.dist.Distributed;
import org.steer4j.io.SafeTensors;
import org.steer4j.llm.ChatRenderer;
import org.steer4j.llm.ChatTemplate;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.Embedder;
import org.steer4j.llm.ModelConfig;
import org.steer4j.llm.TextTokenizer;
import org.steer4j.run.MetricsLog;
import org.steer4j.run.Progress;
import org.steer4j.run.RunDirectory;
import org.steer4j.run.RunLog;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.runtime.Provenance;
import org.steer4j.runtime.Fingerprint;
import org.steer4j.runtime.Native;
import org.steer4j.data.TextPairs;
import org.steer4j.data.PairsDataset;
import org.steer4j.data.DatasetException;
import org.steer4j.data.Split;

/**
 * {@code steer4j embed}: a text-pairs table (from {@code prepare}) to a {@link PairsDataset} of
 * LLM embeddings.
 *
 * <ol>
 *   <li>Every option is rendered as text (the configured format), tokenized, and pairs with an
 *       option of {@code max_length} tokens or more are dropped (as the paper does).
 *   <li>Identical (prompt, response) texts are embedded once: an UltraFeedback completion sits
 *       in up to three pairs.
 *   <li>The unique texts are embedded in shards of {@code shard_size}; each shard is saved
 *       atomically under {@code <output>/shards/} as soon as it is done, and a restart skips the
 *       shards that exist. {@code embed_manifest.json} fingerprints what the shards were made
 *       from (input file hash, model, format, EOS, lengths), and a restart with other settings
 *       is refused rather than mixing embeddings.
 *   <li>The pair features are assembled from the shards into pairs.safetensors + pairs.csv,
 *       with {@code source_index.csv} mapping each row to its pair's idx in the text table.
 * </ol>
 *
 * <p>Data parallel ({@link #distributed}): with W ranks, rank r embeds the shards k with k % W ==
 * r of the same shard list; rank 0 alone checks and writes the manifest (the other ranks wait for
 * it and refuse to go on if their inputs or settings differ), and, once every rank has handed in
 * its shards, assembles the dataset and writes the manifest, metrics and run log. Each shard is
 * computed exactly as one process computes it, so the files are those of one process with the
 * same threads per process, byte for byte, and a restart at any world size skips the shards that
 * exist. Every rank must see the output directory (shared storage across machines).
 */
public final class Embed {
  public static final String MANIFEST = "embed_manifest.json", SOURCE_INDEX = PairsDataset.SOURCE_INDEX;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final EmbedConfig config;
  /** What rank 0 publishes once the manifest is checked (its fingerprint), and what each rank hands in when its shards are done. */
  static final String MANIFEST_READY = "embed_manifest", SHARDS_DONE = "embed_shards";

  private final RunDirectory run;
  private RunLog log;
  private Distributed dist = Distributed.single();

  /** An embedding run writing its log and metrics into {@code run} (rank 0's run directory). */
  public Embed(EmbedConfig config, RunDirectory run) {
    this.config = config;
    this.run = run;
    this.log = run.log();
  }

  /**
   * Runs as one rank of a data-parallel job: rank r embeds the missing shards k with k % W == r;
   * rank 0 alone writes the manifest, metrics and run log, and assembles the dataset once every
   * rank is done. Ranks r > 0 log to standard error only and write nothing but their shards.
   */
  public Embed distributed(Distributed d) {
    this.dist = d;
    if (!d.isMain()) this.log = RunLog.consoleOnly();
    return this;
  }

  /**
   * What a run did: on rank 0 (and in a world of one) over every shard; on a rank r > 0 over its
   * own shards. {@code seconds}: wall time of this process's {@link #run}.
   */
  public record Summary(int pairs, int droppedPairs, int texts, int shardsEmbedded, int shardsReused, long tokens, double seconds) {}

  /**
   * Embeds (this rank's share of) the missing shards and, on rank 0, assembles the dataset.
   *
   * @throws DatasetException the input has no pair short enough, or the output holds shards made
   *     with other settings, or (rank r > 0) this rank's inputs or settings differ from rank 0's
   * @throws org.steer4j.dist.DistributedException a rank is gone or failed
   */
  public Summary run() throws IOException {
    Native.init(dist.env().threadsPerRank(config.runtime().threads()));
    Path input = Path.of(config.input()), output = Path.of(config.output()), shards = output.resolve("shards");
    Path modelDir = Path.of(config.model().path());
    TextPairs table = TextPairs.read(input);
    ModelConfig modelConfig = ModelConfig.read(modelDir);  // cheap: weights are loaded only if a shard is missing
    String system = config.text().systemPrompt();
    long start = System.nanoTime();
    try (TextTokenizer tokenizer = TextTokenizer.load(Path.of(config.model().tokenizerPath()))) {
      ChatRenderer format = config.text().format().renderer(modelConfig, tokenizer.file());
      long eos = eosId(tokenizer, modelConfig);
      log.info("embed: %d pairs from %s, model %s (%s, %s), format %s, EOS id %d, max_length %d", table.size(), input, modelDir,
          modelConfig, config.model().dtype().torchName(), format instanceof ChatTemplate t ? t.id() + " (" + t.origin() + ")" : format.id(), eos,
          config.text().maxLength());

      // unique texts, their token counts, and the pairs short enough to keep
      Map<String, Integer> textIndex = new LinkedHashMap<>();
      List<String[]> texts = new ArrayList<>();
      int[][] pairTexts = new int[table.size()][2];
      for (int p = 0; p < table.size(); ++p) {
        TextPairs.Pair pair = table.pairs().get(p);
        String[] options = {pair.responseA(), pair.responseB()};
        for (int o = 0; o < 2; ++o) {
          String key = pair.prompt() + '\u0000' + options[o];
          Integer index = textIndex.get(key);
          if (index == null) {
            index = texts.size();
            textIndex.put(key, index);
            texts.add(new String[] {pair.prompt(), options[o]});
          }
          pairTexts[p][o] = index;
        }
      }
      int[] lengths = tokenLengths(tokenizer, format, system, texts);
      List<Integer> keptPairs = new ArrayList<>();
      Map<Integer, Integer> unique = new LinkedHashMap<>();  // text index -> row in the embeddings
      for (int p = 0; p < table.size(); ++p) {
        if (lengths[pairTexts[p][0]] >= config.text().maxLength() || lengths[pairTexts[p][1]] >= config.text().maxLength()) continue;
        keptPairs.add(p);
        for (int t : pairTexts[p]) unique.putIfAbsent(t, unique.size());
      }
      if (keptPairs.isEmpty()) throw new DatasetException(input + ": every pair has an option of >= " + config.text().maxLength() + " tokens");
      List<Integer> embedTexts = new ArrayList<>(unique.keySet());
      long tokens = 0;
      for (int t : embedTexts) tokens += lengths[t] + 1;
      log.info("embed: kept %d pairs (dropped %d with an option >= %d tokens), %d distinct texts, %d tokens with EOS", keptPairs.size(),
          table.size() - keptPairs.size(), config.text().maxLength(), embedTexts.size(), tokens);

      ObjectNode fingerprint = fingerprint(input, modelDir, format, system, eos, embedTexts.size());
      // No rank touches a shard before rank 0 has refused another run's output (or claimed a fresh one).
      if (dist.isMain()) {
        checkManifest(output, fingerprint);
        dist.publish(MANIFEST_READY, JSON.writeValueAsString(fingerprint));
      } else {
        ObjectNode main = (ObjectNode) JSON.readTree(dist.await(MANIFEST_READY));
        List<String> differ = differingKeys(readBack(fingerprint), main);
        if (!differ.isEmpty()) {
          throw new DatasetException("rank " + dist.rank() + ": embeds from other inputs or settings than rank 0 (" + String.join(", ", differ)
              + " differ): every rank must see the same input file, model and config");
        }
      }

      int shardSize = config.shardSize(), shardCount = (embedTexts.size() + shardSize - 1) / shardSize;
      int world = dist.worldSize(), rank = dist.rank();
      long ownTexts = 0;  // of this rank's shards: k % world == rank, in the order one process takes them
      int ownShards = 0;
      for (int k = rank; k < shardCount; k += world) {
        ownTexts += Math.min(embedTexts.size(), (long) (k + 1) * shardSize) - (long) k * shardSize;
        ++ownShards;
      }
      if (world > 1) {
        int threads = Native.threads();
        log.info("embed: rank %d of %d embeds shards k with k %% %d = %d: %d of %d shards, %d texts, %d thread%s", rank, world, world, rank,
            ownShards, shardCount, ownTexts, threads, threads == 1 ? "" : "s");
      }
      int embedded = 0, reused = 0;
      DecoderLm model = null;
      Embedder embedder = null;
      Progress progress = new Progress(world == 1 ? "embed" : "embed rank " + rank, ownTexts);
      long doneTexts = 0;
      ArrayNode records = JSON.createArrayNode();  // a rank r > 0's metrics, handed to rank 0 at the end
      try (MetricsLog metrics = dist.isMain() ? new MetricsLog(run.metricsFile()) : null) {
        for (int k = rank; k < shardCount; k += world) {
          int from = k * shardSize, to = Math.min(embedTexts.size(), from + shardSize);
          Path file = shardFile(shards, k);
          if (validShard(file, to - from, modelConfig.hiddenSize())) {
            ++reused;
            doneTexts += to - from;
            progress.update(doneTexts, "shard " + (k + 1) + "/" + shardCount + " reused");
            continue;
          }
          if (model == null) {
            log.info("embed: loading %s in %s on %s", modelDir, config.model().dtype().torchName(), config.runtime().device().name().toLowerCase(Locale.ROOT));
            model = DecoderLm.load(modelDir, config.model().dtype(), config.runtime().device().torch(dist.env().localRank()));  // a GPU per rank
            embedder = new Embedder(model, tokenizer, format, system, eos, config.batchSize());
          }
          List<String[]> shardTexts = new ArrayList<>();
          long shardTokens = 0;
          for (int i = from; i < to; ++i) {
            shardTexts.add(texts.get(embedTexts.get(i)));
            shardTokens += lengths[embedTexts.get(i)] + 1;
          }
          long shardStart = System.nanoTime();
          final long base = doneTexts;
          final int shardNumber = k + 1;
          Tensor e = embedder.embed(embedder.encode(shardTexts), done -> progress.update(base + done, "shard " + shardNumber + "/" + shardCount));
          SafeTensors.write(file, Map.of("embeddings", e), Map.of("first", Integer.toString(from), "count", Integer.toString(to - from)));
          double seconds = (System.nanoTime() - shardStart) / 1e9;
          Map<String, Object> record = new LinkedHashMap<>();
          record.put("texts", to - from);
          record.put("tokens", shardTokens);
          record.put("seconds", seconds);
          record.put("tokens_per_s", shardTokens / seconds);
          if (world > 1) record.put("rank", rank);
          if (metrics != null) metrics.write(k, "embed", record);
          else records.addObject().put("step", k).setAll((ObjectNode) JSON.valueToTree(record));
          doneTexts += to - from;
          ++embedded;
        }
        if (world > 1) log.info("embed: rank %d: %d shards embedded, %d reused from an earlier run", rank, embedded, reused);
        // Through the store, not a Gloo barrier: the ranks' shares differ by up to one shard, which may take longer than the collective timeout.
        ObjectNode done = JSON.createObjectNode().put("embedded", embedded).put("reused", reused);
        done.set("metrics", records);
        String[] all = dist.gather(SHARDS_DONE, JSON.writeValueAsString(done));
        if (!dist.isMain()) {
          return new Summary(keptPairs.size(), table.size() - keptPairs.size(), embedTexts.size(), embedded, reused, tokens,
              (System.nanoTime() - start) / 1e9);
        }
        for (int r = 1; r < all.length; ++r) {
          JsonNode other = JSON.readTree(all[r]);
          embedded += other.get("embedded").asInt();
          reused += other.get("reused").asInt();
          for (JsonNode m : other.get("metrics")) {
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            m.fields().forEachRemaining(e -> {
              if (!e.getKey().equals("step")) fields.put(e.getKey(), e.getValue());
            });
            metrics.write(m.get("step").asLong(), "embed", fields);
          }
        }
      }
      log.info("embed: %d shards embedded, %d reused from an earlier run", embedded, reused);
      for (int k = 0; k < shardCount; ++k) {
        int count = Math.min(embedTexts.size(), (k + 1) * shardSize) - k * shardSize;
        if (!validShard(shardFile(shards, k), count, modelConfig.hiddenSize())) {
          throw new DatasetException(shardFile(shards, k) + ": missing or not [" + count + ", " + modelConfig.hiddenSize() + "] after embedding"
              + (world > 1 ? " (rank " + k % world + "'s shard): every rank must write into the output directory rank 0 reads (storage they all see)" : ""));
        }
      }
      assemble(table, keptPairs, pairTexts, unique, shards, shardCount, output);
      ObjectNode manifest = JSON.createObjectNode();
      manifest.set("fingerprint", fingerprint);
      manifest.put("complete", true);
      manifest.put("pairs", keptPairs.size());
      manifest.put("dropped_pairs", table.size() - keptPairs.size());
      manifest.put("texts", embedTexts.size());
      manifest.put("tokens", tokens);
      AtomicFiles.writeString(output.resolve(MANIFEST), JSON.writeValueAsString(manifest) + "\n");
      Provenance.of("embed", 0, keptPairs.size() + " pairs of " + input + " embedded by " + modelDir.toAbsolutePath().normalize())
          .withInput("text_pairs", fingerprint.get("input_sha256").asText())
          .withInput("model_config", fingerprint.get("model_config_sha256").asText())
          .writeInto(output);
      if (!config.keepShards()) deleteShards(shards, shardCount);
      double seconds = (System.nanoTime() - start) / 1e9;
      log.info("embed: wrote %s (%d pairs x %d features) in %.1f s", output, keptPairs.size(), modelConfig.hiddenSize(), seconds);
      return new Summary(keptPairs.size(), table.size() - keptPairs.size(), embedTexts.size(), embedded, reused, tokens, seconds);
    }
  }

  private void assemble(TextPairs table, List<Integer> keptPairs, int[][] pairTexts, Map<Integer, Integer> unique, Path shards, int shardCount, Path output)
      throws IOException {
    TensorVector parts = new TensorVector();
    for (int k = 0; k < shardCount; ++k) {
      try (SafeTensors st = SafeTensors.open(shardFile(shards, k))) {
        parts.push_back(st.tensor("embeddings"));
      }
    }
    Tensor all = cat(parts, 0);
    int n = keptPairs.size();
    long[] rowsA = new long[n], rowsB = new long[n];
    Split[] splits = new Split[n];
    byte[][] choices = new byte[table.labels().size()][n];
    StringBuilder sources = new StringBuilder("row,source_idx\n");
    for (int r = 0; r < n; ++r) {
      int p = keptPairs.get(r);
      TextPairs.Pair pair = table.pairs().get(p);
      rowsA[r] = unique.get(pairTexts[p][0]);
      rowsB[r] = unique.get(pairTexts[p][1]);
      splits[r] = pair.split();
      for (int l = 0; l < choices.length; ++l) choices[l][r] = pair.choices()[l];
      sources.append(r).append(',').append(pair.idx()).append('\n');
    }
    PairsDataset dataset = PairsDataset.of(all.index_select(0, tensor(rowsA)), all.index_select(0, tensor(rowsB)), table.labels(), splits, choices);
    dataset.write(output);
    AtomicFiles.writeString(output.resolve(SOURCE_INDEX), sources.toString());
  }

  private int[] tokenLengths(TextTokenizer tokenizer, ChatRenderer format, String system, List<String[]> texts) {
    int[] lengths = new int[texts.size()];
    int chunk = 512;
    for (int from = 0; from < texts.size(); from += chunk) {
      int to = Math.min(texts.size(), from + chunk);
      List<long[]> ids = Embedder.encode(tokenizer, format, system, texts.subList(from, to));
      for (int i = from; i < to; ++i) lengths[i] = ids.get(i - from).length;
    }
    return lengths;
  }

  private long eosId(TextTokenizer tokenizer, ModelConfig model) {
    String named = config.text().eosToken();
    if (!named.isBlank()) {
      return tokenizer.tokenId(named).orElseThrow(() -> new IllegalArgumentException("text.eos_token '" + named + "' is not a single token of " + tokenizer.file()));
    }
    return tokenizer.eosId(model);
  }

  private ObjectNode fingerprint(Path input, Path modelDir, ChatRenderer format, String system, long eos, int texts) throws IOException {
    ObjectNode f = JSON.createObjectNode();
    f.put("input_sha256", Fingerprint.sha256(input));
    f.put("model", modelDir.toAbsolutePath().normalize().toString());
    f.put("model_config_sha256", Fingerprint.sha256(modelDir.resolve("config.json")));
    f.put("dtype", config.model().dtype().torchName());
    f.put("format", format.id());  // a chat template: its source's hash, so an edited template is not mixed with the old
    if (system == null) f.putNull("system_prompt");
    else f.put("system_prompt", system);
    f.put("eos_id", eos);
    f.put("max_length", config.text().maxLength());
    f.put("shard_size", config.shardSize());
    f.put("texts", texts);
    return f;
  }

  /** Refuses to resume into shards made from other inputs or settings; records the fingerprint otherwise. */
  private void checkManifest(Path output, ObjectNode made) throws IOException {
    ObjectNode fingerprint = readBack(made);
    Path file = output.resolve(MANIFEST);
    if (Files.exists(file)) {
      JsonNode previous = JSON.readTree(file.toFile()).get("fingerprint");
      if (previous != null && !previous.equals(fingerprint)) {
        List<String> differ = differingKeys(fingerprint, previous);
        throw new DatasetException(file + ": " + output + " holds embeddings made with other settings (" + String.join(", ", differ)
            + " differ); delete it or choose another output");
      }
      if (previous != null) {
        log.info("embed: resuming in %s", output);
        return;
      }
    }
    ObjectNode manifest = JSON.createObjectNode();
    manifest.set("fingerprint", fingerprint);
    manifest.put("complete", false);
    AtomicFiles.writeString(file, JSON.writeValueAsString(manifest) + "\n");
  }

  /** {@code made} as read back from JSON: a long written is an int read (LongNode != IntNode), so compare read-back trees. */
  private static ObjectNode readBack(ObjectNode made) throws IOException {
    return (ObjectNode) JSON.readTree(JSON.writeValueAsString(made));
  }

  /** The keys of {@code fingerprint} whose values {@code other} does not share. */
  private static List<String> differingKeys(ObjectNode fingerprint, JsonNode other) {
    List<String> differ = new ArrayList<>();
    fingerprint.fieldNames().forEachRemaining(k -> {
      if (!fingerprint.get(k).equals(other.get(k))) differ.add(k);
    });
    return differ;
  }

  private static Path shardFile(Path shards, int k) {
    return shards.resolve(String.format("shard-%05d.safetensors", k));
  }

  private static boolean validShard(Path file, int count, int hidden) {
    if (!Files.exists(file)) return false;
    try (SafeTensors st = SafeTensors.open(file)) {
      long[] shape = st.entry("embeddings").shape();
      return shape.length == 2 && shape[0] == count && shape[1] == hidden;
    } catch (RuntimeException e) {
      return false;  // written atomically, so only a foreign file lands here: embed it again
    }
  }

  private static void deleteShards(Path shards, int count) throws IOException {
    for (int k = 0; k < count; ++k) Files.deleteIfExists(shardFile(shards, k));
    try (var rest = Files.list(shards)) {
      if (rest.findAny().isEmpty()) Files.delete(shards);
    }
  }

}
