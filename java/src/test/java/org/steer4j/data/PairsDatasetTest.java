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
    assertTrue(e.getMessage().contains("'features_a' has NaN in row 2, column 1"), e.getMessage());
  }

  @Test
  void infiniteValuesNameTheRowAndColumn() throws Exception {
    Path d = valid();
    Tensor b = randn(4, 3);
    b.select(0, 3).select(0, 0).fill_(new org.bytedeco.pytorch.Scalar(Double.POSITIVE_INFINITY));
    SafeTensors.write(d.resolve("pairs.safetensors"), Map.of("features_a", randn(4, 3), "features_b", b), Map.of());
    var e = fails(d);
    assertTrue(e.getMessage().contains("pairs.safetensors: 'features_b' has +Inf in row 3, column 0"), e.getMessage());
  }

  /**
   * pairs.csv as pandas writes it with {@code to_csv(index=False, encoding="utf-8-sig",
   * lineterminator="\r\n", quoting=csv.QUOTE_ALL)}, choice columns holding ties as floats (NaN
   * makes pandas store 0.0 / 1.0), reads as the plain file does.
   */
  @Test
  void aPairsCsvWrittenByPandasReadsTheSame() throws Exception {
    Path d = valid();
    PairsDataset plain = PairsDataset.read(d);
    String pandas = "\uFEFF\"idx\",\"split\",\"choice_helpfulness\",\"choice_honesty\"\r\n"
        + "\"0\",\"train\",\"0.0\",\"1\"\r\n\"1\",\"val\",\"1.0\",\"1\"\r\n\"2\",\"test\",\"\",\"0\"\r\n\"3\",\"train\",\"1.0\",\"0\"\r\n";
    Files.writeString(d.resolve("pairs.csv"), pandas);
    PairsDataset back = PairsDataset.read(d);
    assertEquals(plain.labels(), back.labels());
    for (int r = 0; r < 4; ++r) {
      assertEquals(plain.split(r), back.split(r));
      for (int l = 0; l < 2; ++l) assertEquals(plain.choice(l, r), back.choice(l, r));
    }
  }

  @Test
  void aPairsCsvThatIsNotUtf8NamesTheLine() throws Exception {
    Path d = valid();
    Files.write(d.resolve("pairs.csv"), "idx,split,choice_helpfulness,choice_honesty\n0,train,0,1\n1,v\u00e4l,1,1\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    var e = assertThrows(org.steer4j.runtime.InputException.class, () -> PairsDataset.read(d));
    assertTrue(e.getMessage().endsWith("pairs.csv: line 3: not valid UTF-8 (save the file as UTF-8)"), e.getMessage());
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
