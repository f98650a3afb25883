package org.steer4j.io;

import static org.bytedeco.pytorch.global.torch.from_blob;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.runtime.AtomicFiles;
import org.steer4j.runtime.Native;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__":
 * {..}}}, then the raw little-endian data. Used for pairs datasets, checkpoints of our models
 * and Hugging Face weights.
 *
 * <p>Reading validates the whole header against the file size before any tensor is touched, so
 * a truncated or malformed file fails with a message naming the file and the tensor. Each
 * tensor's bytes are memory-mapped and copied once into an owned LibTorch tensor (Java maps at
 * most 2 GiB at once: mapping per tensor keeps multi-GiB shards readable).
 */
public final class SafeTensors implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_HEADER = 100_000_000L;  // the reference library's limit

  /** One tensor's entry in the header. */
  public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    /** The element count; validated headers never overflow it. */
    public long numel() {
      long n = 1;
      for (long s : shape) n = Math.multiplyExact(n, s);
      return n;
    }
  }

  private final Path file;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  private SafeTensors(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
    this.file = file;
    this.channel = channel;
    this.dataStart = dataStart;
    this.entries = entries;
    this.metadata = metadata;
  }

  /** Opens and validates {@code file}. */
  public static SafeTensors open(Path file) {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new SafeTensorsException(file + ": no such file");
    } catch (IOException e) {
      throw new SafeTensorsException(file + ": can't open: " + e.getMessage(), e);
    }
    try {
      long size = channel.size();
      if (size < 8) throw new SafeTensorsException(file + ": truncated: " + size + " bytes, no header");
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.flip().getLong();
      if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > size) {
        throw new SafeTensorsException(file + ": invalid header length " + headerLength + " for a file of " + size
            + " bytes (truncated or not a safetensors file)");
      }
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8);
      JsonNode header;
      try {
        String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(headerBytes.flip()).toString();
        header = JSON.readTree(text);
      } catch (java.nio.charset.CharacterCodingException e) {
        throw new SafeTensorsException(file + ": header is not valid UTF-8");
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new SafeTensorsException(file + ": malformed JSON header: " + JsonErrors.describe(e));
      }
      if (header == null || !header.isObject()) throw new SafeTensorsException(file + ": header is not a JSON object");
      long dataStart = 8 + headerLength;
      var parsed = parseHeader(file, header, size - dataStart);
      SafeTensors st = new SafeTensors(file, channel, dataStart, parsed.entries(), parsed.metadata());
      channel = null;  // owned by st now
      return st;
    } catch (IOException e) {
      throw new SafeTensorsException(file + ": can't read: " + e.getMessage(), e);
    } finally {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // already failing
        }
      }
    }
  }

  private record Header(Map<String, Entry> entries, Map<String, String> metadata) {}

  private static Header parseHeader(Path file, JsonNode header, long dataBytes) {
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator(); it.hasNext(); ) {
      var field = it.next();
      String name = field.getKey();
      JsonNode node = field.getValue();
      if (name.equals("__metadata__")) {
        if (!node.isObject()) throw new SafeTensorsException(file + ": __metadata__ must be an object of strings");
        node.properties().forEach(m -> {
          if (!m.getValue().isTextual()) throw new SafeTensorsException(file + ": __metadata__ value of '" + m.getKey() + "' is not a string");
          metadata.put(m.getKey(), m.getValue().asText());
        });
        continue;
      }
      if (!node.isObject()) throw new SafeTensorsException(file + ": tensor '" + name + "': entry must be an object");
      String where = file + ": tensor '" + name + "'";
      JsonNode dtype = node.get("dtype"), shape = node.get("shape"), offsets = node.get("data_offsets");
      if (dtype == null || shape == null || !shape.isArray() || offsets == null || !offsets.isArray() || offsets.size() != 2) {
        throw new SafeTensorsException(where + ": entry needs dtype, shape and data_offsets [begin, end]");
      }
      DType type = DType.fromCode(dtype.asText(), where);
      long[] dims = new long[shape.size()];
      for (int i = 0; i < dims.length; ++i) {
        JsonNode d = shape.get(i);
        dims[i] = d.canConvertToLong() && d.isIntegralNumber() ? d.asLong() : -1;
        if (dims[i] < 0) throw new SafeTensorsException(where + ": invalid shape " + shape);
      }
      JsonNode b = offsets.get(0), e = offsets.get(1);
      long begin = b.isIntegralNumber() && b.canConvertToLong() ? b.asLong() : -1, end = e.isIntegralNumber() && e.canConvertToLong() ? e.asLong() : -1;
      Entry entry = new Entry(name, type, dims, begin, end);
      if (begin < 0 || end < begin) throw new SafeTensorsException(where + ": invalid data_offsets " + offsets);
      if (end > dataBytes) {
        throw new SafeTensorsException(where + ": data_offsets " + offsets + " exceed the " + dataBytes + " data bytes of the file (truncated file?)");
      }
      long bytes;
      try {
        bytes = Math.multiplyExact(entry.numel(), (long) type.size());
      } catch (ArithmeticException overflow) {
        throw new SafeTensorsException(where + ": shape " + Arrays.toString(dims) + " of " + type + " overflows 64-bit byte counts");
      }
      if (end - begin != bytes) {
        throw new SafeTensorsException(where + ": " + (end - begin) + " bytes for shape " + Arrays.toString(dims) + " of " + type + " (expected " + bytes + ")");
      }
      entries.put(name, entry);
    }
    // As the reference library validates: sorted by (begin, end), the tensors tile the data
    // section exactly, with no gap, no overlap and nothing after the last one (zero-size tensors
    // may sit anywhere, even at another tensor's start).
    List<Entry> sorted = new ArrayList<>(entries.values());
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long expected = 0;
    Entry previous = null;
    for (Entry t : sorted) {
      if (t.begin() != expected) {
        String what = t.begin() < expected ? "overlaps tensor '" + previous.name() + "'" : "leaves a gap of " + (t.begin() - expected) + " bytes before it";
        throw new SafeTensorsException(file + ": tensor '" + t.name() + "' at data_offsets [" + t.begin() + ", " + t.end() + "] " + what);
      }
      expected = t.end();
      previous = t;
    }
    if (expected != dataBytes) {
      throw new SafeTensorsException(file + ": the tensors cover " + expected + " of the " + dataBytes + " data bytes"
          + (expected > dataBytes ? " (truncated file?)" : " (trailing bytes after the last tensor)"));
    }
    return new Header(Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata));
  }

  public Path file() {
    return file;
  }

  public Set<String> names() {
    return entries.keySet();
  }

  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  public Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) throw new SafeTensorsException(file + ": no tensor '" + name + "' (has " + entries.keySet() + ")");
    return e;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  /** The tensor {@code name} as an owned CPU tensor of its stored dtype. */
  public Tensor tensor(String name) {
    Entry e = entry(name);
    Native.ensureInit();
    if (e.numel() == 0) return org.steer4j.runtime.Tensors.empty(new TensorOptions(e.dtype().scalarType()), e.shape());
    try {
      MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin());
      Pointer data = new Pointer(mapped);
      Tensor view = from_blob(data, e.shape(), new TensorOptions(e.dtype().scalarType()));
      return view.clone();  // owned copy; the mapping is released with `mapped`
    } catch (IOException ex) {
      throw new SafeTensorsException(file + ": can't read tensor '" + name + "': " + ex.getMessage(), ex);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new SafeTensorsException(file + ": close failed: " + e.getMessage(), e);
    }
  }

  /** Writes {@code tensors} (any device; copied to CPU) and {@code metadata} atomically. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      // sorted: a Map.of's order changes between JVM runs, and the same run must give the same bytes
      new java.util.TreeMap<>(metadata).forEach(meta::put);
    }
    List<Tensor> data = new ArrayList<>();
    long offset = 0;
    for (var e : tensors.entrySet()) {
      Tensor t = e.getValue().detach().cpu().contiguous();
      DType type = DType.of(t.scalar_type(), file + ": tensor '" + e.getKey() + "'");
      long bytes = t.numel() * type.size();
      ObjectNode node = header.putObject(e.getKey());
      node.put("dtype", type.code());
      var shape = node.putArray("shape");
      for (long s : t.sizes().vec().get()) shape.add(s);
      node.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
      data.add(t);
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;  // data starts 8-byte aligned
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) head.put((byte) ' ');
    head.flip();
    AtomicFiles.write(file, out -> {
      WritableByteChannel channel = java.nio.channels.Channels.newChannel(out);
      channel.write(head);
      for (Tensor t : data) {
        long bytes = t.numel() * t.element_size();
        if (bytes == 0) continue;
        ByteBuffer buffer = new BytePointer(t.data_ptr()).capacity(bytes).limit(bytes).asByteBuffer();
        while (buffer.hasRemaining()) channel.write(buffer);
      }
      out.flush();
    });
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position + buffer.position());
      if (n < 0) throw new IOException("unexpected end of file");
    }
  }

  /** Element types of the format and their LibTorch counterparts. */
  public enum DType {
    F64("F64", 8, ScalarType.Double),
    F32("F32", 4, ScalarType.Float),
    F16("F16", 2, ScalarType.Half),
    BF16("BF16", 2, ScalarType.BFloat16),
    I64("I64", 8, ScalarType.Long),
    I32("I32", 4, ScalarType.Int),
    I16("I16", 2, ScalarType.Short),
    I8("I8", 1, ScalarType.Char),
    U8("U8", 1, ScalarType.Byte),
    BOOL("BOOL", 1, ScalarType.Bool);

    private final String code;
    private final int size;
    private final ScalarType scalarType;

    DType(String code, int size, ScalarType scalarType) {
      this.code = code;
      this.size = size;
      this.scalarType = scalarType;
    }

    public String code() {
      return code;
    }

    public int size() {
      return size;
    }

    public ScalarType scalarType() {
      return scalarType;
    }

    static DType fromCode(String code, String where) {
      for (DType t : values()) if (t.code.equals(code)) return t;
      throw new SafeTensorsException(where + ": unsupported dtype '" + code + "'");
    }

    static DType of(ScalarType type, String where) {
      for (DType t : values()) if (t.scalarType.value == type.value) return t;
      throw new SafeTensorsException(where + ": dtype " + type + " can't be stored in safetensors");
    }
  }
}
