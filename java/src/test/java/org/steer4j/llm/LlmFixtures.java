package org.steer4j.llm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.steer4j.io.SafeTensors;

/**
 * The golden-logit fixtures: data/fixtures/llm/<family>/ (numpy reference,
 * data/fixtures/llm/make_llm_fixtures.py) and, when committed, data/fixtures/llm-hf/<family>/
 * (Hugging Face transformers, benchmarks/gpu/make_hf_fixtures.py). Each folder is a checkpoint
 * plus inputs.safetensors and expected.safetensors.
 */
final class LlmFixtures {
  static final Path ROOT = Path.of("../data/fixtures");

  private LlmFixtures() {}

  record Fixture(String name, Path dir) {
    Tensor input(String key) {
      try (SafeTensors st = SafeTensors.open(dir.resolve("inputs.safetensors"))) {
        return st.tensor(key);
      }
    }

    Tensor expected(String key) {
      try (SafeTensors st = SafeTensors.open(dir.resolve("expected.safetensors"))) {
        return st.tensor(key);
      }
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** Every fixture folder found, numpy ones first. */
  static List<Fixture> all() {
    List<Fixture> out = new ArrayList<>();
    for (String source : new String[] {"llm", "llm-hf"}) {
      Path root = ROOT.resolve(source);
      if (!Files.isDirectory(root)) continue;
      try (Stream<Path> dirs = Files.list(root)) {
        dirs.filter(d -> Files.exists(d.resolve("config.json")) && Files.exists(d.resolve("expected.safetensors")))
            .sorted()
            .forEach(d -> out.add(new Fixture(source + "/" + d.getFileName(), d)));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return out;
  }

  static Path family(String family) {
    return ROOT.resolve("llm").resolve(family);
  }
}
