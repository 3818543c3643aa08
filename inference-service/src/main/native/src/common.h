/* common.h — small shared helpers: fp16/bf16 conversion, dtype sizes, CPU features. */
#ifndef SX_COMMON_H
#define SX_COMMON_H

#include "sextant.h"
#include <stdint.h>
#include <string.h>
#include <stddef.h>

#define QK8_0 32
#define QK4_0 32
#define QK_K 256

typedef struct { uint16_t d; int8_t qs[QK8_0]; } block_q8_0;                 /* 34 bytes */
/* CPU-internal dtype, never read from a file: Q8_0 rows repacked sixteen at a time for VNNI (kernels_vnni.c). */
#define SX_Q8_0X16 29
/* Activations for SX_Q8_0X16: the float value of the fp16 scale, 128 * the sum of the quants, the quants. */
typedef struct { float d; int32_t s128; int8_t qs[QK8_0]; } block_q8_0s;     /* 40 bytes */
typedef struct { uint16_t d; uint8_t qs[QK4_0 / 2]; } block_q4_0;            /* 18 bytes */
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2]; } block_q4_K; /* 144 */
typedef struct { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint16_t d; } block_q6_K; /* 210 */
typedef struct { float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16]; } block_q8_K; /* activations */

static inline float sx_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) bits = sign;
        else { /* subnormal */
            int e = -1;
            do { e++; mant <<= 1; } while (!(mant & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) bits = sign | 0x7f800000u | (mant << 13);
    else bits = sign | ((exp + 112) << 23) | (mant << 13);
    float f; memcpy(&f, &bits, 4); return f;
}

static inline uint16_t sx_fp32_to_fp16(float f) {
    uint32_t x; memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000; int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15; uint32_t mant = x & 0x7fffff;
    if (((x >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    if (exp >= 31) return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000; uint32_t shift = (uint32_t)(14 - exp);
        uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13), rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
    return (uint16_t)h;
}

static inline float sx_bf16_to_fp32(uint16_t h) { uint32_t b = (uint32_t)h << 16; float f; memcpy(&f, &b, 4); return f; }

/* Elements per block and bytes per block of a dtype; 0 when unknown. */
int sx_dtype_block(int type);
size_t sx_dtype_block_bytes(int type);
const char *sx_dtype_name(int type);
size_t sx_row_bytes(int type, int64_t n);

/* Runtime CPU features (cpuid + xgetbv), detected once. */
/* prefetch_l2: software prefetches of streamed operands (weights in the VNNI matmul, the KV cache in attention) go
 * to L2 (prefetcht1) instead of L1 (prefetcht0): chosen on AMD, where the L1 variant made the 16-sequence decode
 * step's attention ~1.75x and its matmuls ~1.15x slower (Zen 4, two threads); L1 elsewhere (the kernels' prefetch
 * distances were tuned with it on Intel in session 5, where prefetcht1 was not better for prefill attention; the
 * matmul's prefetch was not tried with it there). SEXTANT_PREFETCH=l1 or l2 overrides. */
/* amx: AMX-INT8 tiles usable by this process (the CPU has them, the OS enables their state, and the kernel granted the
 * process the permission to use them, asked for at detection); SEXTANT_CPU=avx512 turns them off. */
/* l2_bytes: the size of a core's L2 cache (sysconf; 1 MiB where unknown). */
typedef struct { int avx2, fma, f16c, avx512f, avx512bw, avx512vl, avx512vnni, avx512bf16, amx, prefetch_l2; size_t l2_bytes; } sx_cpu_caps;
const sx_cpu_caps *sx_cpu(void);

#endif
