package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.zeros;

import java.util.Arrays;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;

/**
 * Keys and values of past positions for incremental decoding: per layer two tensors
 * [N, Hkv, capacity, Dh], allocated once, and the number of positions each sequence holds.
 *
 * <p>Slot j of sequence n holds the token at absolute position j, so a forward of S new tokens
 * writes them at slots {@code length(n) .. length(n)+S-1}, rotates them by those positions, and
 * attends to slots {@code <= } its own. A right-padded chunk advances each sequence only by its
 * real tokens; the padded slots it wrote are never attended and are overwritten by the next step.
 */
public final class KvCache {
  private final Tensor[] keys, values;
  private final long[] lengths;
  private final int capacity;

  private KvCache(Tensor[] keys, Tensor[] values, int batch, int capacity) {
    this.keys = keys;
    this.values = values;
    this.lengths = new long[batch];
    this.capacity = capacity;
  }

  /** An empty cache for {@code batch} sequences of up to {@code capacity} positions. */
  public static KvCache allocate(ModelConfig config, int batch, int capacity, ModelDtype dtype, Device device) {
    if (batch <= 0 || capacity <= 0) throw new IllegalArgumentException("KV cache needs batch > 0 and capacity > 0, got " + batch + ", " + capacity);
    TensorOptions options = new TensorOptions(dtype.scalarType()).device(new DeviceOptional(device));
    Tensor[] k = new Tensor[config.numLayers()], v = new Tensor[config.numLayers()];
    long[] shape = {batch, config.numKvHeads(), capacity, config.headDim()};
    for (int l = 0; l < k.length; ++l) {
      k[l] = zeros(shape, options);
      v[l] = zeros(shape, options);
    }
    return new KvCache(k, v, batch, capacity);
  }

  public int batchSize() {
    return lengths.length;
  }

  public int capacity() {
    return capacity;
  }

  public int layers() {
    return keys.length;
  }

  /** Positions held for sequence {@code n}. */
  public long length(int n) {
    return lengths[n];
  }

  public long[] lengths() {
    return lengths.clone();
  }

  /** Forgets all positions (the memory is kept for reuse). */
  public void reset() {
    Arrays.fill(lengths, 0);
  }

  long maxLength() {
    long m = 0;
    for (long l : lengths) m = Math.max(m, l);
    return m;
  }

  Tensor keys(int layer) {
    return keys[layer];
  }

  Tensor values(int layer) {
    return values[layer];
  }

  /** Writes {@code k}, {@code v} [N, Hkv, S, Dh] at the slots {@code slots} [N, S] (absolute positions). */
  void write(int layer, Tensor k, Tensor v, Tensor slots) {
    Tensor index = slots.unsqueeze(1).unsqueeze(3).expand(k.sizes().vec().get());
    keys[layer].scatter_(2, index, k.to(keys[layer].scalar_type()));
    values[layer].scatter_(2, index, v.to(values[layer].scalar_type()));
  }

  void advance(long[] added) {
    for (int n = 0; n < lengths.length; ++n) lengths[n] += added[n];
  }

  void checkRoom(long batch, long newTokens) {
    if (batch != lengths.length) throw new IllegalArgumentException("KV cache holds " + lengths.length + " sequences, the batch has " + batch);
    if (maxLength() + newTokens > capacity) {
      throw new IllegalStateException("KV cache full: " + maxLength() + " positions held + " + newTokens + " new > capacity " + capacity);
    }
  }
}
