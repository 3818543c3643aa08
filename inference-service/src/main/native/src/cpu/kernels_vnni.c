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
 * those of the scalar loop (kept for a block of NaNs, where max would see them differently). One block of 32 values
 * into its scale, sum and quants, wherever the layout keeps them. */
static void quant_q8_0s_scalar(const float *x, float *d_out, int32_t *s128, int8_t *qs) {
    float amax = 0;
    for (int j = 0; j < QK8_0; j++) { float v = fabsf(x[j]); amax = v > amax ? v : amax; }
    const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
    *d_out = sx_fp16_to_fp32(sx_fp32_to_fp16(d));
    int32_t sum = 0;
    for (int j = 0; j < QK8_0; j++) { qs[j] = (int8_t)nearbyintf(x[j] * id); sum += qs[j]; }
    *s128 = 128 * sum;
}

static inline void quant_q8_0s_block(const float *x, float *d_out, int32_t *s128, int8_t *qs) {
    const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
    if (_mm512_cmp_ps_mask(v0, v0, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(v1, v1, _CMP_UNORD_Q)) { quant_q8_0s_scalar(x, d_out, s128, qs); return; }
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
    *d_out = _cvtsh_ss(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT)); /* F16C: sx_fp32_to_fp16's rounding (to nearest even, subnormals, overflow to inf), in two instructions */
    const __m512 vid = _mm512_set1_ps(id);
    const __m512i i0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, vid)), i1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, vid));
    _mm_storeu_si128((__m128i *)qs, _mm512_cvtepi32_epi8(i0));
    _mm_storeu_si128((__m128i *)(qs + 16), _mm512_cvtepi32_epi8(i1));
    *s128 = 128 * _mm512_reduce_add_epi32(_mm512_add_epi32(i0, i1));
}

void sx_quant_q8_0s(const float *x, void *y, int n) {
    block_q8_0s *b = y;
    for (int i = 0; i < n / QK8_0; i++) quant_q8_0s_block(x + i * QK8_0, &b[i].d, &b[i].s128, b[i].qs);
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

/* The rows c .. nc - 1 of x16_tile widths 8, 4, 2, 1 against group G (pf: the first one's prefetch distance). */
SX_INLINE void x16_rest(int nb, const uint8_t *G, const uint8_t *x, size_t xs, int c, int nc, float *yg, size_t ldy, size_t pf, size_t next, int l2) {
    for (; c + 8 <= nc; c += 8, pf = next) x16_tile(nb, G, x + (size_t)c * xs, xs, 8, yg + (size_t)c * ldy, ldy, pf, l2);
    if (c + 4 <= nc) { x16_tile(nb, G, x + (size_t)c * xs, xs, 4, yg + (size_t)c * ldy, ldy, pf, l2); c += 4; pf = next; }
    if (c + 2 <= nc) { x16_tile(nb, G, x + (size_t)c * xs, xs, 2, yg + (size_t)c * ldy, ldy, pf, l2); c += 2; pf = next; }
    if (c < nc) x16_tile(nb, G, x + (size_t)c * xs, xs, 1, yg + (size_t)c * ldy, ldy, pf, l2);
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
        x16_rest(nb, G, x, xs, 0, nc, yg, ldy, X16_PREFETCH, next, l2);
    }
}

/* ---- The same product on Intel AMX (AMX-INT8), sixteen activation rows at a time ----
 * The SX_Q8_0X16 block is already the B operand of a tile product: its 512 quant bytes are eight rows of 64 bytes, row
 * j holding four consecutive elements of each of the sixteen weight rows ("VNNI order"). The quants of sixteen
 * activation rows for the same block, next to each other, are the A operand, and one tdpbsud (signed A, unsigned B)
 * gives all 16 x 16 integer sums sum((w + 128) * x) of the block. The result tile is stored, and each row, less its
 * 128 * sum(x), is scaled into its accumulator as in x16_tile, acc = fma(d_w * d_x, (float)isum, acc), block after
 * block: the same integers and the same chain, so results are bit-identical to the VNNI kernel's (and so to every
 * tile width and batch). The tile unit runs AMX_AHEAD blocks ahead of the scaling, four result tiles in rotation.
 *
 * Activations for it (sx_quant_q8_0s_tiled): each full run of sixteen rows from the first is stored block-major, the
 * same bytes as sixteen rows of block_q8_0s: per block the sixteen scales (64 bytes), the sixteen 128 * sums (64), then
 * the sixteen rows' quants (512: one A tile); rows after the last full sixteen keep the row layout for x16_tile.
 *
 * Measured (one thread, a 2048 x 768 or 768 x 2048 matrix in L2, 16 activation rows, Xeon with AMX, activations
 * gathered per call in that experiment): 325-350 vs 215-235 GMAC/s for x16_tile. The scaling (four vector operations
 * per row and block) and the tile stores take most of it; a result tile started from a stored bias tile instead of
 * the subtraction was slower (~325). */
#define AMX_ROWS SX_AMX_ROWS
#define AMX_MAX_BLOCKS 1024 /* rows of up to 32768 values take the tile unit (nothing here grows with k; a bound kept for sanity), longer ones x16_tile */
#ifndef AMX_AHEAD
#define AMX_AHEAD 3 /* 1: ~300, 2: ~320 GMAC/s in the measurement above */
#endif
#define AMX_BLOCK_BYTES (AMX_ROWS * sizeof(block_q8_0s)) /* 640: one block of sixteen activation rows */
typedef struct { float d[AMX_ROWS]; int32_t s128[AMX_ROWS]; int8_t q[AMX_ROWS][QK8_0]; } amx_act_block;
_Static_assert(sizeof(amx_act_block) == AMX_BLOCK_BYTES, "a tiled block holds the bytes of sixteen row blocks");

typedef struct { uint8_t palette, start_row, reserved[14]; uint16_t colsb[16]; uint8_t rows[16]; } amx_tilecfg;
/* Tile numbers; gcc's tile intrinsics paste their argument's spelling into the instruction, so these are macros and
 * are passed through the wrappers below, which expand them to digits first. */
#define AMX_C0 0
#define AMX_C1 1
#define AMX_C2 2
#define AMX_C3 3
#define AMX_A0 4
#define AMX_A1 5
#define AMX_B0 6
#define AMX_B1 7
#define TILE_LOADD(t, p, s) _tile_loadd(t, p, s)
#define TILE_STORED(t, p, s) _tile_stored(t, p, s)
#define TILE_ZERO(t) _tile_zero(t)
#define TILE_DPBSUD(c, a, b) _tile_dpbsud(c, a, b)

#define SX_AMX __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni,amx-tile,amx-int8")))
#define SX_AMX_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni,amx-tile,amx-int8")))

/* How many of n activation rows of k values are stored tiled: the full runs of sixteen (none for longer rows). */
int sx_amx_tiled_rows(int n, int k) { return k / QK8_0 <= AMX_MAX_BLOCKS ? n / AMX_ROWS * AMX_ROWS : 0; }

/* Blocks i0 .. i1 - 1 of a run of sixteen rows (x: its first row, rows k floats apart) into the tiled run at y: each
 * block's 640 bytes written by one call, so threads converting different blocks share no cache line (y 64-aligned). */
void sx_quant_q8_0s_tiled(const float *x, void *y, int k, int i0, int i1) {
    amx_act_block *a = y;
    for (int i = i0; i < i1; i++)
        for (int m = 0; m < AMX_ROWS; m++) quant_q8_0s_block(x + (size_t)m * k + i * QK8_0, &a[i].d[m], &a[i].s128[m], a[i].q[m]);
}

/* Tiles C0-C3: 16 rows of 16 int32; A0/A1: 16 rows of 32 quant bytes; B0/B1: 8 rows of 64 bytes. */
SX_AMX static void amx_configure(void) {
    amx_tilecfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = AMX_C0; t <= AMX_C3; t++) { cfg.rows[t] = AMX_ROWS; cfg.colsb[t] = 64; }
    for (int t = AMX_A0; t <= AMX_A1; t++) { cfg.rows[t] = AMX_ROWS; cfg.colsb[t] = QK8_0; }
    for (int t = AMX_B0; t <= AMX_B1; t++) { cfg.rows[t] = 8; cfg.colsb[t] = 64; }
    _tile_loadconfig(&cfg);
}

/* acc[m] = fma(d_w * d_x[m], (float)(c[m] - 128 * sum(x[m])), acc[m]) for the sixteen rows of one block. */
SX_AMX_INLINE void amx_scale(const uint8_t *B, const amx_act_block *a, const int32_t *c, __m512 acc[AMX_ROWS]) {
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)B));
    for (int m = 0; m < AMX_ROWS; m++)
        acc[m] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(a->d[m])),
                                 _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_load_si512((const void *)(c + 16 * m)), _mm512_set1_epi32(a->s128[m]))), acc[m]);
}

/* Block i's product into result tile C, stored to slot i % 4 of cbuf. */
#define AMX_PRODUCT(C, A, Bt, i) do { \
        TILE_ZERO(C); \
        TILE_LOADD(A, xa[i].q, QK8_0); \
        TILE_LOADD(Bt, G + (size_t)(i) * X16_BLOCK_BYTES + 32, 64); \
        TILE_DPBSUD(C, A, Bt); \
        TILE_STORED(C, cbuf + ((i) & 3) * 256, 64); \
    } while (0)
/* Block j's product (if j < nb) with the tiles of j % 4 (constant tile numbers in each branch). */
#define AMX_PRODUCT_AT(j) do { \
        if ((j) < nb) switch ((j) & 3) { \
            case 0: AMX_PRODUCT(AMX_C0, AMX_A0, AMX_B0, j); break; case 1: AMX_PRODUCT(AMX_C1, AMX_A1, AMX_B1, j); break; \
            case 2: AMX_PRODUCT(AMX_C2, AMX_A0, AMX_B0, j); break; default: AMX_PRODUCT(AMX_C3, AMX_A1, AMX_B1, j); break; } \
    } while (0)

/* Sixteen weight rows (group G) against sixteen tiled activation rows xa; y as in x16_tile. */
SX_AMX_INLINE void amx_tile(int nb, const uint8_t *G, const amx_act_block *xa, int32_t *cbuf, float *y, size_t ldy, size_t pf, int l2) {
    __m512 acc[AMX_ROWS];
    for (int m = 0; m < AMX_ROWS; m++) acc[m] = _mm512_setzero_ps();
    for (int j = 0; j < AMX_AHEAD; j++) AMX_PRODUCT_AT(j);
    for (int i = 0; i < nb; i++) {
        const uint8_t *B = G + (size_t)i * X16_BLOCK_BYTES;
        for (int l = 0; l < (int)X16_BLOCK_BYTES; l += 64) sx_prefetch(B + pf + l, l2);
        AMX_PRODUCT_AT(i + AMX_AHEAD);
        amx_scale(B, &xa[i], cbuf + (i & 3) * 256, acc);
    }
    for (int m = 0; m < AMX_ROWS; m++) _mm512_storeu_ps(y + (size_t)m * ldy, acc[m]);
}

/* sx_gemm_fn for SX_Q8_0X16 where the CPU has AMX-INT8 (sx_cpu()->amx), over activations from sx_quant_q8_0s_tiled
 * (x: the first of nc rows of such a matrix, at a multiple of sixteen rows from its start). Group by group as in
 * sx_gemm_q8_0x16: the tiled runs of sixteen rows on the tile unit, then the rest with x16_tile while the group is
 * in cache. The tiles are configured on entry and released on return: a thread holds no tile state between calls. */
SX_AMX void sx_gemm_q8_0x16_amx(int k, const void *w, size_t ws, int nr, const void *x, size_t xs, int nc, float *y, size_t ldy, sx_dot_fn dot) {
    const int nb = k / QK8_0, l2 = sx_cpu()->prefetch_l2;
    const int tiled = sx_amx_tiled_rows(nc, k);
    if (!tiled) { sx_gemm_q8_0x16(k, w, ws, nr, x, xs, nc, y, ldy, dot); return; }
    int32_t cbuf[4 * 256] __attribute__((aligned(64)));
    const size_t next = (size_t)X16_ROWS * ws;
    amx_configure();
    for (int g = 0; g < nr / X16_ROWS; g++) {
        const uint8_t *G = (const uint8_t *)w + (size_t)g * next;
        float *yg = y + (size_t)g * X16_ROWS;
        size_t pf = X16_PREFETCH;
        for (int c = 0; c < tiled; c += AMX_ROWS, pf = next)
            amx_tile(nb, G, (const amx_act_block *)((const uint8_t *)x + (size_t)c * xs), cbuf, yg + (size_t)c * ldy, ldy, pf, l2);
        x16_rest(nb, G, x, xs, tiled, nc, yg, ldy, pf, next, l2);
    }
    _tile_release();
}
