package dev.sextant.inference.gguf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file: metadata, tensor infos, then each tensor's data aligned to {@code general.alignment}
 * (32 by default). Tensor data is produced in chunks while writing, so a model larger than the heap can be
 * written from a generator.
 *
 * <pre>{@code
 * GgufWriter w = new GgufWriter();
 * w.put("general.architecture", GgufValue.string("llama"));
 * w.addTensor("output_norm.weight", GgmlType.F32, new long[] {768}, (first, dst, n) -> Arrays.fill(dst, 0, n, 1f));
 * w.write(Path.of("model.gguf"));
 * }</pre>
 */
public final class GgufWriter {

    /** Produces tensor elements {@code first .. first + n - 1} (in ggml order) into {@code dst[0 .. n-1]}. */
    @FunctionalInterface
    public interface FloatSource {
        void fill(long first, float[] dst, int n);
    }

    private record PendingTensor(String name, GgmlType type, long[] shape, FloatSource floats, byte[] raw) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private static final int CHUNK = 1 << 16; // elements per quantization chunk: a multiple of every block size

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putAll(Map<String, GgufValue> values) {
        metadata.putAll(values);
        return this;
    }

    /** A tensor whose elements come from {@code source}, encoded as {@code type}. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, FloatSource source) {
        check(name, type, shape);
        tensors.add(new PendingTensor(name, type, shape.clone(), source, null));
        return this;
    }

    /** A tensor given as its encoded bytes (e.g. copied from another GGUF file). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, byte[] encoded) {
        check(name, type, shape);
        PendingTensor t = new PendingTensor(name, type, shape.clone(), null, encoded);
        if (type.byteSize(t.elements()) != encoded.length) {
            throw new IllegalArgumentException(name + ": " + encoded.length + " bytes given, " + type.byteSize(t.elements()) + " expected");
        }
        tensors.add(t);
        return this;
    }

    private void check(String name, GgmlType type, long[] shape) {
        if (shape.length < 1 || shape.length > 4) {
            throw new IllegalArgumentException(name + ": 1 to 4 dimensions, got " + shape.length);
        }
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": row length " + shape[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        if (tensors.stream().anyMatch(t -> t.name.equals(name))) {
            throw new IllegalArgumentException("duplicate tensor " + name);
        }
    }

    private int alignment() {
        GgufValue a = metadata.get("general.alignment");
        return a == null ? GgufFile.DEFAULT_ALIGNMENT : (int) a.asLong();
    }

    public void write(Path path) throws IOException {
        int alignment = alignment();
        try (OutputStream raw = Files.newOutputStream(path);
                CountingOut out = new CountingOut(new BufferedOutputStream(raw, 1 << 20))) {
            out.u32(GgufFile.MAGIC);
            out.u32(3);
            out.u64(tensors.size());
            out.u64(metadata.size());
            for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
                out.string(e.getKey());
                out.u32(e.getValue().type().id());
                writeValue(out, e.getValue().type(), e.getValue().value());
            }
            long offset = 0;
            for (PendingTensor t : tensors) {
                out.string(t.name);
                out.u32(t.shape.length);
                for (long d : t.shape) {
                    out.u64(d);
                }
                out.u32(t.type.id());
                out.u64(offset);
                offset = align(offset + t.type.byteSize(t.elements()), alignment);
            }
            out.pad(alignment);
            float[] chunk = new float[CHUNK];
            byte[] encoded = new byte[CHUNK * 4];
            for (PendingTensor t : tensors) {
                if (t.raw != null) {
                    out.write(t.raw);
                } else {
                    long total = t.elements();
                    for (long first = 0; first < total; first += CHUNK) {
                        int n = (int) Math.min(CHUNK, total - first);
                        t.floats.fill(first, chunk, n);
                        int bytes = GgmlQuants.quantize(t.type, chunk, 0, n, encoded, 0);
                        out.write(encoded, 0, bytes);
                    }
                }
                out.pad(alignment);
            }
        }
    }

    private static long align(long v, int alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }

    private static void writeValue(CountingOut out, GgufValueType type, Object value) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.write((int) ((Long) value).longValue());
            case UINT16, INT16 -> out.u16((int) ((Long) value).longValue());
            case UINT32, INT32 -> out.u32((int) ((Long) value).longValue());
            case UINT64, INT64 -> out.u64((Long) value);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) value));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) value));
            case BOOL -> out.write((Boolean) value ? 1 : 0);
            case STRING -> out.string((String) value);
            case ARRAY -> writeArray(out, (GgufValue.GgufArray) value);
        }
    }

    private static void writeArray(CountingOut out, GgufValue.GgufArray array) throws IOException {
        out.u32(array.elementType().id());
        out.u64(array.length());
        switch (array.values()) {
            case byte[] a -> out.write(a);
            case short[] a -> { for (short v : a) out.u16(v); }
            case int[] a -> { for (int v : a) out.u32(v); }
            case long[] a -> { for (long v : a) out.u64(v); }
            case float[] a -> { for (float v : a) out.u32(Float.floatToRawIntBits(v)); }
            case double[] a -> { for (double v : a) out.u64(Double.doubleToRawLongBits(v)); }
            case boolean[] a -> { for (boolean v : a) out.write(v ? 1 : 0); }
            case String[] a -> { for (String v : a) out.string(v); }
            case GgufValue.GgufArray[] a -> { for (GgufValue.GgufArray v : a) writeArray(out, v); }
            default -> throw new IllegalArgumentException("unsupported array " + array.values().getClass());
        }
    }

    private static final class CountingOut extends OutputStream {
        private final OutputStream out;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        private long count;

        CountingOut(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        void u16(int v) throws IOException {
            scratch.clear();
            scratch.putShort((short) v);
            write(scratch.array(), 0, 2);
        }

        void u32(int v) throws IOException {
            scratch.clear();
            scratch.putInt(v);
            write(scratch.array(), 0, 4);
        }

        void u64(long v) throws IOException {
            scratch.clear();
            scratch.putLong(v);
            write(scratch.array(), 0, 8);
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b);
        }

        void pad(int alignment) throws IOException {
            while (count % alignment != 0) {
                write(0);
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
