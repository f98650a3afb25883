package org.steer4j.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;

/**
 * The reward decoder's native descriptor {@code s4j_reward_decoder_args}
 * (native/include/steer4j/reward_decoder.h): every argument of one forward or backward call in
 * a small native buffer, passed to the kernel as one address.
 *
 * <p>{@link Field} mirrors the C struct field by field: each occupies one 8-byte slot (pointers,
 * int64 sizes, doubles; the final int32 {@code training} and its padding). The library reports
 * its own layout ({@code s4j_reward_decoder_args_layout}: sizeof, then every offsetof) and field
 * order ({@code s4j_reward_decoder_args_names}); the first use compares them with this class and
 * refuses to run on a mismatch, so a struct edited on one side only (a field added, removed or
 * moved) fails loudly instead of handing the kernel wrong pointers.
 *
 * <p>One buffer per thread, reused: {@link #begin()} zeroes it (a field a call does not set is
 * NULL / 0), the kernel reads it during the call only. The buffer is a direct {@link ByteBuffer}
 * owned by Java, so no {@code PointerScope} can free it under a later call.
 */
final class RewardDecoderArgs {
  /** What a field holds; the setters check it. */
  enum Kind {
    POINTER,
    SIZE,
    REAL,
    FLAG
  }

  /** The fields of {@code s4j_reward_decoder_args}, in declaration order. */
  enum Field {
    T("t"), Z("z"), W1T("w1t"), W1Z("w1z"), GAMMA("gamma"), BETA("beta"), W2("w2"), B2("b2"),
    PROJ_W("proj_w"), PROJ_B("proj_b"),
    RUNNING_MEAN("running_mean"), RUNNING_VAR("running_var"),
    R("r"), PRE("pre"), MEAN("mean"), INVSTD("invstd"),
    DR("dr"), GRAD_T("dt"), GRAD_Z("dz"), GRAD_W1T("dw1t"), GRAD_W1Z("dw1z"), GRAD_GAMMA("dgamma"),
    GRAD_BETA("dbeta"), GRAD_W2("dw2"), GRAD_B2("db2"), GRAD_PROJ_W("dproj_w"), GRAD_PROJ_B("dproj_b"),
    ZPROJ("zproj"), WORK("work"), DA("da"), DU("du"), STATS("stats"),
    SIZE_B("B", Kind.SIZE), SIZE_N("N", Kind.SIZE), SIZE_DT("Dt", Kind.SIZE), SIZE_DU("Du", Kind.SIZE),
    SIZE_DZ("Dz", Kind.SIZE), SIZE_H("H", Kind.SIZE), SIZE_O("O", Kind.SIZE),
    BATCH_ROWS("batch_rows", Kind.SIZE), STAGE("stage", Kind.SIZE),
    MOMENTUM("momentum", Kind.REAL), EPS("eps", Kind.REAL),
    TRAINING("training", Kind.FLAG);

    /** The C field's name. */
    final String c;
    final Kind kind;

    Field(String c) {
      this(c, Kind.POINTER);
    }

    Field(String c, Kind kind) {
      this.c = c;
      this.kind = kind;
    }

    /** Byte offset in the struct. */
    int offset() {
      return 8 * ordinal();
    }
  }

  /** sizeof(s4j_reward_decoder_args): one 8-byte slot per field (the int32 flag padded to 8). */
  static final int SIZE = 8 * Field.values().length;

  private static volatile boolean layoutChecked;

  private static final ThreadLocal<RewardDecoderArgs> PER_THREAD =
      ThreadLocal.withInitial(RewardDecoderArgs::new);

  private final ByteBuffer buffer = ByteBuffer.allocateDirect(SIZE).order(ByteOrder.nativeOrder());
  private final long address = new Pointer(buffer).address();

  private RewardDecoderArgs() {}

  /** This thread's descriptor, every field zeroed (NULL pointers, zero sizes). */
  static RewardDecoderArgs begin() {
    if (!layoutChecked) checkLayout();
    RewardDecoderArgs args = PER_THREAD.get();
    for (int i = 0; i < SIZE; i += 8) args.buffer.putLong(i, 0L);
    return args;
  }

  /** Sets a pointer field to a tensor's data (NULL for a null tensor). */
  RewardDecoderArgs set(Field f, Tensor t) {
    return put(f, Kind.POINTER, KernelCall.address(t));
  }

  RewardDecoderArgs size(Field f, long value) {
    return put(f, Kind.SIZE, value);
  }

  RewardDecoderArgs real(Field f, double value) {
    expect(f, Kind.REAL);
    buffer.putDouble(f.offset(), value);
    return this;
  }

  RewardDecoderArgs flag(Field f, boolean value) {
    expect(f, Kind.FLAG);
    buffer.putInt(f.offset(), value ? 1 : 0);
    return this;
  }

  /** The descriptor's address, for the kernel call. */
  long address() {
    return address;
  }

  /** The value in a pointer or size field (tests). */
  long get(Field f) {
    return buffer.getLong(f.offset());
  }

  private RewardDecoderArgs put(Field f, Kind kind, long value) {
    expect(f, kind);
    buffer.putLong(f.offset(), value);
    return this;
  }

  private static void expect(Field f, Kind kind) {
    if (f.kind != kind) throw new IllegalArgumentException(f.c + " is a " + f.kind + " field, not a " + kind);
  }

  /** The layout this class writes: sizeof, then each field's offset. */
  static long[] javaLayout() {
    Field[] fields = Field.values();
    long[] layout = new long[fields.length + 1];
    layout[0] = SIZE;
    for (Field f : fields) layout[f.ordinal() + 1] = f.offset();
    return layout;
  }

  /** The layout the native library was compiled with. */
  static long[] nativeLayout() {
    int count = NativeKernels.s4j_reward_decoder_args_layout(null, 0);
    long[] layout = new long[count];
    NativeKernels.s4j_reward_decoder_args_layout(layout, count);
    return layout;
  }

  /** The C names of this class's fields, in order. */
  static List<String> javaNames() {
    return Arrays.stream(Field.values()).map(f -> f.c).toList();
  }

  /** The field names the native library was compiled with, in order. */
  static List<String> nativeNames() {
    return List.of(NativeKernels.s4j_reward_decoder_args_names().getString().trim().split(" +"));
  }

  /** Throws when this class and the library disagree on the struct's layout or field order. */
  static void checkLayout() {
    long[] expected = javaLayout(), actual = nativeLayout();
    List<String> names = javaNames(), nativeNames = nativeNames();
    if (!Arrays.equals(expected, actual) || !names.equals(nativeNames)) {
      throw new IllegalStateException(
          "s4j_reward_decoder_args: the native library's layout (sizeof, offsets) "
              + Arrays.toString(actual) + " of fields " + nativeNames + " differs from RewardDecoderArgs' "
              + Arrays.toString(expected) + " of " + names + "; update RewardDecoderArgs.Field to match"
              + " native/include/steer4j/reward_decoder.h and rebuild");
    }
    layoutChecked = true;
  }
}
