/* kernels_impl.h — kernel bodies as always-inline functions, instantiated per target (scalar, AVX2). */
#ifndef SX_KERNELS_IMPL_H
#define SX_KERNELS_IMPL_H

#include "kernels.h"
#include <math.h>
#include <string.h>

#define SX_INLINE static inline __attribute__((always_inline))

SX_INLINE void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) { *d = q[j] & 63; *m = q[j + 4] & 63; }
    else { *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4); *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4); }
}

/* Q6_K block → 256 signed 6-bit values in natural order. */
SX_INLINE void unpack_q6_K(const block_q6_K *b, int8_t *a) {
    const uint8_t *ql = b->ql, *qh = b->qh;
    for (int n = 0; n < QK_K; n += 128) {
        for (int l = 0; l < 32; l++) {
            a[n + l] = (int8_t)(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
            a[n + l + 32] = (int8_t)(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
            a[n + l + 64] = (int8_t)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            a[n + l + 96] = (int8_t)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
        ql += 64; qh += 32;
    }
}

/* Fixed-order float dot: 8 partial sums, combined pairwise (same order on every path of the same target). */
SX_INLINE float dot_f32_body(int n, const float *a, const float *b) {
    float s[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8) for (int j = 0; j < 8; j++) s[j] += a[i + j] * b[i + j];
    for (; i < n; i++) s[0] += a[i] * b[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

SX_INLINE float dot_f16_body(int n, const void *w, const void *x) {
    const uint16_t *h = w; const float *b = x; float s[8] = {0}; int i = 0;
    for (; i + 8 <= n; i += 8) for (int j = 0; j < 8; j++) s[j] += sx_fp16_to_fp32(h[i + j]) * b[i + j];
    for (; i < n; i++) s[0] += sx_fp16_to_fp32(h[i]) * b[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

SX_INLINE float dot_bf16_body(int n, const void *w, const void *x) {
    const uint16_t *h = w; const float *b = x; float s[8] = {0}; int i = 0;
    for (; i + 8 <= n; i += 8) for (int j = 0; j < 8; j++) s[j] += sx_bf16_to_fp32(h[i + j]) * b[i + j];
    for (; i < n; i++) s[0] += sx_bf16_to_fp32(h[i]) * b[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

SX_INLINE float dot_q8_0_body(int n, const void *w, const void *x) {
    const block_q8_0 *a = w, *b = x; float s = 0;
    for (int i = 0; i < n / QK8_0; i++) {
        int sum = 0;
        for (int j = 0; j < QK8_0; j++) sum += a[i].qs[j] * b[i].qs[j];
        s += sx_fp16_to_fp32(a[i].d) * sx_fp16_to_fp32(b[i].d) * (float)sum;
    }
    return s;
}

SX_INLINE float dot_q4_0_body(int n, const void *w, const void *x) {
    const block_q4_0 *a = w; const block_q8_0 *b = x; float s = 0;
    for (int i = 0; i < n / QK4_0; i++) {
        int sum = 0;
        for (int j = 0; j < 16; j++) sum += ((a[i].qs[j] & 0xF) - 8) * b[i].qs[j] + ((a[i].qs[j] >> 4) - 8) * b[i].qs[j + 16];
        s += sx_fp16_to_fp32(a[i].d) * sx_fp16_to_fp32(b[i].d) * (float)sum;
    }
    return s;
}

SX_INLINE float dot_q4_K_body(int n, const void *w, const void *x) {
    const block_q4_K *a = w; const block_q8_K *b = x; float s = 0;
    for (int i = 0; i < n / QK_K; i++) {
        const uint8_t *q4 = a[i].qs; const int8_t *q8 = b[i].qs; int sumi = 0, summ = 0;
        for (int j = 0; j < 4; j++) {
            uint8_t sc0, m0, sc1, m1; scale_min_k4(2 * j, a[i].scales, &sc0, &m0); scale_min_k4(2 * j + 1, a[i].scales, &sc1, &m1);
            int s0 = 0, s1 = 0;
            for (int l = 0; l < 32; l++) { s0 += (q4[l] & 0xF) * q8[l]; s1 += (q4[l] >> 4) * q8[l + 32]; }
            sumi += sc0 * s0 + sc1 * s1;
            summ += m0 * (b[i].bsums[4 * j] + b[i].bsums[4 * j + 1]) + m1 * (b[i].bsums[4 * j + 2] + b[i].bsums[4 * j + 3]);
            q4 += 32; q8 += 64;
        }
        s += b[i].d * (sx_fp16_to_fp32(a[i].d) * (float)sumi - sx_fp16_to_fp32(a[i].dmin) * (float)summ);
    }
    return s;
}

SX_INLINE float dot_q6_K_body(int n, const void *w, const void *x) {
    const block_q6_K *a = w; const block_q8_K *b = x; float s = 0;
    for (int i = 0; i < n / QK_K; i++) {
        int8_t v[QK_K]; unpack_q6_K(&a[i], v);
        int sumi = 0;
        for (int g = 0; g < QK_K / 16; g++) {
            int t = 0;
            for (int l = 0; l < 16; l++) t += v[g * 16 + l] * b[i].qs[g * 16 + l];
            sumi += a[i].scales[g] * t;
        }
        s += b[i].d * sx_fp16_to_fp32(a[i].d) * (float)sumi;
    }
    return s;
}

SX_INLINE void quant_q8_0_body(const float *x, void *y, int n) {
    block_q8_0 *b = y;
    for (int i = 0; i < n / QK8_0; i++) {
        float amax = 0;
        for (int j = 0; j < QK8_0; j++) { float v = fabsf(x[i * 32 + j]); amax = v > amax ? v : amax; }
        float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
        b[i].d = sx_fp32_to_fp16(d);
        for (int j = 0; j < QK8_0; j++) b[i].qs[j] = (int8_t)nearbyintf(x[i * 32 + j] * id);
    }
}

SX_INLINE void quant_q8_K_body(const float *x, void *y, int n) {
    block_q8_K *b = y;
    for (int i = 0; i < n / QK_K; i++) {
        const float *v = x + i * QK_K; float amax = 0, max = 0;
        for (int j = 0; j < QK_K; j++) { float a = fabsf(v[j]); if (a > amax) { amax = a; max = v[j]; } }
        if (amax == 0) { memset(&b[i], 0, sizeof b[i]); continue; }
        float iscale = -127.0f / max;
        for (int j = 0; j < QK_K; j++) { int q = (int)nearbyintf(iscale * v[j]); b[i].qs[j] = (int8_t)(q > 127 ? 127 : q); }
        for (int g = 0; g < QK_K / 16; g++) { int s = 0; for (int l = 0; l < 16; l++) s += b[i].qs[g * 16 + l]; b[i].bsums[g] = (int16_t)s; }
        b[i].d = 1.0f / iscale;
    }
}

/* x[i] = expf(x[i] - m): the reference for the vector versions, which must give the same bits. */
SX_INLINE void expsub_scalar(float *x, int n, float m) { for (int i = 0; i < n; i++) x[i] = expf(x[i] - m); }

/* The softmax step of attention: scores of row t, head h (nt * nh rows of sc_stride) become exp(s - max) (through
 * expsub), their sum's inverse goes to inv, and the output slices are zeroed for the value pass. Each row's sum runs
 * over its positions in order; four rows' sums are interleaved so that their add chains overlap. */
SX_INLINE void attn_softmax(int hd, int nh, int nt, int n_pos0, float *sc, size_t sc_stride, const float *mx, float *inv,
                            float *out, size_t out_stride, void (*expsub)(float *, int, float)) {
    const int rows = nt * nh;
    for (int r = 0; r < rows; r++) expsub(sc + r * sc_stride, n_pos0 + r / nh, mx[r]);
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
        const float *s0 = sc + r * sc_stride, *s1 = s0 + sc_stride, *s2 = s1 + sc_stride, *s3 = s2 + sc_stride;
        const int n0 = n_pos0 + r / nh, n1 = n_pos0 + (r + 1) / nh, n2 = n_pos0 + (r + 2) / nh, n3 = n_pos0 + (r + 3) / nh;
        const int n = n0 < n3 ? n0 : n3; /* rows grow with t: the first is the shortest */
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int p = 0;
        for (; p < n; p++) { a0 += s0[p]; a1 += s1[p]; a2 += s2[p]; a3 += s3[p]; }
        for (int q = p; q < n0; q++) a0 += s0[q];
        for (int q = p; q < n1; q++) a1 += s1[q];
        for (int q = p; q < n2; q++) a2 += s2[q];
        for (int q = p; q < n3; q++) a3 += s3[q];
        inv[r] = 1.0f / a0; inv[r + 1] = 1.0f / a1; inv[r + 2] = 1.0f / a2; inv[r + 3] = 1.0f / a3;
    }
    for (; r < rows; r++) {
        float sum = 0; const float *sr = sc + r * sc_stride;
        for (int p = 0; p < n_pos0 + r / nh; p++) sum += sr[p];
        inv[r] = 1.0f / sum;
    }
    for (int t = 0; t < nt; t++)
        for (int h = 0; h < nh; h++)
            for (int d = 0; d < hd; d++) out[t * out_stride + (size_t)h * hd + d] = 0;
}

/* Softmax attention of nt query rows of one sequence at consecutive positions (row t attends to positions
 * 0..n_pos0 + t - 1), nh consecutive query heads each (q and out: rows q_stride / out_stride floats apart, heads hd
 * floats apart), over a paged cache of es-byte elements: k and v point at the slice of cell 0 of the first KV head,
 * query head i reads KV head i / group, cells are `stride` elements apart and position p is in cell
 * blocks[p / bs] * bs + p % bs. Positions are the outer loop: each cache row is read once, contiguously, for all the
 * rows and heads of the tile (a block's cells are contiguous). Per row and head the arithmetic and its order are
 * those of that row and head alone (scores, max, exp and sum, then values by position), so the tile size changes
 * no result. scores holds nt * nh rows of sc_stride floats. lay says where a position's row of a KV head is. dotk(hd, q, k) and axpyv(hd, a, v, out) read the cache's element type, expsub is expsub_scalar or
 * a vector version with the same results; instantiations pass constant functions, which inlining resolves. */
SX_INLINE void attn_core(int hd, int nh, int group, int nt, int n_pos0, const float *q, size_t q_stride, const void *k, const void *v,
                         const sx_kv_layout *lay, const int32_t *blocks, int bs, float scale, float *sc, size_t sc_stride,
                         float *out, size_t out_stride,
                         float (*dotk)(int, const float *, const void *), void (*axpyv)(int, float, const void *, float *),
                         void (*expsub)(float *, int, float)) {
    float mx[nt * nh], inv[nt * nh];
    const int n_pos = n_pos0 + nt - 1; /* the last row's */
    for (int i = 0; i < nt * nh; i++) mx[i] = -INFINITY;
    for (int b = 0, p = 0; p < n_pos; b++) {
        for (int o = 0; o < bs && p < n_pos; o++, p++) {
            const char *kr = sx_kv_row(k, lay, blocks, bs, p);
            for (int t = p < n_pos0 ? 0 : p - n_pos0 + 1; t < nt; t++)
                for (int h = 0; h < nh; h++) {
                    const int r = t * nh + h;
                    float s = dotk(hd, q + t * q_stride + (size_t)h * hd, kr + (size_t)(h / group) * lay->head) * scale;
                    sc[r * sc_stride + p] = s; mx[r] = s > mx[r] ? s : mx[r];
                }
        }
    }
    attn_softmax(hd, nh, nt, n_pos0, sc, sc_stride, mx, inv, out, out_stride, expsub);
    for (int b = 0, p = 0; p < n_pos; b++) {
        for (int o = 0; o < bs && p < n_pos; o++, p++) {
            const char *vr = sx_kv_row(v, lay, blocks, bs, p);
            for (int t = p < n_pos0 ? 0 : p - n_pos0 + 1; t < nt; t++)
                for (int h = 0; h < nh; h++) {
                    const int r = t * nh + h;
                    axpyv(hd, sc[r * sc_stride + p] * inv[r], vr + (size_t)(h / group) * lay->head, out + t * out_stride + (size_t)h * hd);
                }
        }
    }
}

/* Portable element access for attn_core: float32 and float16 caches. */
SX_INLINE float dotk_f32(int hd, const float *q, const void *k) { return dot_f32_body(hd, q, k); }
SX_INLINE void axpyv_f32(int hd, float a, const void *v, float *out) { const float *f = v; for (int d = 0; d < hd; d++) out[d] += a * f[d]; }
SX_INLINE float dotk_f16(int hd, const float *q, const void *k) {
    const uint16_t *h = k; float kf[hd];
    for (int d = 0; d < hd; d++) kf[d] = sx_fp16_to_fp32(h[d]);
    return dot_f32_body(hd, q, kf);
}
SX_INLINE void axpyv_f16(int hd, float a, const void *v, float *out) { const uint16_t *h = v; for (int d = 0; d < hd; d++) out[d] += a * sx_fp16_to_fp32(h[d]); }
/* Q8_0 cache (hd a multiple of 32): a head is hd / 32 blocks of an fp16 scale and 32 quants; the attention is that of
 * a float cache holding the dequantized values d * q (exact in float). */
SX_INLINE void dequant_q8_0_head(int hd, const void *k, float *kf) {
    const block_q8_0 *b = k;
    for (int i = 0; i < hd / QK8_0; i++) { const float d = sx_fp16_to_fp32(b[i].d); for (int j = 0; j < QK8_0; j++) kf[i * QK8_0 + j] = d * (float)b[i].qs[j]; }
}
SX_INLINE float dotk_q8_0(int hd, const float *q, const void *k) { float kf[hd]; dequant_q8_0_head(hd, k, kf); return dot_f32_body(hd, q, kf); }
SX_INLINE void axpyv_q8_0(int hd, float a, const void *v, float *out) { float vf[hd]; dequant_q8_0_head(hd, v, vf); for (int d = 0; d < hd; d++) out[d] += a * vf[d]; }

SX_INLINE void axpy_f32_body(int n, float a, const float *x, float *y) { for (int i = 0; i < n; i++) y[i] += a * x[i]; }

/* The rmsnorm's scale 1 / sqrt(mean of squares + eps) from its eight double partial sums. */
SX_INLINE float rms_scale(const double p[8], int n, float eps) {
    const double ss = ((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7]));
    return (float)(1.0 / sqrt(ss / n + eps));
}

/* sx_kernels.add_rmsnorm, portable. Eight double partial sums: one chain of n dependent adds was most of this op's
 * time; each square is exact in double, so only the sums' rounding (~1e-16) differs from one chain's. */
SX_INLINE void add_rmsnorm_body(float *o, float *x, const float *add, const float *w, int n, float eps) {
    if (add) for (int i = 0; i < n; i++) x[i] += add[i];
    if (!o) return;
    double p[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) p[j] += (double)x[i + j] * x[i + j];
    for (; i < n; i++) p[0] += (double)x[i] * x[i];
    const float s = rms_scale(p, n, eps);
    for (int k = 0; k < n; k++) o[k] = x[k] * s * w[k];
}

const sx_kernels *sx_kernels_scalar(void);
const sx_kernels *sx_kernels_avx2(void);

#endif
