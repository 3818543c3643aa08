package dev.sextant.inference.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Quantizers and dequantizers with ggml's exact block layouts and rounding ({@code quantize_row_*_ref} in
 * ggml-quants.c): Q8_0 = {f16 d; int8 qs[32]}, Q4_0 = {f16 d; uint8 qs[16]} (low nibbles hold elements 0-15,
 * high nibbles 16-31, stored with +8 offset), F16 and BF16 round to nearest even.
 */
public final class GgmlQuants {

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GgmlQuants() {
    }

    public static short fp32ToFp16(float f) {
        return Float.floatToFloat16(f);
    }

    public static float fp16ToFp32(short h) {
        return Float.float16ToFloat(h);
    }

    /** ggml_compute_fp32_to_bf16: round to nearest even, NaN kept quiet. */
    public static short fp32ToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    public static float bf16ToFp32(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /** C's roundf: half away from zero. */
    static float roundf(float x) {
        double a = Math.abs((double) x);
        double r = Math.floor(a);
        if (a - r >= 0.5) {
            r += 1;
        }
        return (float) Math.copySign(r, x);
    }

    /**
     * Encodes {@code n} floats from {@code src[off..]} as {@code type} into {@code dst} at byte {@code dstOff};
     * returns the number of bytes written. {@code n} must be a multiple of the block size.
     */
    public static int quantize(GgmlType type, float[] src, int off, int n, byte[] dst, int dstOff) {
        MemorySegment out = MemorySegment.ofArray(dst);
        return switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out.set(FLOAT, dstOff + 4L * i, src[off + i]);
                }
                yield 4 * n;
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out.set(SHORT, dstOff + 2L * i, fp32ToFp16(src[off + i]));
                }
                yield 2 * n;
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out.set(SHORT, dstOff + 2L * i, fp32ToBf16(src[off + i]));
                }
                yield 2 * n;
            }
            case Q8_0 -> quantizeQ8_0(src, off, n, dst, dstOff);
            case Q4_0 -> quantizeQ4_0(src, off, n, dst, dstOff);
            default -> throw new IllegalArgumentException("no quantizer for " + type);
        };
    }

    private static int quantizeQ8_0(float[] x, int off, int n, byte[] dst, int dstOff) {
        requireBlocks(GgmlType.Q8_0, n);
        MemorySegment out = MemorySegment.ofArray(dst);
        int p = dstOff;
        for (int b = 0; b < n / 32; b++) {
            int base = off + b * 32;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[base + j]));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1.0f / d : 0.0f;
            out.set(SHORT, p, fp32ToFp16(d));
            for (int j = 0; j < 32; j++) {
                dst[p + 2 + j] = (byte) (int) roundf(x[base + j] * id);
            }
            p += 34;
        }
        return p - dstOff;
    }

    private static int quantizeQ4_0(float[] x, int off, int n, byte[] dst, int dstOff) {
        requireBlocks(GgmlType.Q4_0, n);
        MemorySegment out = MemorySegment.ofArray(dst);
        int p = dstOff;
        for (int b = 0; b < n / 32; b++) {
            int base = off + b * 32;
            float amax = 0;
            float max = 0;
            for (int j = 0; j < 32; j++) {
                float v = x[base + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            out.set(SHORT, p, fp32ToFp16(d));
            for (int j = 0; j < 16; j++) {
                float x0 = x[base + j] * id;
                float x1 = x[base + 16 + j] * id;
                int xi0 = Math.min(15, (byte) (int) (x0 + 8.5f));
                int xi1 = Math.min(15, (byte) (int) (x1 + 8.5f));
                dst[p + 2 + j] = (byte) (xi0 | (xi1 << 4));
            }
            p += 18;
        }
        return p - dstOff;
    }

    private static void requireBlocks(GgmlType type, int n) {
        if (n % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " needs a multiple of " + type.blockSize() + " values, got " + n);
        }
    }

    /** Decodes {@code n} values of {@code type} from {@code in}. */
    public static float[] dequantize(GgmlType type, MemorySegment in, long n) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor too large to dequantize into one array: " + n);
        }
        float[] y = new float[(int) n];
        switch (type) {
            case F32 -> MemorySegment.copy(in, FLOAT, 0, y, 0, y.length);
            case F16 -> {
                for (int i = 0; i < y.length; i++) {
                    y[i] = fp16ToFp32(in.get(SHORT, 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < y.length; i++) {
                    y[i] = bf16ToFp32(in.get(SHORT, 2L * i));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < y.length / 32; b++) {
                    long p = 34L * b;
                    float d = fp16ToFp32(in.get(SHORT, p));
                    for (int j = 0; j < 32; j++) {
                        y[b * 32 + j] = in.get(ValueLayout.JAVA_BYTE, p + 2 + j) * d;
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < y.length / 32; b++) {
                    long p = 18L * b;
                    float d = fp16ToFp32(in.get(SHORT, p));
                    for (int j = 0; j < 16; j++) {
                        int q = in.get(ValueLayout.JAVA_BYTE, p + 2 + j) & 0xff;
                        y[b * 32 + j] = ((q & 0xf) - 8) * d;
                        y[b * 32 + 16 + j] = ((q >> 4) - 8) * d;
                    }
                }
            }
            case Q4_K -> dequantizeQ4K(in, y);
            case Q6_K -> dequantizeQ6K(in, y);
            default -> throw new IllegalArgumentException("no dequantizer for " + type);
        }
        return y;
    }

    private static int u8(MemorySegment in, long p) {
        return in.get(ValueLayout.JAVA_BYTE, p) & 0xff;
    }

    // block_q4_K: f16 d, f16 dmin, uint8 scales[12], uint8 qs[128]
    private static void dequantizeQ4K(MemorySegment in, float[] y) {
        int o = 0;
        for (int b = 0; b < y.length / 256; b++) {
            long base = 144L * b;
            float d = fp16ToFp32(in.get(SHORT, base));
            float min = fp16ToFp32(in.get(SHORT, base + 2));
            long scales = base + 4;
            long q = base + 16;
            int is = 0;
            for (int j = 0; j < 256; j += 64) {
                int[] sm1 = scaleMinK4(is, in, scales);
                int[] sm2 = scaleMinK4(is + 1, in, scales);
                float d1 = d * sm1[0], m1 = min * sm1[1];
                float d2 = d * sm2[0], m2 = min * sm2[1];
                for (int l = 0; l < 32; l++) {
                    y[o++] = d1 * (u8(in, q + l) & 0xf) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    y[o++] = d2 * (u8(in, q + l) >> 4) - m2;
                }
                q += 32;
                is += 2;
            }
        }
    }

    private static int[] scaleMinK4(int j, MemorySegment in, long q) {
        if (j < 4) {
            return new int[] {u8(in, q + j) & 63, u8(in, q + j + 4) & 63};
        }
        return new int[] {(u8(in, q + j + 4) & 0xf) | ((u8(in, q + j - 4) >> 6) << 4),
                (u8(in, q + j + 4) >> 4) | ((u8(in, q + j) >> 6) << 4)};
    }

    // block_q6_K: uint8 ql[128], uint8 qh[64], int8 scales[16], f16 d
    private static void dequantizeQ6K(MemorySegment in, float[] y) {
        for (int b = 0; b < y.length / 256; b++) {
            long base = 210L * b;
            float d = fp16ToFp32(in.get(SHORT, base + 208));
            long ql = base;
            long qh = base + 128;
            long sc = base + 192;
            int o = b * 256;
            for (int n = 0; n < 256; n += 128) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int q1 = ((u8(in, ql + l) & 0xf) | (((u8(in, qh + l) >> 0) & 3) << 4)) - 32;
                    int q2 = ((u8(in, ql + l + 32) & 0xf) | (((u8(in, qh + l) >> 2) & 3) << 4)) - 32;
                    int q3 = ((u8(in, ql + l) >> 4) | (((u8(in, qh + l) >> 4) & 3) << 4)) - 32;
                    int q4 = ((u8(in, ql + l + 32) >> 4) | (((u8(in, qh + l) >> 6) & 3) << 4)) - 32;
                    y[o + l] = d * in.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                    y[o + l + 32] = d * in.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                    y[o + l + 64] = d * in.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                    y[o + l + 96] = d * in.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
                }
                o += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }
}
