package org.steer4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.recipes.SmokeConfig;

/** YAML configs load into validated records; every mistake names the file and the key. */
class ConfigsTest {
  @TempDir Path dir;

  Path write(String name, String yaml) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, yaml);
    return file;
  }

  @Test
  void missingKeysTakeTheRecordDefaults() throws Exception {
    SmokeConfig c = Configs.load(SmokeConfig.class, write("a.yaml", "tasks: 8\nruntime:\n  threads: 1\n"), List.of());
    assertEquals(8, c.tasks());
    assertEquals(1, c.runtime().threads());
    assertEquals(SmokeConfig.defaults().hidden(), c.hidden());
    assertEquals(RuntimeConfig.defaults().seed(), c.runtime().seed());
  }

  @Test
  void cudaWithoutACudaDeviceIsOneLineNamingTheKey() {
    org.steer4j.runtime.Native.init(1);
    if (org.bytedeco.pytorch.global.torch.cuda_is_available()) {
      assertTrue(RuntimeConfig.Device.CUDA.torch().is_cuda());
      return;
    }
    // was the dispatcher's "Could not run 'aten::empty_strided' with arguments from the 'CUDA' backend" and a stack trace, exit 70
    var e = assertThrows(ConfigException.class, RuntimeConfig.Device.CUDA::torch);
    assertTrue(e.getMessage().startsWith("runtime.device: cuda, but LibTorch sees no CUDA device here") && e.getMessage().endsWith("set runtime.device=cpu"),
        e.getMessage());
    assertTrue(RuntimeConfig.Device.CPU.torch().is_cpu());
  }

  @Test
  void unknownKeyIsNamedWithItsPathAndTheValidKeys() throws Exception {
    Path file = write("bad.yaml", "runtime:\n  thraeds: 2\n");
    var e = assertThrows(ConfigException.class, () -> Configs.load(SmokeConfig.class, file, List.of()));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("'runtime.thraeds': unknown key (did you mean 'threads'?)"), e.getMessage());
    assertTrue(e.getMessage().contains("valid keys in runtime: seed, threads, device, dtype"), e.getMessage());
  }

  @Test
  void unknownTopLevelKeyListsTopLevelKeys() throws Exception {
    Path file = write("bad.yaml", "hiden: 3\n");
    var e = assertThrows(ConfigException.class, () -> Configs.load(SmokeConfig.class, file, List.of()));
    assertTrue(e.getMessage().contains("'hiden': unknown key (did you mean 'hidden'?)"), e.getMessage());
    assertTrue(e.getMessage().contains("valid keys: run, runtime, tasks"), e.getMessage());
  }

  @Test
  void overridesApplyLikeHydra() throws Exception {
    Path file = write("a.yaml", "tasks: 8\n");
    SmokeConfig c = Configs.load(SmokeConfig.class, file, List.of("tasks=3", "runtime.seed=42", "lr=1e-2", "run.name=x"));
    assertEquals(3, c.tasks());
    assertEquals(42, c.runtime().seed());
    assertEquals(1e-2, c.lr());
    assertEquals("x", c.run().name());
  }

  @Test
  void misspeltOverrideIsRefused() throws Exception {
    Path file = write("a.yaml", "tasks: 8\n");
    var e = assertThrows(ConfigException.class, () -> Configs.load(SmokeConfig.class, file, List.of("runtime.sed=1")));
    assertTrue(e.getMessage().contains("'runtime.sed': unknown key (did you mean 'seed'?)"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> Configs.load(SmokeConfig.class, file, List.of("tasks")));
    assertTrue(e.getMessage().contains("expected key=value"), e.getMessage());
  }

  @Test
  void malformedYamlReportsFileAndLine() throws Exception {
    Path file = write("broken.yaml", "tasks: 8\nruntime:\n  threads: [1, 2\n");
    var e = assertThrows(ConfigException.class, () -> Configs.load(SmokeConfig.class, file, List.of()));
    assertTrue(e.getMessage().startsWith(file + ":"), e.getMessage());
    assertTrue(e.getMessage().contains("malformed YAML"), e.getMessage());
  }

  @Test
  void invalidValuesFailValidationWithTheFileNamed() throws Exception {
    Path file = write("a.yaml", "runtime:\n  threads: -1\n");
    var e = assertThrows(ConfigException.class, () -> Configs.load(SmokeConfig.class, file, List.of()));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("threads must be >= 0"), e.getMessage());
    Path wrongType = write("b.yaml", "tasks: many\n");
    e = assertThrows(ConfigException.class, () -> Configs.load(SmokeConfig.class, wrongType, List.of()));
    assertTrue(e.getMessage().contains("tasks"), e.getMessage());
  }

  @Test
  void unknownEnumValueListsTheValidOnes() throws Exception {
    Path file = write("a.yaml", "runtime:\n  device: tpu\n");
    var e = assertThrows(ConfigException.class, () -> Configs.load(SmokeConfig.class, file, List.of()));
    assertTrue(e.getMessage().contains("'runtime.device': unknown value 'tpu'; valid values: cpu, cuda"), e.getMessage());
  }

  @Test
  void anEmptyFileIsAnErrorNotEveryDefault() throws Exception {
    Path empty = dir.resolve("empty.yaml");
    Files.writeString(empty, "# nothing yet\n\n");
    var e = assertThrows(ConfigException.class, () -> Configs.load(SmokeConfig.class, empty, List.of("hidden=8")));
    assertTrue(e.getMessage().equals(empty + ": the file is empty (no keys)"), e.getMessage());
  }

  @Test
  void yamlWithAByteOrderMarkAndCrlfLineEndsReads() throws Exception {
    Path f = dir.resolve("windows.yaml");
    Files.writeString(f, "\uFEFFhidden: 24\r\ntasks: 3\r\n");
    SmokeConfig c = Configs.load(SmokeConfig.class, f, List.of());
    assertEquals(24, c.hidden());
    assertEquals(3, c.tasks());
  }

  @Test
  void missingFileIsReported() {
    var e = assertThrows(ConfigException.class, () -> Configs.load(SmokeConfig.class, dir.resolve("none.yaml"), List.of()));
    assertTrue(e.getMessage().endsWith("none.yaml: no such file"), e.getMessage());
  }

  @Test
  void effectiveConfigRoundTrips() throws Exception {
    SmokeConfig c = Configs.defaults(SmokeConfig.class, List.of("tasks=5", "runtime.dtype=bfloat16"));
    Path saved = dir.resolve("config.yaml");
    Configs.save(c, saved);
    String yaml = Files.readString(saved);
    assertTrue(yaml.contains("dtype: bfloat16") && yaml.contains("rows_per_task:"), yaml);
    assertEquals(c, Configs.load(SmokeConfig.class, saved, List.of()));
  }
}
