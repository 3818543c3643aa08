package dev.sextant.inference.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One typed metadata value. Scalars hold a boxed Java value: integers as {@link Long} (UINT64 as its two's
 * complement bits), FLOAT32 as {@link Float}, FLOAT64 as {@link Double}, BOOL as {@link Boolean}, STRING as
 * {@link String}. Arrays hold a {@link GgufArray}.
 *
 * <pre>{@code
 * GgufValue heads = GgufValue.uint32(12);
 * GgufValue tokens = GgufValue.array(GgufValueType.STRING, new String[] {"<unk>", "<s>"});
 * }</pre>
 */
public record GgufValue(GgufValueType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
    }

    public static GgufValue uint32(long v) {
        return new GgufValue(GgufValueType.UINT32, v);
    }

    public static GgufValue int32(long v) {
        return new GgufValue(GgufValueType.INT32, v);
    }

    public static GgufValue uint64(long v) {
        return new GgufValue(GgufValueType.UINT64, v);
    }

    public static GgufValue float32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, v);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, v);
    }

    public static GgufValue string(String v) {
        return new GgufValue(GgufValueType.STRING, v);
    }

    /**
     * An array; {@code values} is a Java array of the element type: byte[] (U)INT8, short[] (U)INT16,
     * int[] (U)INT32, long[] (U)INT64, float[] FLOAT32, double[] FLOAT64, boolean[] BOOL, String[] STRING,
     * GgufArray[] ARRAY.
     */
    public static GgufValue array(GgufValueType elementType, Object values) {
        return new GgufValue(GgufValueType.ARRAY, new GgufArray(elementType, values));
    }

    public long asLong() {
        if (value instanceof Number n && !(value instanceof Float) && !(value instanceof Double)) {
            return n.longValue();
        }
        if (value instanceof Boolean b) {
            return b ? 1 : 0;
        }
        throw new IllegalStateException("not an integer: " + type);
    }

    public double asDouble() {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalStateException("not a number: " + type);
    }

    public String asString() {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalStateException("not a string: " + type);
    }

    public boolean asBoolean() {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof Long l) {
            return l != 0;
        }
        throw new IllegalStateException("not a bool: " + type);
    }

    public GgufArray asArray() {
        if (value instanceof GgufArray a) {
            return a;
        }
        throw new IllegalStateException("not an array: " + type);
    }

    /** An array value: element type and a Java array holding the elements. */
    public record GgufArray(GgufValueType elementType, Object values) {

        public int length() {
            return java.lang.reflect.Array.getLength(values);
        }

        public String[] strings() {
            return (String[]) values;
        }

        public float[] floats() {
            return (float[]) values;
        }

        /** Elements of any integer array widened to int (UINT32 values above 2^31 wrap). */
        public int[] ints() {
            return switch (values) {
                case int[] a -> a;
                case byte[] a -> { int[] r = new int[a.length]; for (int i = 0; i < a.length; i++) r[i] = a[i]; yield r; }
                case short[] a -> { int[] r = new int[a.length]; for (int i = 0; i < a.length; i++) r[i] = a[i]; yield r; }
                case long[] a -> { int[] r = new int[a.length]; for (int i = 0; i < a.length; i++) r[i] = (int) a[i]; yield r; }
                default -> throw new IllegalStateException("not an integer array: " + elementType);
            };
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof GgufArray other && elementType == other.elementType
                    && Arrays.deepEquals(new Object[] {values}, new Object[] {other.values});
        }

        @Override
        public int hashCode() {
            return Arrays.deepHashCode(new Object[] {values}) * 31 + elementType.hashCode();
        }
    }
}
