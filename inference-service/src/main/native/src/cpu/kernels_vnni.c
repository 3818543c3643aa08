/* kernels_vnni.c — Q8_0 weights repacked for AVX-512 VNNI (512-bit): the CPU layout SX_Q8_0X16.
 *
 * Layout: rows are taken sixteen at a time; for each 32-element block of the sixteen rows, 32 bytes of their fp16
 * scales, then 512 bytes of quants ordered (4-element chunk j, row r, byte b) and stored as w + 128 — so one 64-byte
 * load holds the same four columns of all sixteen rows, and one vpdpbusd against a broadcast of four activation
 * bytes (an embedded {1to16} memory operand) adds their products into sixteen lanes, one per row. The integer sum of
 * a block is complete in its lane after eight instructions, and scaling it takes one multiply, one conversion and
 * one fma for sixteen rows at once. Same bytes per weight as Q8_0 (34 per block and row), so decoding one token
 * reads no more memory than the file's layout.
 *
 * vpdpbusd multiplies unsigned by signed bytes: the weights are the unsigned side (w + 128) and the activations stay
 * signed (Q8_0's quants), so sum((w + 128) * x) - 128 * sum(x) = sum(w * x) exactly; 128 * sum(x) is computed once
 * per activation block when the activations are quantized (SX act format q8_0s), not per weight row.
 *
 * Numerics: each output element is the chain acc = fma(d_w * d_x, (float)isum_block, acc) over the blocks in
 * order, computed in its own lane; every tile width (8, 4, 2, 1 activation rows) runs the same chain, so results
 * do not depend on the batch or the thread split (batch invariance). (The same chain as the eight-row 256-bit layout
 * this replaces: logits are bit-identical to it.) */
#pragma GCC target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")
#include "kernels_impl.h"
#include <immintrin.h>

#define X16_ROWS 16
#define X16_BLOCK_BYTES (X16_ROWS * sizeof(block_q8_0)) /* 544: 16 fp16 scales + 512 quants */
#ifndef X16_PREFETCH
#define X16_PREFETCH (8 * X16_BLOCK_BYTES) /* 4 blocks ahead left the 16-row decode matmuls ~5 % slower */
#endif

void sx_repack_q8_0x16(const void *src, void *dst, int64_t rows, int k) {
    const int nb = k / QK8_0;
    const size_t rb = (size_t)nb * sizeof(block_q8_0);
    for (int64_t g = 0; g < rows / X16_ROWS; g++) {
        uint8_t *G = (uint8_t *)dst + (size_t)g * X16_ROWS * rb;
        for (int r = 0; r < X16_ROWS; r++) {
            const block_q8_0 *row = (const block_q8_0 *)((const uint8_t *)src + (size_t)(g * X16_ROWS + r) * rb);
            for (int i = 0; i < nb; i++) {
                uint8_t *B = G + (size_t)i * X16_BLOCK_BYTES;
                memcpy(B + 2 * r, &row[i].d, 2);
                for (int j = 0; j < 8; j++)
                    for (int b = 0; b < 4; b++) B[32 + 64 * j + 4 * r + b] = (uint8_t)row[i].qs[4 * j + b] ^ 0x80;
            }
        }
    }
}

void sx_get_row_q8_0x16(const void *data, int64_t row, float *dst, int k) {
    const int nb = k / QK8_0;
    const size_t rb = (size_t)nb * sizeof(block_q8_0);
    const uint8_t *G = (const uint8_t *)data + (size_t)(row / X16_ROWS) * X16_ROWS * rb;
    const int r = (int)(row % X16_ROWS);
    for (int i = 0; i < nb; i++) {
        const uint8_t *B = G + (size_t)i * X16_BLOCK_BYTES;
        uint16_t h; memcpy(&h, B + 2 * r, 2);
        const float d = sx_fp16_to_fp32(h);
        for (int j = 0; j < 8; j++)
            for (int b = 0; b < 4; b++) dst[i * QK8_0 + 4 * j + b] = d * (float)(int8_t)(B[32 + 64 * j + 4 * r + b] ^ 0x80);
    }
}

/* Activations: Q8_0 quantization (same rounding), scale kept as the float value of its fp16, signed quants and
 * 128 * their sum. Two 16-lane vectors per block: the largest magnitude is exact in any order, x * (1 / d) is the same
 * product, and vcvtps2dq rounds to nearest even as nearbyintf does in the default rounding mode, so the bytes are
 * those of the scalar loop (kept for a block of NaNs, where max would see them differently). */
static void quant_q8_0s_block(const float *x, block_q8_0s *b) {
    float amax = 0;
    for (int j = 0; j < QK8_0; j++) { float v = fabsf(x[j]); amax = v > amax ? v : amax; }
    const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
    b->d = sx_fp16_to_fp32(sx_fp32_to_fp16(d));
    int32_t sum = 0;
    for (int j = 0; j < QK8_0; j++) { b->qs[j] = (int8_t)nearbyintf(x[j] * id); sum += b->qs[j]; }
    b->s128 = 128 * sum;
}

void sx_quant_q8_0s(const float *x, void *y, int n) {
    block_q8_0s *b = y;
    for (int i = 0; i < n / QK8_0; i++) {
        const __m512 v0 = _mm512_loadu_ps(x + i * 32), v1 = _mm512_loadu_ps(x + i * 32 + 16);
        if (_mm512_cmp_ps_mask(v0, v0, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(v1, v1, _CMP_UNORD_Q)) {
            quant_q8_0s_block(x + i * 32, &b[i]);
            continue;
        }
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
        b[i].d = sx_fp16_to_fp32(sx_fp32_to_fp16(d));
        const __m512 vid = _mm512_set1_ps(id);
        const __m512i i0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, vid)), i1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, vid));
        _mm_storeu_si128((__m128i *)b[i].qs, _mm512_cvtepi32_epi8(i0));
        _mm_storeu_si128((__m128i *)(b[i].qs + 16), _mm512_cvtepi32_epi8(i1));
        b[i].s128 = 128 * _mm512_reduce_add_epi32(_mm512_add_epi32(i0, i1));
    }
}

/* Sixteen weight rows (one group G) against tc activation rows of nb blocks each (xs bytes apart); y points at
 * (activation row 0, weight row 0). Each block prefetches the block pf bytes further on (into L2 where l2). */
SX_INLINE void x16_tile(int nb, const uint8_t *G, const uint8_t *x, size_t xs, const int tc, float *y, size_t ldy, size_t pf, int l2) {
    __m512 acc[8];
    for (int c = 0; c < tc; c++) acc[c] = _mm512_setzero_ps();
    for (int i = 0; i < nb; i++) {
        const uint8_t *B = G + (size_t)i * X16_BLOCK_BYTES;
        for (int l = 0; l < (int)X16_BLOCK_BYTES; l += 64) sx_prefetch(B + pf + l, l2);
        const block_q8_0s *xb[8];
        for (int c = 0; c < tc; c++) xb[c] = (const block_q8_0s *)(x + (size_t)c * xs) + i;
        __m512i s[8]; /* start at -128 * sum(x): the integer sums come out exact, with no subtraction per block */
        for (int c = 0; c < tc; c++) s[c] = _mm512_set1_epi32(-xb[c]->s128);
        for (int j = 0; j < 8; j++) {
            const __m512i w = _mm512_loadu_si512((const void *)(B + 32 + 64 * j));
            for (int c = 0; c < tc; c++) {
                int32_t q4; memcpy(&q4, xb[c]->qs + 4 * j, 4);
                s[c] = _mm512_dpbusd_epi32(s[c], w, _mm512_set1_epi32(q4));
            }
        }
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)B));
        for (int c = 0; c < tc; c++)
            acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(xb[c]->d)), _mm512_cvtepi32_ps(s[c]), acc[c]);
    }
    for (int c = 0; c < tc; c++) _mm512_storeu_ps(y + (size_t)c * ldy, acc[c]);
}

/* sx_gemm_fn for SX_Q8_0X16: nr is a multiple of 16 and w points at the start of a group. More than eight activation
 * rows take several passes over a group: the first streams it from memory, prefetching a few blocks ahead (groups lie
 * one after another, so this runs on into the next group); the later ones read it from cache and would leave the
 * memory idle, so they prefetch the next group's blocks instead (a two-thread product of 16 activation rows with
 * 2048 x 768 / 768 x 2048 matrices out of cache: ~350 / ~300 -> ~450 GMAC/s, best of eight runs each). */
void sx_gemm_q8_0x16(int k, const void *w, size_t ws, int nr, const void *x, size_t xs, int nc, float *y, size_t ldy, sx_dot_fn dot) {
    const int nb = k / QK8_0, l2 = sx_cpu()->prefetch_l2;
    (void)dot;
    for (int g = 0; g < nr / X16_ROWS; g++) {
        const uint8_t *G = (const uint8_t *)w + (size_t)g * X16_ROWS * ws;
        float *yg = y + (size_t)g * X16_ROWS;
        const size_t next = (size_t)X16_ROWS * ws;
        size_t pf = X16_PREFETCH;
        int c = 0;
        for (; c + 8 <= nc; c += 8, pf = next) x16_tile(nb, G, (const uint8_t *)x + (size_t)c * xs, xs, 8, yg + (size_t)c * ldy, ldy, pf, l2);
        if (c + 4 <= nc) { x16_tile(nb, G, (const uint8_t *)x + (size_t)c * xs, xs, 4, yg + (size_t)c * ldy, ldy, pf, l2); c += 4; pf = next; }
        if (c + 2 <= nc) { x16_tile(nb, G, (const uint8_t *)x + (size_t)c * xs, xs, 2, yg + (size_t)c * ldy, ldy, pf, l2); c += 2; pf = next; }
        if (c < nc) x16_tile(nb, G, (const uint8_t *)x + (size_t)c * xs, xs, 1, yg + (size_t)c * ldy, ldy, pf, l2);
    }
}
