package org.steer4j.recipes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.data.PairsDataset;
import org.steer4j.run.MetricsLog;
import org.steer4j.runtime.Native;

/**
 * {@code steer4j embed --nproc 2} (two rank JVMs of one thread, c10d / Gloo over loopback) on the
 * tiny random Llama and the UltraFeedback sample, against one process of one thread: rank r
 * embeds the shards k with k % 2 = r (5 shards: 3 + 2, the last one short), rank 0 alone makes a
 * run directory and assembles, and every output file (dataset, source index, manifest, provenance,
 * each shard) is the single process's byte for byte. Then a shard of rank 1 is deleted and the
 * output resumed by one process: that shard alone is embedded again, and the files are again the
 * single process's.
 */
class DataParallelEmbedTest {
  @TempDir static Path dir;
  static Path model, pairs;

  @BeforeAll
  static void fixtures() throws Exception {
    Native.init(1);
    model = PrepareEmbedEndToEndTest.saveTinyLlama(dir.resolve("tiny-llama"));
    pairs = dir.resolve("text_pairs.jsonl");
    assertEquals(0, PrepareEmbedEndToEndTest.run("prepare", "input=" + PrepareEmbedEndToEndTest.ULTRAFEEDBACK_SAMPLE, "output=" + pairs, "subset=hh"));
  }

  /** embed of the fixture into {@code out}, keeping its shards, with its run directory under {@code runs}. */
  static String[] embedArgs(Path out, Path runs, String... extra) {
    List<String> args = new ArrayList<>(List.of("embed", "input=" + pairs, "output=" + out, "model.path=" + model,
        "model.tokenizer=" + PrepareEmbedEndToEndTest.TOKENIZER, "model.dtype=float32", "run.output_dir=" + runs, "batch_size=3", "shard_size=7",
        "keep_shards=true"));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  /** Every file under {@code root} (relative name -> bytes), sorted by name. */
  static Map<String, byte[]> files(Path root) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) out.put(root.relativize(p).toString(), Files.readAllBytes(p));
    }
    return out;
  }

  static void assertSameFiles(Path expected, Path actual, String what) throws IOException {
    Map<String, byte[]> a = files(expected), b = files(actual);
    assertEquals(a.keySet(), b.keySet(), what + ": the files");
    for (String name : a.keySet()) assertArrayEquals(a.get(name), b.get(name), what + ": " + name + " differs from the single process's");
  }

  /** The only run directory under {@code runs} (date/time-name); fails if there are several. */
  static Path onlyRun(Path runs) throws IOException {
    List<Path> found;
    try (Stream<Path> s = Files.walk(runs, 2)) {
      found = s.filter(p -> runs.relativize(p).getNameCount() == 2).toList();
    }
    assertEquals(1, found.size(), "run directories: " + found);
    return found.get(0);
  }

  @Test
  void twoRanksWriteWhatOneProcessWritesAndAShardOfRankOneResumesOnOne() throws Exception {
    Path one = dir.resolve("one"), two = dir.resolve("two");
    long t0 = System.nanoTime();
    // runtime.threads 2 over 2 ranks: one thread each, as the single process has (the thread count decides the float sums)
    assertEquals(0, PrepareEmbedEndToEndTest.run(embedArgs(two, dir.resolve("runs-two"), "runtime.threads=2", "--nproc", "2", "--dist-timeout", "60")));
    long t1 = System.nanoTime();
    assertEquals(0, PrepareEmbedEndToEndTest.run(embedArgs(one, dir.resolve("runs-one"), "runtime.threads=1")));
    long t2 = System.nanoTime();

    List<Path> shards;
    try (Stream<Path> s = Files.list(one.resolve("shards"))) {
      shards = s.sorted().toList();
    }
    int texts = new com.fasterxml.jackson.databind.ObjectMapper().readTree(one.resolve(Embed.MANIFEST).toFile()).get("texts").asInt();
    assertEquals(30, texts, "the fixture's distinct texts");
    assertEquals(5, shards.size(), "30 texts in shards of 7: 4 full and one of 2, shards 0, 2, 4 for rank 0 and 1, 3 for rank 1: " + shards);
    int rows = PairsDataset.read(one).size();
    assertTrue(rows > 0);
    assertSameFiles(one, two, "two ranks");

    // Rank 0 alone made a run directory, and its metrics hold every shard, each from the rank that embedded it.
    Path run = onlyRun(dir.resolve("runs-two"));
    List<ObjectNode> metrics = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertEquals(5, metrics.size(), metrics.toString());
    Map<Long, Integer> rankOf = new TreeMap<>();
    for (ObjectNode m : metrics) rankOf.put(m.get("step").asLong(), m.get("rank").asInt());
    assertEquals(Map.of(0L, 0, 1L, 1, 2L, 0, 3L, 1, 4L, 0), rankOf, metrics.toString());
    assertTrue(Files.readString(run.resolve("run.log")).contains("rank 0 of 2 embeds shards k with k % 2 = 0: 3 of 5 shards"),
        Files.readString(run.resolve("run.log")));

    // As if rank 1 died before its last shard was saved: one process resumes the output.
    Path lost = two.resolve("shards").resolve(shards.get(3).getFileName());
    Files.delete(lost);
    for (String f : List.of(PairsDataset.FEATURES, PairsDataset.TABLE, PairsDataset.SOURCE_INDEX)) Files.delete(two.resolve(f));
    Map<Path, FileTime> kept = new LinkedHashMap<>();
    try (Stream<Path> s = Files.list(two.resolve("shards"))) {
      for (Path p : s.toList()) kept.put(p, Files.getLastModifiedTime(p));
    }
    long t3 = System.nanoTime();
    assertEquals(0, PrepareEmbedEndToEndTest.run(embedArgs(two, dir.resolve("runs-resumed"), "runtime.threads=1")));
    long t4 = System.nanoTime();
    for (var e : kept.entrySet()) assertEquals(e.getValue(), Files.getLastModifiedTime(e.getKey()), e.getKey() + " was rewritten, not reused");
    List<ObjectNode> resumed = MetricsLog.read(onlyRun(dir.resolve("runs-resumed")).resolve("metrics.jsonl"));
    assertEquals(List.of(3L), resumed.stream().map(m -> m.get("step").asLong()).toList(), "only the lost shard is embedded: " + resumed);
    assertSameFiles(one, two, "resumed on one process");
    System.out.printf("sharded embed: %d pairs, %d texts in 5 shards; 2 ranks %.1f s, 1 process %.1f s, resume of 1 shard %.1f s%n", rows, texts, (t1 - t0) / 1e9,
        (t2 - t1) / 1e9, (t4 - t3) / 1e9);
  }
}
