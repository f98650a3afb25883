package org.steer4j.io;

import static org.bytedeco.pytorch.global.torch.arange;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.steer4j.runtime.Native;

class SafeTensorsTest {
  @TempDir Path dir;

  @BeforeAll
  static void init() {
    Native.init(1);
  }

  @Test
  void roundTripsEveryDtypeBitForBit() throws Exception {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    Tensor base = randn(3, 5);
    tensors.put("f32", base);
    tensors.put("f64", base.to(ScalarType.Double));
    tensors.put("f16", base.to(ScalarType.Half));
    tensors.put("bf16", base.to(ScalarType.BFloat16));
    tensors.put("i64", arange(new Scalar(7)));
    tensors.put("u8", arange(new Scalar(4)).to(ScalarType.Byte));
    tensors.put("empty", randn(0, 3));
    Path file = dir.resolve("t.safetensors");
    SafeTensors.write(file, tensors, Map.of("format", "pt"));
    try (SafeTensors st = SafeTensors.open(file)) {
      assertEquals(tensors.keySet(), st.names());
      assertEquals("pt", st.metadata().get("format"));
      for (var e : tensors.entrySet()) {
        Tensor back = st.tensor(e.getKey());
        assertEquals(e.getValue().scalar_type().value, back.scalar_type().value, e.getKey());
        assertArrayEquals(e.getValue().sizes().vec().get(), back.sizes().vec().get(), e.getKey());
        assertTrue(back.equal(e.getValue()), e.getKey() + " differs after the round trip");
      }
    }
  }

  @Test
  void readsTheFixtureWrittenByAnIndependentWriter() {
    // data/fixtures/safetensors/tiny.safetensors was written by data/fixtures/safetensors/make_tiny.py
    // (Python, struct + json, following the format spec), not by this code.
    Path fixture = Path.of("../data/fixtures/safetensors/tiny.safetensors");
    try (SafeTensors st = SafeTensors.open(fixture)) {
      Tensor a = st.tensor("a");
      assertArrayEquals(new long[] {2, 3}, a.sizes().vec().get());
      float[] values = new float[6];
      a.contiguous().data_ptr_float().get(values);
      assertArrayEquals(new float[] {0f, 0.5f, 1f, 1.5f, 2f, 2.5f}, values);
      Tensor b = st.tensor("b");
      long[] longs = new long[3];
      b.contiguous().data_ptr_long().get(longs);
      assertArrayEquals(new long[] {-1, 0, 1L << 40}, longs);
      Tensor h = st.tensor("h").to(ScalarType.Float);
      float[] halves = new float[2];
      h.contiguous().data_ptr_float().get(halves);
      assertArrayEquals(new float[] {1f, -2.5f}, halves);
      assertEquals("fixture", st.metadata().get("source"));
    }
  }

  @Test
  void truncatedFileNamesTheTensor() throws Exception {
    Path file = dir.resolve("t.safetensors");
    SafeTensors.write(file, Map.of("weights", randn(64, 64)), Map.of());
    byte[] bytes = Files.readAllBytes(file);
    Path cut = dir.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length - 100));
    var e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(cut));
    assertTrue(e.getMessage().contains("cut.safetensors: tensor 'weights'") && e.getMessage().contains("truncated"), e.getMessage());
    Path stub = dir.resolve("stub.safetensors");
    Files.write(stub, Arrays.copyOf(bytes, 5));
    e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(stub));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void malformedHeadersAreReported() throws Exception {
    var e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(write("{not json")));
    assertTrue(e.getMessage().contains("malformed JSON header"), e.getMessage());
    e = assertThrows(SafeTensorsException.class,
        () -> SafeTensors.open(write("{\"x\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 16)));
    assertTrue(e.getMessage().contains("tensor 'x': 12 bytes for shape [2, 2] of F32 (expected 16)"), e.getMessage());
    e = assertThrows(SafeTensorsException.class,
        () -> SafeTensors.open(write("{\"x\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1)));
    assertTrue(e.getMessage().contains("unsupported dtype 'Q4'"), e.getMessage());
    e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(dir.resolve("missing.safetensors")));
    assertTrue(e.getMessage().endsWith("missing.safetensors: no such file"), e.getMessage());
  }

  /**
   * Validation as the reference library's ({@code safetensors}' Rust {@code Metadata::validate}):
   * entries sorted by (begin, end) tile the data section exactly; shapes that overflow 64-bit
   * byte counts are refused in the header check (before any tensor is made); metadata values
   * are strings; the header is UTF-8.
   */
  @Test
  void validatesAsTheReferenceLibraryDoes() throws Exception {
    // a zero-size tensor at another tensor's start is valid (the reference sorts by (begin, end))
    try (SafeTensors st = SafeTensors.open(write(
        "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]}}", 8))) {
      assertEquals(0, st.tensor("a").numel());
      assertEquals(2, st.tensor("b").numel());
    }
    var e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(write(
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[4611686018427387905,4],\"data_offsets\":[0,16]}}", 16)));
    assertTrue(e.getMessage().contains("tensor 'x'") && e.getMessage().contains("overflows"), e.getMessage());
    e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(write(
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)));
    assertTrue(e.getMessage().contains("tensor 'x'") && e.getMessage().contains("gap of 4 bytes"), e.getMessage());
    e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(write(
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)));
    assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
    e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(write(
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12)));
    assertTrue(e.getMessage().contains("cover 4 of the 12 data bytes"), e.getMessage());
    e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(write("{\"__metadata__\":{\"steps\":3}}")));
    assertTrue(e.getMessage().contains("__metadata__ value of 'steps' is not a string"), e.getMessage());
    e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(write(
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4)));
    assertTrue(e.getMessage().contains("invalid shape"), e.getMessage());
    byte[] bad = "{\"\u00ff\":1}".getBytes(StandardCharsets.ISO_8859_1);  // a lone 0xFF byte
    ByteBuffer b = ByteBuffer.allocate(8 + bad.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(bad.length).put(bad);
    Path file = Files.createTempFile(dir, "u", ".safetensors");
    Files.write(file, b.array());
    e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(file));
    assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
  }

  private Path write(String header) throws Exception {
    return write(header, 0);
  }

  private Path write(String header, int dataBytes) throws Exception {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json);
    Path file = Files.createTempFile(dir, "h", ".safetensors");
    Files.write(file, b.array());
    return file;
  }

}
