package org.steer4j.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.cli.Steer4j;
import org.steer4j.llm.ChatFormat;
import org.steer4j.llm.DecoderLm;
import org.steer4j.llm.Embedder;
import org.steer4j.llm.Family;
import org.steer4j.llm.ForwardOptions;
import org.steer4j.llm.ModelConfig;
import org.steer4j.llm.ModelDtype;
import org.steer4j.llm.TextTokenizer;
import org.steer4j.runtime.Native;
import picocli.CommandLine;
import org.steer4j.data.TextPairs;
import org.steer4j.data.PairsDataset;

/**
 * {@code steer4j prepare} then {@code steer4j embed} through the command line, on the
 * UltraFeedback sample with a tiny random Llama saved in Hugging Face layout and the fixture
 * tokenizer: a valid pairs dataset comes out, its features are the model's EOS states, the length
 * filter drops what it should, and a restart reuses finished shards.
 */
class PrepareEmbedEndToEndTest {
  static final Path ULTRAFEEDBACK_SAMPLE = Path.of("../data/fixtures/ultrafeedback/sample.jsonl");
  static final Path TOKENIZER = Path.of("../data/fixtures/tokenizer");
  @TempDir static Path dir;
  static Path model;

  @BeforeAll
  static void tinyModel() throws Exception {
    Native.init(1);
    model = saveTinyLlama(dir.resolve("tiny-llama"));
  }

  /** A tiny random Llama (hidden 32, 2 layers) in Hugging Face layout in {@code model}, for the fixture tokenizer. */
  static Path saveTinyLlama(Path model) throws Exception {
    try (PointerScope scope = new PointerScope()) {
      // vocabulary 352 >= the fixture tokenizer's 348 ids; hidden 32 = the embedding width
      ModelConfig config = ModelConfig.of(Family.LLAMA, 352, 32, 64, 2, 4, 2, 8).with("eos_token_id", 337);
      DecoderLm.random(config, 7, ModelDtype.FLOAT32, new Device("cpu")).save(model, 60_000);
    }
    return model;
  }

  static int run(String... args) {
    CommandLine cli = Steer4j.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    if (code != 0) System.err.println(err);
    return code;
  }

  private static String[] embedArgs(Path pairs, Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("embed", "input=" + pairs, "output=" + out, "model.path=" + model, "model.tokenizer=" + TOKENIZER,
        "model.dtype=float32", "runtime.threads=1", "run.output_dir=" + dir.resolve("runs"), "batch_size=3", "shard_size=8"));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  @Test
  void prepareThenEmbedMakesAValidPairsDataset() throws Exception {
    Path pairs = dir.resolve("hht/text_pairs.jsonl");
    assertEquals(0, run("prepare", "input=" + ULTRAFEEDBACK_SAMPLE, "output=" + pairs, "subset=hht"));
    assertTrue(Files.exists(dir.resolve("hht/text_pairs.summary.json")));
    TextPairs table = TextPairs.read(pairs);
    assertEquals(20, table.size());

    Path out = dir.resolve("hht/embeddings");
    assertEquals(0, run(embedArgs(pairs, out)));
    PairsDataset ds = PairsDataset.read(out);
    assertEquals(20, ds.size(), "no pair reaches 1024 tokens");
    assertEquals(32, ds.width());
    assertEquals(List.of("helpfulness", "honesty", "truthfulness"), ds.labels());
    assertTrue(!Files.exists(out.resolve("shards")), "shards are removed once assembled");
    for (int i = 0; i < ds.size(); ++i) {
      assertEquals(table.pairs().get(i).split(), ds.split(i));
      for (int l = 0; l < 3; ++l) assertEquals(table.pairs().get(i).choices()[l], ds.choice(l, i));
    }

    // row 0's features are the final hidden state at an EOS appended to the plain text, computed here unbatched
    try (PointerScope scope = new PointerScope(); TextTokenizer tok = TextTokenizer.load(TOKENIZER)) {
      DecoderLm lm = DecoderLm.load(model, ModelDtype.FLOAT32, new Device("cpu"));
      TextPairs.Pair first = table.pairs().get(0);
      long[] ids = tok.encode(ChatFormat.PLAIN, ChatFormat.PLAIN.render(null, first.prompt(), first.responseB()));
      assertEquals(tok.tokenId("<|begin_of_text|>").getAsLong(), ids[0]);
      long[] withEos = java.util.Arrays.copyOf(ids, ids.length + 1);
      withEos[ids.length] = 337;
      Tensor h = lm.hiddenStates(org.bytedeco.pytorch.global.torch.tensor(withEos).view(1, -1), null, ForwardOptions.BASE).select(1, ids.length).squeeze(0);
      double diff = h.sub(ds.featuresB().select(0, 0)).abs().max().item_double();
      assertTrue(diff < 1e-5, "features_b[0] differs from the model's EOS state by " + diff);
    }
  }

  @Test
  void prepareEmbedTrainAndEvaluateRunAsOneExperiment() throws Exception {
    // The shipped HHT experiment's pipeline (prepare.yaml, embed.yaml), pointed at the fixture and
    // the tiny model, with an NP-BTL small enough for 20 pairs (16 train, 2 val, 2 test): T = 2.
    Path root = dir.resolve("pipeline");
    Files.createDirectories(root);
    Path shipped = Path.of("../configs/hht_reward").toAbsolutePath().normalize();
    Files.writeString(root.resolve("np.yaml"), "run: {name: np-btl}\nsampler: {batch_size: 4, targets: 2, min_context: 0, max_context: 1}\n"
        + "model: {type: np_btl, hidden: 16, heads: 2, context_encoder: linear}\ntrain: {steps: 12, val_every: 6, val_batches: 1, lr: 1.0e-3}\n");
    Path experiment = root.resolve("experiment.yaml");
    Files.writeString(experiment, String.join("\n",
        "run: {name: uf-e2e, output_dir: " + root.resolve("runs") + "}",
        "runtime: {threads: 1}",
        "data: {source: pairs, labels: [helpfulness, honesty, truthfulness]}",
        "eval: {contexts: [0, 1], batches: 2, batch_size: 4, targets: 2}",
        "models: [np.yaml]",
        "curves: false",
        "pipeline:",
        "  prepare: " + shipped.resolve("prepare.yaml"),
        "  prepare_overrides: [input=" + ULTRAFEEDBACK_SAMPLE.toAbsolutePath() + ", output=" + root.resolve("text_pairs.jsonl") + "]",
        "  embed: " + shipped.resolve("embed.yaml"),
        "  embed_overrides: [input=" + root.resolve("text_pairs.jsonl") + ", output=" + root.resolve("embedded") + ", model.path=" + model
            + ", model.tokenizer=" + TOKENIZER.toAbsolutePath() + ", model.dtype=float32, runtime.device=cpu, runtime.threads=1, batch_size=3, shard_size=8]",
        ""));
    assertEquals(0, run("experiment", experiment.toString()));
    Path runDir;
    try (Stream<Path> days = Files.list(root.resolve("runs")); Stream<Path> runs = Files.list(days.findFirst().orElseThrow())) {
      runDir = runs.findFirst().orElseThrow();
    }
    List<String> csv = Files.readAllLines(runDir.resolve("results.csv"));
    assertEquals("model,label,context,accuracy,sem", csv.get(0));
    for (String label : List.of("helpfulness", "honesty", "truthfulness")) {
      assertTrue(csv.stream().anyMatch(l -> l.startsWith("np-btl," + label + ",1,")), label + " at C = 1 in " + csv);
    }
    assertEquals(20, PairsDataset.read(root.resolve("embedded")).size());
    String card = Files.readString(runDir.resolve("models/np-btl/checkpoints/best/model.yaml"));
    assertTrue(card.contains("input_width: 32"), "the reward model reads the 32-d embeddings: " + card);
  }

  @Test
  void theLengthFilterDropsPairsWithALongOption() throws Exception {
    Path pairs = dir.resolve("hh/text_pairs.jsonl");
    assertEquals(0, run("prepare", "input=" + ULTRAFEEDBACK_SAMPLE, "output=" + pairs, "subset=hh"));
    TextPairs table = TextPairs.read(pairs);
    int[] longest = new int[table.size()];  // the longer option of each pair, in tokens without EOS
    try (TextTokenizer tok = TextTokenizer.load(TOKENIZER)) {
      for (int i = 0; i < table.size(); ++i) {
        TextPairs.Pair p = table.pairs().get(i);
        List<long[]> ids = Embedder.encode(tok, ChatFormat.PLAIN, null, List.of(new String[] {p.prompt(), p.responseA()}, new String[] {p.prompt(), p.responseB()}));
        longest[i] = Math.max(ids.get(0).length, ids.get(1).length);
      }
    }
    int maxLength = java.util.Arrays.stream(longest).sorted().toArray()[table.size() / 2];  // the median: about half are dropped
    int expected = (int) java.util.Arrays.stream(longest).filter(l -> l < maxLength).count();
    assertTrue(expected > 0 && expected < table.size(), "the fixture should straddle the limit: " + expected);
    Path out = dir.resolve("hh/short");
    assertEquals(0, run(embedArgs(pairs, out, "text.max_length=" + maxLength)));
    assertEquals(expected, PairsDataset.read(out).size());
    assertEquals(expected + 1, Files.readAllLines(out.resolve(Embed.SOURCE_INDEX)).size());
  }

  @Test
  void aRestartReusesFinishedShardsAndRefusesOtherSettings() throws Exception {
    Path pairs = dir.resolve("all/text_pairs.jsonl");
    assertEquals(0, run("prepare", "input=" + ULTRAFEEDBACK_SAMPLE, "output=" + pairs, "subset=hh"));
    Path out = dir.resolve("all/resumable");
    assertEquals(0, run(embedArgs(pairs, out, "keep_shards=true")));
    Tensor before = PairsDataset.read(out).featuresA();
    List<Path> shards;
    try (Stream<Path> s = Files.list(out.resolve("shards"))) {
      shards = s.sorted().toList();
    }
    assertTrue(shards.size() >= 3, shards.toString());
    // as if the first run died after its first shard: the others and the dataset are gone
    for (Path p : shards.subList(1, shards.size())) Files.delete(p);
    Files.delete(out.resolve(PairsDataset.FEATURES));
    long firstShardTime = Files.getLastModifiedTime(shards.get(0)).toMillis();
    assertEquals(0, run(embedArgs(pairs, out, "keep_shards=true")));
    assertEquals(firstShardTime, Files.getLastModifiedTime(shards.get(0)).toMillis(), "the finished shard is reused, not rewritten");
    assertTrue(before.equal(PairsDataset.read(out).featuresA()), "same embeddings after the restart");

    assertEquals(2, run(embedArgs(pairs, out, "keep_shards=true", "text.format=llama3")), "other settings must not mix into the shards");
  }
}
