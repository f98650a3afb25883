package org.steer4j.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * A SHA-256 over what a computed artifact depends on (model weights, token ids, files, settings),
 * used as the key of on-disk caches: equal fingerprints mean equal inputs, so the artifact can be
 * reused; any change gives another key. Every field is written with its length or shape, so
 * adjacent fields can't run into each other.
 */
public final class Fingerprint {
  private final MessageDigest digest;
  private String hex;  // once computed: the digest is final (MessageDigest.digest() resets it)

  public Fingerprint() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public Fingerprint add(String s) {
    sealed();
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    add(b.length);
    digest.update(b);
    return this;
  }

  public Fingerprint add(long v) {
    sealed();
    digest.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    return this;
  }

  public Fingerprint add(long[] values) {
    sealed();
    add(values.length);
    ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) b.putLong(v);
    digest.update(b.array());
    return this;
  }

  /** A tensor's dtype, shape and bytes (copied to the CPU one tensor at a time). */
  public Fingerprint add(Tensor t) {
    sealed();
    try (PointerScope scope = new PointerScope()) {
      Tensor c = t.detach().cpu().contiguous();
      add(c.scalar_type().intern().name());
      add(c.sizes().vec().get());
      long n = c.nbytes();
      if (n > 0) {
        BytePointer p = new BytePointer(c.data_ptr()).capacity(n);
        digest.update(p.asBuffer());
      }
    }
    return this;
  }

  /** Named tensors, in the map's order. */
  public Fingerprint add(Map<String, Tensor> tensors) {
    sealed();
    add(tensors.size());
    for (var e : tensors.entrySet()) add(e.getKey()).add(e.getValue());
    return this;
  }

  /** A file's bytes. */
  public Fingerprint addFile(Path file) {
    sealed();
    try (InputStream in = Files.newInputStream(file)) {
      add(file.getFileName().toString());
      add(Files.size(file));
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
    } catch (IOException e) {
      throw new UncheckedIOException("can't read " + file + " to fingerprint it", e);
    }
    return this;
  }

  /** The SHA-256 of a file's bytes in hex, as {@code sha256sum} prints it. */
  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) d.update(buffer, 0, n);
      return HexFormat.of().formatHex(d.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("can't read " + file + " to hash it", e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The fingerprint in hex (64 characters); the builder can't be used afterwards. */
  private void sealed() {
    if (hex != null) throw new IllegalStateException("Fingerprint: a field added after hex() was read");
  }

  /** The fingerprint; the same on every call, and no field can be added after the first. */
  public String hex() {
    if (hex == null) hex = HexFormat.of().formatHex(digest.digest());
    return hex;
  }
}
