/* kernels_vnni.c — Q8_0 weights repacked for AVX-512 VNNI (256-bit, AVX512VL): the CPU layout SX_Q8_0X8.
 *
 * Layout: rows are taken eight at a time; for each 32-element block of the eight rows, 16 bytes of their fp16
 * scales, then 256 bytes of quants ordered (4-element chunk j, row r, byte b) — so one 32-byte load holds the
 * same four columns of all eight rows, and one vpdpbusd against a broadcast of four activation bytes adds their
 * products into eight lanes, one per row. The integer sum of a block is complete in its lane after eight
 * instructions, and scaling it takes one multiply, one conversion and one fma for eight rows at once (the
 * row-major Q8_0 kernels spend those per row and per activation row). Same bytes per weight as Q8_0 (34 per
 * block and row), so decoding one token reads no more memory than before.
 *
 * vpdpbusd multiplies unsigned by signed bytes: activations are stored as x + 128 (SX act format q8_0u) and
 * 128 * sum(w) is subtracted after the block, which keeps every integer sum exact.
 *
 * Numerics: each output element is the chain acc = fma(d_w * d_x, (float)isum_block, acc) over the blocks in
 * order, computed in its own lane; every tile width (8, 4, 2, 1 activation rows) runs the same chain, so results
 * do not depend on the batch or the thread split (batch invariance). */
#pragma GCC target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")
#include "kernels_impl.h"
#include <immintrin.h>

#define X8_BLOCK_BYTES (8 * sizeof(block_q8_0)) /* 272: 8 fp16 scales + 256 quants */
#ifndef X8_PREFETCH
#define X8_PREFETCH (8 * X8_BLOCK_BYTES)
#endif

size_t sx_act_row_bytes_q8_0u(int n) { return (size_t)(n / QK8_0) * sizeof(block_q8_0u); }

void sx_repack_q8_0x8(const void *src, void *dst, int64_t rows, int k) {
    const int nb = k / QK8_0;
    const size_t rb = (size_t)nb * sizeof(block_q8_0);
    for (int64_t g = 0; g < rows / 8; g++) {
        uint8_t *G = (uint8_t *)dst + (size_t)g * 8 * rb;
        for (int r = 0; r < 8; r++) {
            const block_q8_0 *row = (const block_q8_0 *)((const uint8_t *)src + (size_t)(g * 8 + r) * rb);
            for (int i = 0; i < nb; i++) {
                uint8_t *B = G + (size_t)i * X8_BLOCK_BYTES;
                memcpy(B + 2 * r, &row[i].d, 2);
                for (int j = 0; j < 8; j++) memcpy(B + 16 + 32 * j + 4 * r, row[i].qs + 4 * j, 4);
            }
        }
    }
}

void sx_get_row_q8_0x8(const void *data, int64_t row, float *dst, int k) {
    const int nb = k / QK8_0;
    const size_t rb = (size_t)nb * sizeof(block_q8_0);
    const uint8_t *G = (const uint8_t *)data + (size_t)(row / 8) * 8 * rb;
    const int r = (int)(row % 8);
    for (int i = 0; i < nb; i++) {
        const uint8_t *B = G + (size_t)i * X8_BLOCK_BYTES;
        uint16_t h; memcpy(&h, B + 2 * r, 2);
        const float d = sx_fp16_to_fp32(h);
        for (int j = 0; j < 8; j++)
            for (int b = 0; b < 4; b++) dst[i * QK8_0 + 4 * j + b] = d * (float)(int8_t)B[16 + 32 * j + 4 * r + b];
    }
}

/* Activations: Q8_0 quantization (same rounding), scale kept as the float value of its fp16, quants + 128. Two
 * 16-lane vectors per block: the largest magnitude is exact in any order, x * (1 / d) is the same product, and
 * vcvtps2dq rounds to nearest even as nearbyintf does in the default rounding mode, so the bytes are those of the
 * scalar loop (kept for a block of NaNs, where max would see them differently). */
static void quant_q8_0u_block(const float *x, block_q8_0u *b) {
    float amax = 0;
    for (int j = 0; j < QK8_0; j++) { float v = fabsf(x[j]); amax = v > amax ? v : amax; }
    const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
    b->d = sx_fp16_to_fp32(sx_fp32_to_fp16(d));
    for (int j = 0; j < QK8_0; j++) b->qs[j] = (uint8_t)((int8_t)nearbyintf(x[j] * id) ^ 0x80);
}

void sx_quant_q8_0u(const float *x, void *y, int n) {
    block_q8_0u *b = y;
    const __m128i flip = _mm_set1_epi8((char)0x80);
    for (int i = 0; i < n / QK8_0; i++) {
        const __m512 v0 = _mm512_loadu_ps(x + i * 32), v1 = _mm512_loadu_ps(x + i * 32 + 16);
        if (_mm512_cmp_ps_mask(v0, v0, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(v1, v1, _CMP_UNORD_Q)) {
            quant_q8_0u_block(x + i * 32, &b[i]);
            continue;
        }
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
        b[i].d = sx_fp16_to_fp32(sx_fp32_to_fp16(d));
        const __m512 vid = _mm512_set1_ps(id);
        const __m128i q0 = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(v0, vid)));
        const __m128i q1 = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(v1, vid)));
        _mm_storeu_si128((__m128i *)b[i].qs, _mm_xor_si128(q0, flip));
        _mm_storeu_si128((__m128i *)(b[i].qs + 16), _mm_xor_si128(q1, flip));
    }
}

/* Eight weight rows (one group G) against tc activation rows; y points at (activation row 0, weight row 0). */
SX_INLINE void x8_tile(int nb, const uint8_t *G, const uint8_t *x, size_t xs, const int tc, float *y, size_t ldy) {
    const __m256i flip = _mm256_set1_epi8((char)0x80), zero = _mm256_setzero_si256();
    __m256 acc[8];
    for (int c = 0; c < tc; c++) acc[c] = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++) {
        const uint8_t *B = G + (size_t)i * X8_BLOCK_BYTES;
        /* Groups lie one after another: prefetching ahead runs on into the next group's blocks. */
        for (int l = 0; l < (int)X8_BLOCK_BYTES; l += 64) _mm_prefetch((const char *)B + X8_PREFETCH + l, _MM_HINT_T0);
        const block_q8_0u *xb[8];
        for (int c = 0; c < tc; c++) xb[c] = (const block_q8_0u *)(x + (size_t)c * xs) + i;
        __m256i s[8], cs = zero;
        for (int c = 0; c < tc; c++) s[c] = zero;
        for (int j = 0; j < 8; j++) {
            const __m256i w = _mm256_loadu_si256((const __m256i *)(B + 16 + 32 * j));
            cs = _mm256_dpbusd_epi32(cs, flip, w);
            for (int c = 0; c < tc; c++) {
                int32_t q4; memcpy(&q4, xb[c]->qs + 4 * j, 4);
                s[c] = _mm256_dpbusd_epi32(s[c], _mm256_set1_epi32(q4), w);
            }
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)B));
        for (int c = 0; c < tc; c++)
            acc[c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(xb[c]->d)), _mm256_cvtepi32_ps(_mm256_sub_epi32(s[c], cs)), acc[c]);
    }
    for (int c = 0; c < tc; c++) _mm256_storeu_ps(y + (size_t)c * ldy, acc[c]);
}

/* sx_gemm_fn for SX_Q8_0X8: nr is a multiple of 8 and w points at the start of a group. */
void sx_gemm_q8_0x8(int k, const void *w, size_t ws, int nr, const void *x, size_t xs, int nc, float *y, size_t ldy, sx_dot_fn dot) {
    const int nb = k / QK8_0;
    for (int g = 0; g < nr / 8; g++) {
        const uint8_t *G = (const uint8_t *)w + (size_t)g * 8 * ws;
        float *yg = y + (size_t)g * 8;
        int c = 0;
        for (; c + 8 <= nc; c += 8) x8_tile(nb, G, (const uint8_t *)x + (size_t)c * xs, xs, 8, yg + (size_t)c * ldy, ldy);
        if (c + 4 <= nc) { x8_tile(nb, G, (const uint8_t *)x + (size_t)c * xs, xs, 4, yg + (size_t)c * ldy, ldy); c += 4; }
        if (c + 2 <= nc) { x8_tile(nb, G, (const uint8_t *)x + (size_t)c * xs, xs, 2, yg + (size_t)c * ldy, ldy); c += 2; }
        if (c < nc) x8_tile(nb, G, (const uint8_t *)x + (size_t)c * xs, xs, 1, yg + (size_t)c * ldy, ldy);
    }
}
