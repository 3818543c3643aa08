package dev.sextant.inference.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF v2/v3 file, memory-mapped read-only: metadata of every type, tensor infos and the tensor bytes in place
 * (no copy into the heap). Close it to unmap.
 *
 * <pre>{@code
 * try (GgufFile gguf = GgufFile.open(Path.of("model.gguf"))) {
 *     long layers = gguf.metadata().get("llama.block_count").asLong();
 *     MemorySegment embd = gguf.tensorData(gguf.tensor("token_embd.weight"));
 * }
 * }</pre>
 */
public final class GgufFile implements AutoCloseable {

    /** "GGUF" read as a little-endian int. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file, int version, Map<String, GgufValue> metadata,
            List<GgufTensorInfo> tensors, int alignment, long dataOffset) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.version = version;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        tensors.forEach(t -> byName.put(t.name(), t));
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.alignment = alignment;
        this.dataOffset = dataOffset;
    }

    /** Maps and parses {@code path}; a malformed file gives a {@link GgufFormatException} naming it and why. */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            GgufFile parsed = new Parser(path, segment).parse(arena);
            return parsed;
        } catch (IOException | RuntimeException e) {
            arena.close();
            if (e instanceof GgufFormatException) {
                throw e;
            }
            if (e instanceof IndexOutOfBoundsException) {
                throw new GgufFormatException(path, "truncated file (read past its end)", e);
            }
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    /** All key/value pairs in file order. */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    public GgufValue get(String key) {
        return metadata.get(key);
    }

    public String getString(String key, String fallback) {
        GgufValue v = metadata.get(key);
        return v == null ? fallback : v.asString();
    }

    public long getLong(String key, long fallback) {
        GgufValue v = metadata.get(key);
        return v == null ? fallback : v.asLong();
    }

    public double getDouble(String key, double fallback) {
        GgufValue v = metadata.get(key);
        return v == null ? fallback : v.asDouble();
    }

    public boolean getBoolean(String key, boolean fallback) {
        GgufValue v = metadata.get(key);
        return v == null ? fallback : v.asBoolean();
    }

    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    /** The tensor with this name, or null. */
    public GgufTensorInfo tensor(String name) {
        return tensorsByName.get(name);
    }

    public int alignment() {
        return alignment;
    }

    /** Absolute file offset where the tensor data section starts. */
    public long dataOffset() {
        return dataOffset;
    }

    /** The whole mapped file. */
    public MemorySegment segment() {
        return file;
    }

    /** The tensor's bytes, in place in the mapping. */
    public MemorySegment tensorData(GgufTensorInfo tensor) {
        return file.asSlice(tensor.fileOffset(), tensor.byteSize());
    }

    /** The tensor's values as floats (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K); for tests and tools, not the hot path. */
    public float[] dequantize(GgufTensorInfo tensor) {
        return GgmlQuants.dequantize(tensor.type(), tensorData(tensor), tensor.elementCount());
    }

    @Override
    public void close() {
        arena.close();
    }

    private static final class Parser {
        private final Path path;
        private final MemorySegment in;
        private long pos;

        Parser(Path path, MemorySegment in) {
            this.path = path;
            this.in = in;
        }

        GgufFile parse(Arena arena) throws GgufFormatException {
            if (in.byteSize() < 4) {
                throw new GgufFormatException(path, "truncated file (" + in.byteSize() + " bytes, no GGUF header)");
            }
            int magic = in.get(INT, 0);
            if (magic != MAGIC) {
                throw new GgufFormatException(path, String.format("wrong magic 0x%08x, not a GGUF file", magic));
            }
            pos = 4;
            int version = u32();
            if (version < 2 || version > 3) {
                throw new GgufFormatException(path, "unsupported GGUF version " + version + " (2 and 3 are)");
            }
            long nTensors = i64();
            long nKv = i64();
            if (nTensors < 0 || nTensors > in.byteSize() / 8 || nKv < 0 || nKv > in.byteSize() / 8) {
                throw new GgufFormatException(path, "implausible counts: " + nTensors + " tensors, " + nKv + " keys");
            }
            Map<String, GgufValue> metadata = new LinkedHashMap<>();
            for (long i = 0; i < nKv; i++) {
                String key = string();
                int typeId = u32();
                GgufValueType type = GgufValueType.byId(typeId);
                if (type == null) {
                    throw new GgufFormatException(path, "unknown metadata type " + typeId + " for key " + key);
                }
                metadata.put(key, value(type, key));
            }
            int alignment = DEFAULT_ALIGNMENT;
            GgufValue align = metadata.get("general.alignment");
            if (align != null) {
                long a = align.asLong();
                if (a <= 0 || Long.bitCount(a) != 1 || a > 1 << 20) {
                    throw new GgufFormatException(path, "general.alignment " + a + " is not a power of two");
                }
                alignment = (int) a;
            }
            List<RawTensor> raw = new ArrayList<>();
            for (long i = 0; i < nTensors; i++) {
                String name = string();
                int nDims = u32();
                if (nDims < 1 || nDims > 4) {
                    throw new GgufFormatException(path, "tensor " + name + " has " + nDims + " dimensions (1 to 4 allowed)");
                }
                long[] shape = new long[nDims];
                for (int d = 0; d < nDims; d++) {
                    shape[d] = i64();
                    if (shape[d] <= 0 || shape[d] > 1L << 40) {
                        throw new GgufFormatException(path, "tensor " + name + " has dimension " + d + " = " + shape[d]);
                    }
                }
                int typeId = u32();
                GgmlType type = GgmlType.byId(typeId);
                if (type == null) {
                    throw new GgufFormatException(path, "tensor " + name + " has unknown ggml type " + typeId);
                }
                long offset = i64();
                raw.add(new RawTensor(name, type, shape, offset));
            }
            long dataOffset = (pos + alignment - 1) / alignment * alignment;
            List<GgufTensorInfo> tensors = new ArrayList<>();
            for (RawTensor t : raw) {
                long elements = 1;
                for (long d : t.shape) {
                    elements = Math.multiplyExact(elements, d);
                }
                if (t.shape[0] % t.type.blockSize() != 0) {
                    throw new GgufFormatException(path, "tensor " + t.name + ": row of " + t.shape[0]
                            + " elements is not a multiple of the " + t.type + " block size " + t.type.blockSize());
                }
                if (t.offset % alignment != 0) {
                    throw new GgufFormatException(path, "tensor " + t.name + " offset " + t.offset + " is not aligned to " + alignment);
                }
                long size = t.type.byteSize(elements);
                if (t.offset < 0 || dataOffset + t.offset + size > in.byteSize()) {
                    throw new GgufFormatException(path, "truncated file: tensor " + t.name + " needs bytes up to "
                            + (dataOffset + t.offset + size) + " but the file has " + in.byteSize());
                }
                tensors.add(new GgufTensorInfo(t.name, t.type, t.shape, t.offset, dataOffset + t.offset));
            }
            return new GgufFile(path, arena, in, version, metadata, tensors, alignment, dataOffset);
        }

        private record RawTensor(String name, GgmlType type, long[] shape, long offset) {
        }

        private GgufValue value(GgufValueType type, String key) throws GgufFormatException {
            return switch (type) {
                case UINT8 -> new GgufValue(type, (long) (in.get(ValueLayout.JAVA_BYTE, adv(1)) & 0xff));
                case INT8 -> new GgufValue(type, (long) in.get(ValueLayout.JAVA_BYTE, adv(1)));
                case UINT16 -> new GgufValue(type, (long) (in.get(SHORT, adv(2)) & 0xffff));
                case INT16 -> new GgufValue(type, (long) in.get(SHORT, adv(2)));
                case UINT32 -> new GgufValue(type, in.get(INT, adv(4)) & 0xffffffffL);
                case INT32 -> new GgufValue(type, (long) in.get(INT, adv(4)));
                case UINT64, INT64 -> new GgufValue(type, in.get(LONG, adv(8)));
                case FLOAT32 -> new GgufValue(type, in.get(FLOAT, adv(4)));
                case FLOAT64 -> new GgufValue(type, in.get(DOUBLE, adv(8)));
                case BOOL -> new GgufValue(type, in.get(ValueLayout.JAVA_BYTE, adv(1)) != 0);
                case STRING -> new GgufValue(type, string());
                case ARRAY -> new GgufValue(type, array(key));
            };
        }

        private GgufValue.GgufArray array(String key) throws GgufFormatException {
            int typeId = u32();
            GgufValueType et = GgufValueType.byId(typeId);
            if (et == null) {
                throw new GgufFormatException(path, "unknown array element type " + typeId + " for key " + key);
            }
            long n = i64();
            long minSize = et.size() > 0 ? et.size() : 8;
            if (n < 0 || n > (in.byteSize() - pos) / minSize) {
                throw new GgufFormatException(path, "array " + key + " claims " + n + " elements, more than the file holds");
            }
            int count = (int) n;
            Object values = switch (et) {
                case UINT8, INT8 -> { byte[] a = new byte[count]; MemorySegment.copy(in, ValueLayout.JAVA_BYTE, adv(count), a, 0, count); yield a; }
                case UINT16, INT16 -> { short[] a = new short[count]; MemorySegment.copy(in, SHORT, adv(2L * count), a, 0, count); yield a; }
                case UINT32, INT32 -> { int[] a = new int[count]; MemorySegment.copy(in, INT, adv(4L * count), a, 0, count); yield a; }
                case UINT64, INT64 -> { long[] a = new long[count]; MemorySegment.copy(in, LONG, adv(8L * count), a, 0, count); yield a; }
                case FLOAT32 -> { float[] a = new float[count]; MemorySegment.copy(in, FLOAT, adv(4L * count), a, 0, count); yield a; }
                case FLOAT64 -> { double[] a = new double[count]; MemorySegment.copy(in, DOUBLE, adv(8L * count), a, 0, count); yield a; }
                case BOOL -> { boolean[] a = new boolean[count]; for (int i = 0; i < count; i++) a[i] = in.get(ValueLayout.JAVA_BYTE, adv(1)) != 0; yield a; }
                case STRING -> { String[] a = new String[count]; for (int i = 0; i < count; i++) a[i] = string(); yield a; }
                case ARRAY -> { GgufValue.GgufArray[] a = new GgufValue.GgufArray[count]; for (int i = 0; i < count; i++) a[i] = array(key); yield a; }
            };
            return new GgufValue.GgufArray(et, values);
        }

        private long adv(long n) {
            long p = pos;
            if (p + n > in.byteSize()) {
                throw new IndexOutOfBoundsException("read of " + n + " bytes at " + p);
            }
            pos += n;
            return p;
        }

        private int u32() {
            return in.get(INT, adv(4));
        }

        private long i64() {
            return in.get(LONG, adv(8));
        }

        private String string() throws GgufFormatException {
            long len = i64();
            if (len < 0 || len > in.byteSize() - pos) {
                throw new GgufFormatException(path, "truncated file: string of " + len + " bytes at offset " + pos);
            }
            byte[] bytes = new byte[(int) len];
            MemorySegment.copy(in, ValueLayout.JAVA_BYTE, adv(len), bytes, 0, bytes.length);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
