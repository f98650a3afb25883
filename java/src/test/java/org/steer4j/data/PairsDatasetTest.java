package org.steer4j.data;

import static org.bytedeco.pytorch.global.torch.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.io.SafeTensors;
import org.steer4j.io.SafeTensorsException;
import org.steer4j.runtime.Native;

/** The pairs dataset format round-trips, and every kind of broken file gets a clear error. */
class PairsDatasetTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(1);
  }

  Path valid() throws Exception {
    Split[] splits = {Split.TRAIN, Split.VAL, Split.TEST, Split.TRAIN};
    byte[][] choices = {{0, 1, PairsDataset.TIE, 1}, {1, 1, 0, 0}};
    Path d = dir.resolve("ok");
    PairsDataset.of(randn(4, 3), randn(4, 3), List.of("helpfulness", "honesty"), splits, choices).write(d);
    return d;
  }

  DatasetException fails(Path d) {
    return assertThrows(DatasetException.class, () -> PairsDataset.read(d));
  }

  @Test
  void roundTripsFeaturesSplitsAndChoicesWithTies() throws Exception {
    Path d = valid();
    PairsDataset back = PairsDataset.read(d);
    assertEquals(List.of("helpfulness", "honesty"), back.labels());
    assertEquals(3, back.width());
    assertEquals(PairsDataset.TIE, back.choice(0, 2));
    assertEquals(Split.VAL, back.split(1));
    assertTrue(Files.readString(d.resolve("pairs.csv")).startsWith("idx,split,choice_helpfulness,choice_honesty\n0,train,0,1\n"));
    assertTrue(Files.readString(d.resolve("pairs.csv")).contains("2,test,,0\n"), "a tie is an empty field");
  }

  @Test
  void truncatedSafetensorsNamesTheFile() throws Exception {
    Path d = valid();
    Path f = d.resolve("pairs.safetensors");
    byte[] bytes = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(bytes, bytes.length - 10));
    var e = assertThrows(SafeTensorsException.class, () -> PairsDataset.read(d));
    assertTrue(e.getMessage().contains("pairs.safetensors") && e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void wrongShapesDtypesAndMissingTensorsAreNamed() throws Exception {
    Path d = valid();
    SafeTensors.write(d.resolve("pairs.safetensors"), Map.of("features_a", randn(4, 3), "features_b", randn(4, 2)), Map.of());
    assertTrue(fails(d).getMessage().contains("differ in shape"));
    SafeTensors.write(d.resolve("pairs.safetensors"), Map.of("features_a", randn(4, 3), "features_b", randn(4, 3).to(torch.ScalarType.Double)), Map.of());
    assertTrue(fails(d).getMessage().contains("'features_b' is F64, expected F32"));
    SafeTensors.write(d.resolve("pairs.safetensors"), Map.of("features_a", randn(4, 3)), Map.of());
    assertTrue(fails(d).getMessage().contains("missing tensor 'features_b'"));
    SafeTensors.write(d.resolve("pairs.safetensors"), Map.of("features_a", randn(12), "features_b", randn(12)), Map.of());
    assertTrue(fails(d).getMessage().contains("expected [N, D]"));
  }

  @Test
  void nanValuesNameTheRow() throws Exception {
    Path d = valid();
    Tensor a = randn(4, 3);
    a.select(0, 2).select(0, 1).fill_(new org.bytedeco.pytorch.Scalar(Double.NaN));
    SafeTensors.write(d.resolve("pairs.safetensors"), Map.of("features_a", a, "features_b", randn(4, 3)), Map.of());
    var e = fails(d);
    assertTrue(e.getMessage().contains("'features_a' has NaN in row 2"), e.getMessage());
  }

  @Test
  void csvProblemsNameFileAndLine() throws Exception {
    Path d = valid();
    Path csv = d.resolve("pairs.csv");
    String good = Files.readString(csv);
    Files.writeString(csv, good.replace("idx,split,choice_helpfulness,choice_honesty", "idx,choice_helpfulness,choice_honesty"));
    assertTrue(fails(d).getMessage().contains("must be idx,split,choice_<label>"));
    Files.writeString(csv, good.replace("choice_honesty", "honesty"));
    assertTrue(fails(d).getMessage().contains("column 'honesty' must be named choice_<label>"));
    Files.writeString(csv, good.replace("1,val,1,1", "1,val,2,1"));
    var e = fails(d);
    assertTrue(e.getMessage().contains("pairs.csv: line 3: choice_helpfulness '2' must be 0, 1 or empty"), e.getMessage());
    Files.writeString(csv, good.replace("1,val,1,1", "1,dev,1,1"));
    assertTrue(fails(d).getMessage().contains("line 3: split 'dev'"));
    Files.writeString(csv, good.replace("1,val,1,1", "1,val,1"));
    assertTrue(fails(d).getMessage().contains("line 3: 3 fields, expected 4"));
    Files.writeString(csv, good.replace("3,train,1,0\n", ""));
    assertTrue(fails(d).getMessage().contains("3 rows but pairs.safetensors has 4 pairs"));
    Files.writeString(csv, good.replace("3,train", "1,train"));
    assertTrue(fails(d).getMessage().contains("line 5: idx 1 appears twice"));
    Files.writeString(csv, good.replace("3,train", "7,train"));
    assertTrue(fails(d).getMessage().contains("idx 7 outside the 4 rows"));
    Files.delete(csv);
    assertTrue(fails(d).getMessage().endsWith("pairs.csv: no such file"));
  }
}
