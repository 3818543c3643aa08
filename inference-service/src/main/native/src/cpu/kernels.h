/* kernels.h — CPU vector kernels, chosen once at run time (AVX2+FMA+F16C or portable scalar). */
#ifndef SX_KERNELS_H
#define SX_KERNELS_H

#include "../common.h"

/* dot(w_row, x_row) of n elements; x is in the activation format of the weight type (sx_act_type). */
typedef float (*sx_dot_fn)(int n, const void *w, const void *x);
/* Converts a float row into the activation format of a weight type. */
typedef void (*sx_quant_fn)(const float *x, void *y, int n);

/* Tile product: y[c * ldy + r] = dot(w row r, x row c) for r < nr, c < nc. Every element is computed with the
 * same operation order whatever nr and nc are, so results do not depend on the batch (batch invariance). */
typedef void (*sx_gemm_fn)(int k, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nc,
                           float *y, size_t ldy, sx_dot_fn dot);

/* Where a paged KV cache keeps its rows: block by block, and within a block KV head by KV head, the block's
 * positions in order: [block][KV head][position in block][head_dim]. Bytes: block from block, head from KV head
 * within a block, pos from position within a block. A task that takes some of a sequence's KV heads reads one
 * contiguous range of each block, in address order (one sequential stream the hardware prefetchers follow); with
 * positions outer and heads inner (runs of eight positions head by head, the layout before this one) a task of
 * half the heads read every other kilobyte and took twice as long per position and head. */
typedef struct { size_t block, head, pos; } sx_kv_layout;

/* Offset of KV head 0's row of cache cell `cell` (block cell / bs, position cell % bs within it). */
static inline size_t sx_kv_cell(const sx_kv_layout *lay, int bs, int cell) {
    return (size_t)(cell / bs) * lay->block + (size_t)(cell % bs) * lay->pos;
}

/* Address of position p's row of KV head 0 in a paged cache (blocks: the sequence's block table, bs: its block size). */
static inline const char *sx_kv_row(const void *base, const sx_kv_layout *lay, const int32_t *blocks, int bs, int p) {
    return (const char *)base + sx_kv_cell(lay, bs, blocks[p / bs] * bs + p % bs);
}

/* Software prefetch of one line of a streamed operand (weights, KV cache): into L1 (prefetcht0), or into L2
 * (prefetcht1) where l2 (sx_cpu()->prefetch_l2) says so. */
static inline void sx_prefetch(const void *p, int l2) { if (l2) __builtin_prefetch(p, 0, 2); else __builtin_prefetch(p, 0, 3); }

typedef struct sx_kernels {
    const char *name;
    sx_dot_fn dot[31];      /* by weight dtype */
    sx_quant_fn quant[31];  /* activation conversion by weight dtype */
    sx_gemm_fn gemm[31];    /* tile products by weight dtype */
    /* Where set (AMX), gemm[SX_Q8_0X16] wants the first tiled_rows(n, k) activation rows converted by quant_tiled
     * (sx_quant_q8_0s_tiled) and only the rest by quant[SX_Q8_0X16]. */
    int (*tiled_rows)(int n, int k);
    void (*quant_tiled)(const float *x, void *y, int k, int i0, int i1);
    float (*dot_f32)(int n, const float *a, const float *b);
    void (*axpy_f32)(int n, float a, const float *x, float *y); /* y += a*x */
    /* Softmax attention of nt query rows of one sequence at consecutive positions (row t sees positions
     * 0..n_pos0 + t - 1), nh consecutive query heads each, over a paged cache of kv_type elements (SX_F32, SX_F16, or
     * SX_Q8_0 blocks where hd % 32 == 0) laid out as lay says; see attn_core in kernels_impl.h. Results per row do
     * not depend on nt. */
    void (*attn)(int hd, int nh, int group, int nt, int n_pos0, const float *q, size_t q_stride, const void *k, const void *v, int kv_type,
                 const sx_kv_layout *lay, const int32_t *blocks, int bs, float scale, float *scores, size_t sc_stride, float *out, size_t out_stride);
    void (*to_f16)(const float *x, uint16_t *y, int n); /* round to nearest even */
    void (*silu_mul)(float *g, const float *u, int n);  /* g[i] = g[i] / (1 + expf(-g[i])) * u[i], bit for bit */
    /* x += add (where add), then o = rmsnorm(x) * w (where o): the sum of squares in eight double lanes (element i
     * in lane i % 8, each square exact), combined ((p0 + p4) + (p1 + p5)) + ((p2 + p6) + (p3 + p7)), the same bits on
     * every path. */
    void (*add_rmsnorm)(float *o, float *x, const float *add, const float *w, int n, float eps);
} sx_kernels;

const sx_kernels *sx_kernels_get(void);
/* Tile product through dot() one element at a time (any dtype). */
void sx_gemm_generic(int k, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nc, float *y, size_t ldy, sx_dot_fn dot);
/* Bytes of the activation row for a weight dtype and row length n. */
size_t sx_act_row_bytes(int wtype, int n);
/* SX_Q8_0X16 (kernels_vnni.c; only where the CPU has AVX-512 VNNI): repack rows (a multiple of 16) of a Q8_0
 * matrix with rows of k elements, read back one row, the activation conversion, and the tile product (an
 * sx_gemm_fn; dot is unused). */
void sx_repack_q8_0x16(const void *src, void *dst, int64_t rows, int k);
void sx_get_row_q8_0x16(const void *data, int64_t row, float *dst, int k);
void sx_quant_q8_0s(const float *x, void *y, int n);
void sx_gemm_q8_0x16(int k, const void *w, size_t ws, int nr, const void *x, size_t xs, int nc, float *y, size_t ldy, sx_dot_fn dot);
/* The same product with sixteen activation rows at a time on Intel AMX (only where sx_cpu()->amx), over activations
 * whose first sx_amx_tiled_rows(n, k) rows are stored in runs of sixteen, block-major (kernels_vnni.c), converted by
 * sx_quant_q8_0s_tiled (blocks i0 .. i1 - 1 of one run: x its first row, y the run's start), the rest by
 * sx_quant_q8_0s row by row. */
#define SX_AMX_ROWS 16 /* activation rows per tile product (a run of the tiled layout) */
int sx_amx_tiled_rows(int n, int k);
void sx_quant_q8_0s_tiled(const float *x, void *y, int k, int i0, int i1);
void sx_gemm_q8_0x16_amx(int k, const void *w, size_t ws, int nr, const void *x, size_t xs, int nc, float *y, size_t ldy, sx_dot_fn dot);
/* Dequantize one row of any supported dtype into floats. */
void sx_dequant_row(int type, const void *src, float *dst, int n);

#endif
