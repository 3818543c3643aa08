/* kernels_avx2.c — AVX2/FMA/F16C kernels. The whole file targets AVX2 through the pragma (same effect as
 * __attribute__((target)) on each function); they run only after sx_cpu() reports the features. */
#pragma GCC target("avx2,fma,f16c")
#include "kernels_impl.h"
#include <immintrin.h>

/* Functions for the AVX-512 variants (run only where avx512() says so). */
#define SX_AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl")))
#define SX_AVX512_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c,avx512f,avx512bw,avx512vl")))
static inline int avx512(void) { const sx_cpu_caps *c = sx_cpu(); return c->avx512f && c->avx512bw && c->avx512vl; }

#ifndef SX_PREFETCH
#define SX_PREFETCH 2048
#endif

static inline float hsum8(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    __m128 sh = _mm_movehdup_ps(lo), s = _mm_add_ps(lo, sh);
    sh = _mm_movehl_ps(sh, s); s = _mm_add_ss(s, sh);
    return _mm_cvtss_f32(s);
}

static inline __m256 mul_sum_i8(__m256i x, __m256i y) {
    const __m256i ax = _mm256_sign_epi8(x, x), sy = _mm256_sign_epi8(y, x);
    const __m256i dot = _mm256_maddubs_epi16(ax, sy);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(dot, _mm256_set1_epi16(1)));
}

static float dot_f32_avx2(int n, const float *a, const float *b) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0; int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}
static float dot_f32_row_avx2(int n, const void *a, const void *b) { return dot_f32_avx2(n, a, b); }

static float dot_f16_avx2(int n, const void *w, const void *x) {
    const uint16_t *h = w; const float *b = x;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0; int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i + 8))), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))), _mm256_loadu_ps(b + i), s0);
    float s = hsum8(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += _cvtsh_ss(h[i]) * b[i];
    return s;
}

static float dot_bf16_avx2(int n, const void *w, const void *x) {
    const uint16_t *h = w; const float *b = x;
    __m256 s0 = _mm256_setzero_ps(); int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(h + i))), 16);
        s0 = _mm256_fmadd_ps(_mm256_castsi256_ps(v), _mm256_loadu_ps(b + i), s0);
    }
    float s = hsum8(s0);
    for (; i < n; i++) s += sx_bf16_to_fp32(h[i]) * b[i];
    return s;
}

/* Q8_0 x Q8_0: one accumulator per output element, one fma per block, so the single dot and every tile
 * shape below produce bit-identical results. */
static float dot_q8_0_avx2(int n, const void *w, const void *x) {
    const block_q8_0 *a = w, *b = x; const int nb = n / QK8_0;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++) {
        _mm_prefetch((const char *)&a[i] + SX_PREFETCH, _MM_HINT_T0);
        __m256 d = _mm256_set1_ps(_cvtsh_ss(a[i].d) * _cvtsh_ss(b[i].d));
        acc = _mm256_fmadd_ps(d, mul_sum_i8(_mm256_loadu_si256((const __m256i *)a[i].qs), _mm256_loadu_si256((const __m256i *)b[i].qs)), acc);
    }
    return hsum8(acc);
}

/* 4 weight rows x 2 activation rows per pass: weights are read once for both activation rows and four
 * independent row streams keep more loads in flight (decode is bound by memory). */
static void gemm_q8_0_avx2(int k, const void *w, size_t ws, int nr, const void *x, size_t xs, int nc, float *y, size_t ldy, sx_dot_fn dot) {
    const int nb = k / QK8_0;
    int c = 0;
    for (; c + 2 <= nc; c += 2) {
        const block_q8_0 *x0 = (const block_q8_0 *)((const uint8_t *)x + (size_t)c * xs), *x1 = (const block_q8_0 *)((const uint8_t *)x + (size_t)(c + 1) * xs);
        int r = 0;
        for (; r + 4 <= nr; r += 4) {
            const block_q8_0 *w0 = (const block_q8_0 *)((const uint8_t *)w + (size_t)r * ws), *w1 = (const block_q8_0 *)((const uint8_t *)w0 + ws);
            const block_q8_0 *w2 = (const block_q8_0 *)((const uint8_t *)w1 + ws), *w3 = (const block_q8_0 *)((const uint8_t *)w2 + ws);
            __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int i = 0; i < nb; i++) {
                const __m256i q0 = _mm256_loadu_si256((const __m256i *)x0[i].qs), q1 = _mm256_loadu_si256((const __m256i *)x1[i].qs);
                const float dx0 = _cvtsh_ss(x0[i].d), dx1 = _cvtsh_ss(x1[i].d);
#define ROW(W, A0, A1) { const __m256i wq = _mm256_loadu_si256((const __m256i *)W[i].qs); const float dw = _cvtsh_ss(W[i].d); \
                A0 = _mm256_fmadd_ps(_mm256_set1_ps(dw * dx0), mul_sum_i8(wq, q0), A0); \
                A1 = _mm256_fmadd_ps(_mm256_set1_ps(dw * dx1), mul_sum_i8(wq, q1), A1); }
                ROW(w0, a00, a01) ROW(w1, a10, a11) ROW(w2, a20, a21) ROW(w3, a30, a31)
#undef ROW
            }
            float *y0 = y + (size_t)c * ldy + r, *y1 = y0 + ldy;
            y0[0] = hsum8(a00); y0[1] = hsum8(a10); y0[2] = hsum8(a20); y0[3] = hsum8(a30);
            y1[0] = hsum8(a01); y1[1] = hsum8(a11); y1[2] = hsum8(a21); y1[3] = hsum8(a31);
        }
        for (; r < nr; r++) {
            const void *wr = (const uint8_t *)w + (size_t)r * ws;
            y[(size_t)c * ldy + r] = dot_q8_0_avx2(k, wr, x0);
            y[(size_t)(c + 1) * ldy + r] = dot_q8_0_avx2(k, wr, x1);
        }
    }
    for (; c < nc; c++) {
        const block_q8_0 *x0 = (const block_q8_0 *)((const uint8_t *)x + (size_t)c * xs);
        int r = 0;
        /* A lone activation row (decode) walks the weights row by row: one sequential stream is what the
         * hardware prefetcher follows best, and memory bandwidth is the limit here. */
        for (; nc > 1 && r + 4 <= nr; r += 4) {
            const block_q8_0 *w0 = (const block_q8_0 *)((const uint8_t *)w + (size_t)r * ws), *w1 = (const block_q8_0 *)((const uint8_t *)w0 + ws);
            const block_q8_0 *w2 = (const block_q8_0 *)((const uint8_t *)w1 + ws), *w3 = (const block_q8_0 *)((const uint8_t *)w2 + ws);
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < nb; i++) {
                const __m256i q0 = _mm256_loadu_si256((const __m256i *)x0[i].qs);
                const float dx0 = _cvtsh_ss(x0[i].d);
#define ROW(W, A0) { const __m256i wq = _mm256_loadu_si256((const __m256i *)W[i].qs); \
                A0 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(W[i].d) * dx0), mul_sum_i8(wq, q0), A0); }
                ROW(w0, a0) ROW(w1, a1) ROW(w2, a2) ROW(w3, a3)
#undef ROW
            }
            float *y0 = y + (size_t)c * ldy + r;
            y0[0] = hsum8(a0); y0[1] = hsum8(a1); y0[2] = hsum8(a2); y0[3] = hsum8(a3);
        }
        for (; r < nr; r++) y[(size_t)c * ldy + r] = dot_q8_0_avx2(k, (const uint8_t *)w + (size_t)r * ws, x0);
    }
}

static inline __m256i nibbles32(const uint8_t *q) {
    const __m128i t = _mm_loadu_si128((const __m128i *)q);
    const __m256i bytes = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
    return _mm256_and_si256(bytes, _mm256_set1_epi8(0x0F));
}

static float dot_q4_0_avx2(int n, const void *w, const void *x) {
    const block_q4_0 *a = w; const block_q8_0 *b = x; const int nb = n / QK4_0;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++) {
        __m256 d = _mm256_set1_ps(_cvtsh_ss(a[i].d) * _cvtsh_ss(b[i].d));
        __m256i qx = _mm256_sub_epi8(nibbles32(a[i].qs), _mm256_set1_epi8(8));
        acc = _mm256_fmadd_ps(d, mul_sum_i8(qx, _mm256_loadu_si256((const __m256i *)b[i].qs)), acc);
    }
    return hsum8(acc);
}

/* K-quants: the reference bodies, vectorised by the compiler for this target. */
static float dot_q4_K_avx2(int n, const void *w, const void *x) { return dot_q4_K_body(n, w, x); }
static float dot_q6_K_avx2(int n, const void *w, const void *x) { return dot_q6_K_body(n, w, x); }
static void quant_f32_avx2(const float *x, void *y, int n) { memcpy(y, x, sizeof(float) * (size_t)n); }
static void quant_q8_0_avx2(const float *x, void *y, int n) { quant_q8_0_body(x, y, n); }
static void quant_q8_K_avx2(const float *x, void *y, int n) { quant_q8_K_body(x, y, n); }


/* expf, eight lanes at a time, giving the bits of glibc's expf (since 2.28: ARM's optimized-routines method, as its FMA
 * build evaluates it, which is the one glibc picks on a CPU with AVX2 and FMA): x * 32 / ln 2 = k + r, 2^(k/32) from a
 * 32-entry table with k / 32 added to the exponent, 2^(r/32) by a cubic in double precision, one rounding to float at
 * the end. The product x * 32 / ln 2 is rounded once where it is shifted to get k and not at all where r is taken
 * (a fused multiply-subtract): glibc's FMA build contracts the second use and not the first. Checked bit for bit
 * against libm's expf on every float with |x| < 88; lanes outside that range (overflow, underflow, inf, NaN) call
 * expf itself. */
static const uint64_t expf_tab[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51, 0x3fef72b83c7d517b, 0x3fef54873168b9aa,
    0x3fef387a6e756238, 0x3fef1e9df51fdee1, 0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
    0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585, 0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74,
    0x3feea11473eb0187, 0x3feea589994cce13, 0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
    0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069, 0x3fef5818dcfba487, 0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da, 0x3fefd0765b6e4540 };

static inline __m128 expf4_pd(__m128 x) {
    const __m256d inv_ln2n = _mm256_set1_pd(0x1.71547652b82fep+0 * 32), shift = _mm256_set1_pd(0x1.8p+52);
    const __m256d xd = _mm256_cvtps_pd(x);
    __m256d kd = _mm256_add_pd(_mm256_mul_pd(inv_ln2n, xd), shift);
    const __m256i ki = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    const __m256d r = _mm256_fmsub_pd(inv_ln2n, xd, kd);
    __m256i t = _mm256_i64gather_epi64((const long long *)expf_tab, _mm256_and_si256(ki, _mm256_set1_epi64x(31)), 8);
    t = _mm256_add_epi64(t, _mm256_slli_epi64(ki, 47));
    const __m256d z = _mm256_fmadd_pd(_mm256_set1_pd(0x1.c6af84b912394p-5 / 32 / 32 / 32), r, _mm256_set1_pd(0x1.ebfce50fac4f3p-3 / 32 / 32));
    __m256d y = _mm256_fmadd_pd(_mm256_set1_pd(0x1.62e42ff0c52d6p-1 / 32), r, _mm256_set1_pd(1.0));
    y = _mm256_fmadd_pd(z, _mm256_mul_pd(r, r), y);
    return _mm256_cvtpd_ps(_mm256_mul_pd(y, _mm256_castsi256_pd(t)));
}

/* expf of 8 floats (lanes with |x| >= 88 or NaN through libm). */
SX_INLINE __m256 expf8(__m256 x) {
    const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    if (_mm256_movemask_ps(_mm256_cmp_ps(ax, _mm256_set1_ps(88.0f), _CMP_LT_OQ)) != 0xff) {
        float v[8]; _mm256_storeu_ps(v, x);
        for (int i = 0; i < 8; i++) v[i] = expf(v[i]);
        return _mm256_loadu_ps(v);
    }
    return _mm256_set_m128(expf4_pd(_mm256_extractf128_ps(x, 1)), expf4_pd(_mm256_castps256_ps128(x)));
}

/* The same expf on eight doubles at once where the CPU has AVX-512 (the table read by two-register permutes instead of
 * a gather): every lane's arithmetic is expf4_pd's, so the bits are too. */
SX_AVX512_INLINE __m256 expf8_pd512(__m256 x) {
    const __m512d inv_ln2n = _mm512_set1_pd(0x1.71547652b82fep+0 * 32), shift = _mm512_set1_pd(0x1.8p+52);
    const __m512d xd = _mm512_cvtps_pd(x);
    __m512d kd = _mm512_add_pd(_mm512_mul_pd(inv_ln2n, xd), shift);
    const __m512i ki = _mm512_castpd_si512(kd);
    kd = _mm512_sub_pd(kd, shift);
    const __m512d r = _mm512_fmsub_pd(inv_ln2n, xd, kd);
    const double *tab = (const double *)expf_tab;
    const __m512d lo = _mm512_permutex2var_pd(_mm512_loadu_pd(tab), ki, _mm512_loadu_pd(tab + 8));
    const __m512d hi = _mm512_permutex2var_pd(_mm512_loadu_pd(tab + 16), ki, _mm512_loadu_pd(tab + 24));
    const __mmask8 upper = _mm512_test_epi64_mask(ki, _mm512_set1_epi64(16));
    __m512i t = _mm512_castpd_si512(_mm512_mask_blend_pd(upper, lo, hi));
    t = _mm512_add_epi64(t, _mm512_slli_epi64(ki, 47));
    const __m512d z = _mm512_fmadd_pd(_mm512_set1_pd(0x1.c6af84b912394p-5 / 32 / 32 / 32), r, _mm512_set1_pd(0x1.ebfce50fac4f3p-3 / 32 / 32));
    __m512d y = _mm512_fmadd_pd(_mm512_set1_pd(0x1.62e42ff0c52d6p-1 / 32), r, _mm512_set1_pd(1.0));
    y = _mm512_fmadd_pd(z, _mm512_mul_pd(r, r), y);
    return _mm512_cvtpd_ps(_mm512_mul_pd(y, _mm512_castsi512_pd(t)));
}

SX_AVX512_INLINE __m256 expf8_512(__m256 x) {
    const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    if (_mm256_movemask_ps(_mm256_cmp_ps(ax, _mm256_set1_ps(88.0f), _CMP_LT_OQ)) != 0xff) return expf8(x);
    return expf8_pd512(x);
}

/* expsub_scalar (kernels_impl.h) and silu_mul_generic, eight at a time (the same operations in the same order), with
 * exp8 one of the expf above. */
SX_INLINE void expsub_loop(float *x, int n, float m, __m256 (*exp8)(__m256)) {
    const __m256 vm = _mm256_set1_ps(m); int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm)));
    for (; i < n; i++) x[i] = expf(x[i] - m);
}

SX_INLINE void silu_mul_loop(float *g, const float *u, int n, __m256 (*exp8)(__m256)) {
    const __m256 one = _mm256_set1_ps(1.0f), neg = _mm256_set1_ps(-0.0f); int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(g + i);
        const __m256 e = exp8(_mm256_xor_ps(x, neg));
        _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(one, e)), _mm256_loadu_ps(u + i)));
    }
    for (; i < n; i++) g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

SX_AVX512 static void expsub_avx512(float *x, int n, float m) { expsub_loop(x, n, m, expf8_512); }
SX_AVX512 static void silu_mul_avx512(float *g, const float *u, int n) { silu_mul_loop(g, u, n, expf8_512); }

static inline void expsub_avx2(float *x, int n, float m) {
    if (avx512()) expsub_avx512(x, n, m);
    else expsub_loop(x, n, m, expf8);
}

static void silu_mul_avx2(float *g, const float *u, int n) {
    if (avx512()) silu_mul_avx512(g, u, n);
    else silu_mul_loop(g, u, n, expf8);
}

/* add_rmsnorm_body with vectors: the adds and the output products element by element, the squares into eight double
 * lanes (as two 4-lane halves with AVX2), fma(x, x, p) being p + x * x exactly since the square is exact in double. */
SX_AVX512 static void add_rmsnorm_avx512(float *o, float *x, const float *add, const float *w, int n, float eps) {
    int i = 0;
    if (add) {
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_add_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(add + i)));
        for (; i < n; i++) x[i] += add[i];
    }
    if (!o) return;
    __m512d acc = _mm512_setzero_pd();
    for (i = 0; i + 8 <= n; i += 8) { const __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(x + i)); acc = _mm512_fmadd_pd(v, v, acc); }
    double p[8];
    _mm512_storeu_pd(p, acc);
    for (; i < n; i++) p[0] += (double)x[i] * x[i];
    const float s = rms_scale(p, n, eps);
    const __m512 vs = _mm512_set1_ps(s);
    for (i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(o + i, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), vs), _mm512_loadu_ps(w + i)));
    for (; i < n; i++) o[i] = x[i] * s * w[i];
}

static void add_rmsnorm_avx2(float *o, float *x, const float *add, const float *w, int n, float eps) {
    if (avx512()) { add_rmsnorm_avx512(o, x, add, w, n, eps); return; }
    int i = 0;
    if (add) {
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_add_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(add + i)));
        for (; i < n; i++) x[i] += add[i];
    }
    if (!o) return;
    __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
    for (i = 0; i + 8 <= n; i += 8) {
        const __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(x + i)), b = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
        lo = _mm256_fmadd_pd(a, a, lo); hi = _mm256_fmadd_pd(b, b, hi);
    }
    double p[8];
    _mm256_storeu_pd(p, lo); _mm256_storeu_pd(p + 4, hi);
    for (; i < n; i++) p[0] += (double)x[i] * x[i];
    const float s = rms_scale(p, n, eps);
    const __m256 vs = _mm256_set1_ps(s);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs), _mm256_loadu_ps(w + i)));
    for (; i < n; i++) o[i] = x[i] * s * w[i];
}

/* Eight cache elements d .. d + 7 of one KV head as floats: float16 (F16C) or Q8_0 (the block's fp16 scale times the
 * quants, exact in float, so the attention is that of a float cache of the dequantized values). */
SX_INLINE __m256 kv_load8(const char *head, int d, const int q8) {
    if (q8) {
        const char *b = head + (size_t)(d / QK8_0) * sizeof(block_q8_0);
        uint16_t h; memcpy(&h, b, 2);
        const __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b + 2 + d % QK8_0))));
        return _mm256_mul_ps(q, _mm256_set1_ps(_cvtsh_ss(h)));
    }
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(head + 2 * (size_t)d)));
}

/* attn over an F16 or Q8_0 cache; 8-lane dot like dot_f32_avx2's structure (hd % 8 == 0). */
SX_INLINE float dotk_x_avx2(int hd, const float *q, const char *kv, const int q8) {
    __m256 s0 = _mm256_setzero_ps();
    for (int d = 0; d + 8 <= hd; d += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), kv_load8(kv, d, q8), s0);
    return hsum8(s0);
}

/* The F16 dot with a scalar tail for hd % 8 != 0 (the attn_core fallback). */
static inline float dotk_f16_avx2(int hd, const float *q, const void *kv) {
    const uint16_t *k = kv; __m256 s0 = _mm256_setzero_ps(); int d = 0;
    for (; d + 8 <= hd; d += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + d))), s0);
    float s = hsum8(s0);
    for (; d < hd; d++) s += q[d] * _cvtsh_ss(k[d]);
    return s;
}

static inline void axpyv_f16_avx2(int hd, float a, const void *vv, float *out) {
    const uint16_t *v = vv; const __m256 va = _mm256_set1_ps(a); int d = 0;
    for (; d + 8 <= hd; d += 8)
        _mm256_storeu_ps(out + d, _mm256_fmadd_ps(va, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + d))), _mm256_loadu_ps(out + d)));
    for (; d < hd; d++) out[d] += a * _cvtsh_ss(v[d]);
}

/* Sums of eight 8-lane vectors, each reduced exactly as hsum8 reduces it ((v0+v4)+(v1+v5)) + ((v2+v6)+(v3+v7)), in order. */
static inline __m256 hsum8x8(const __m256 a[8]) {
    __m256 x[4];
    for (int i = 0; i < 4; i++)
        x[i] = _mm256_add_ps(_mm256_permute2f128_ps(a[2 * i], a[2 * i + 1], 0x20), _mm256_permute2f128_ps(a[2 * i], a[2 * i + 1], 0x31));
    const __m256 z = _mm256_hadd_ps(_mm256_hadd_ps(x[0], x[1]), _mm256_hadd_ps(x[2], x[3])); /* a0 a2 a4 a6 | a1 a3 a5 a7 */
    return _mm256_permutevar8x32_ps(z, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

#define ATT_GROUP 8 /* positions per step of the kernel below */
#ifndef ATT_PF
#define ATT_PF 8192 /* bytes ahead of the rows in use that the kernel below prefetches (0: none) */
#endif

/* Prefetches the `bytes` that lie ATT_PF bytes ahead of `at` in a task's reading order: its range of a block (up to
 * `end`), then the same range of the next block (`next`; NULL after the last). The hardware prefetchers alone left the
 * 16-sequence decode step's attention ~1.6x slower out of cache; the jump to the next block is one they cannot guess. */
SX_INLINE void att_prefetch(const char *at, const char *end, const char *next, size_t bytes, int l2, ptrdiff_t also) {
    const char *p = at + ATT_PF;
    if (p >= end) { if (!next) return; p = next + (p - end); }
    for (size_t l = 0; l < bytes; l += 64) sx_prefetch(p + l, l2);
    if (also) for (size_t l = 0; l < bytes; l += 64) sx_prefetch(p + also + l, l2);
}

/* Where block b0 (the block holding position b0) of a paged cache lies: its first row, where its nkv heads end, and the
 * sequence's next block (NULL after the last), as att_prefetch walks them. */
typedef struct { const char *at, *end, *next; } att_block;
SX_INLINE att_block att_block_at(const char *base, const sx_kv_layout *lay, const int32_t *blocks, int bs, int b0, int n_pos, int nkv) {
    const char *at = base + (size_t)blocks[b0 / bs] * lay->block;
    return (att_block){ at, at + (size_t)nkv * lay->head, b0 + bs < n_pos ? base + (size_t)blocks[b0 / bs + 1] * lay->block : NULL };
}

/* The rows of positions p0 .. p0 + np - 1 of block `blk` (whose first position is b0), and the prefetch ahead of the
 * KV head at offset ho in them (and of the same bytes `also` further on, where also != 0). */
SX_INLINE void att_rows(const att_block *blk, const sx_kv_layout *lay, int b0, int p0, int np, size_t ho, const char **rows, int l2, ptrdiff_t also) {
    for (int i = 0; i < np; i++) rows[i] = blk->at + (size_t)(p0 - b0 + i) * lay->pos;
    if (ATT_PF) att_prefetch(rows[0] + ho, blk->end, blk->next, ATT_GROUP * lay->pos, l2, also);
}

/* attn_core over a paged cache, eight positions at a time, block by block and within a block KV head by KV head, so
 * that a task reads the heads it was given of each block as one range in address order (sx_kv_layout): the loops
 * over blocks, heads, groups of positions and tile rows, shared by every vector width and cache type. Hooks
 * (constant functions, resolved by inlining):
 *   kgroup(hd, q, kr, ko): the eight raw scores q . k of a full group (kr: the group's rows, ko: the head's offset)
 *   kone(hd, q, head):     the same raw score for one position, equal to its lane of kgroup
 *   vgroup(hd, out, vr, vo, a, ni): out += sum over the group's first ni positions of a[i] * v[i], by position
 * Scores are the raw scores times scale; a full group of eight positions and a lone position give the same score, so
 * neither the tile size nor where a block ends changes a result. Each row and head sees its positions in order (its
 * scores, their max, and its value sum element by element), as in attn_core. */
SX_INLINE void attn_groups(int hd, int nh, int group, int nt, int n_pos0, const float *q, size_t q_stride, const char *k,
                           const char *v, const sx_kv_layout *lay, const int32_t *blocks, int bs, float scale, float *sc,
                           size_t sc_stride, float *out, size_t out_stride,
                           __m256 (*kgroup)(int, const float *, const char *const *, size_t),
                           float (*kone)(int, const float *, const char *),
                           void (*vgroup)(int, float *, const char *const *, size_t, const float *, int)) {
    float mx[nt * nh], inv[nt * nh];
    const int n_pos = n_pos0 + nt - 1, nkv = (nh + group - 1) / group, l2 = sx_cpu()->prefetch_l2;
    /* Where the task's values fit in L2 beside the key stream, the key pass prefetches them too (the same range of
     * the value cache, whose layout is the key cache's), and the value pass finds them there: two streams in flight
     * instead of one. 16 sequences at positions 128-256 on the 2-vCPU Xeon: attention 5.5-5.6 vs 6.2 ms per step;
     * 4 sequences at 1024-1056: 8.5-8.7 vs 10.1. Longer tasks would fetch the values twice. */
    const ptrdiff_t v_ahead = (size_t)n_pos * nkv * lay->pos <= sx_cpu()->l2_bytes / 4 * 3 ? v - k : 0;
    float vmx[8 * nt * nh]; /* per row and head, eight lanes of running max over full groups */
    for (int i = 0; i < nt * nh; i++) mx[i] = -INFINITY;
    for (int i = 0; i < 8 * nt * nh; i++) vmx[i] = -INFINITY;
    const char *kr[ATT_GROUP];
    for (int b0 = 0; b0 < n_pos; b0 += bs) {
        const int b1 = n_pos - b0 < bs ? n_pos : b0 + bs;
        const att_block kb = att_block_at(k, lay, blocks, bs, b0, n_pos, nkv);
        for (int hk = 0; hk < nkv; hk++) {
            const size_t ko = (size_t)hk * lay->head;
            const int ha = hk * group, hz = ha + group < nh ? ha + group : nh;
            for (int p0 = b0; p0 < b1; p0 += ATT_GROUP) {
                const int np = b1 - p0 < ATT_GROUP ? b1 - p0 : ATT_GROUP;
                att_rows(&kb, lay, b0, p0, np, ko, kr, l2, v_ahead);
                for (int t = p0 + np - 1 < n_pos0 ? 0 : p0 + np - n_pos0; t < nt; t++) { /* rows that see every position of the group */
                    for (int h = ha; h < hz; h++) {
                        const int r = t * nh + h; const float *qh = q + t * q_stride + (size_t)h * hd;
                        float *sr = sc + r * sc_stride + p0;
                        if (np == ATT_GROUP) {
                            const __m256 s8 = _mm256_mul_ps(kgroup(hd, qh, kr, ko), _mm256_set1_ps(scale));
                            _mm256_storeu_ps(sr, s8);
                            /* lane-wise running max (max_ps(s, m) is s > m ? s : m, the scalar test below): reduced
                             * into mx after the pass; a max is the same in any order */
                            _mm256_storeu_ps(vmx + 8 * r, _mm256_max_ps(s8, _mm256_loadu_ps(vmx + 8 * r)));
                        } else
                            for (int i = 0; i < np; i++) { sr[i] = kone(hd, qh, kr[i] + ko) * scale; mx[r] = sr[i] > mx[r] ? sr[i] : mx[r]; }
                    }
                }
                /* rows that see only the first positions of the group (the tile's earliest rows at its end) */
                for (int t = 0; t < nt && t < p0 + np - n_pos0; t++)
                    for (int h = ha; h < hz; h++) {
                        const int r = t * nh + h; const float *qh = q + t * q_stride + (size_t)h * hd;
                        for (int i = 0; i < np && p0 + i < n_pos0 + t; i++) {
                            const float s = kone(hd, qh, kr[i] + ko) * scale;
                            sc[r * sc_stride + p0 + i] = s; mx[r] = s > mx[r] ? s : mx[r];
                        }
                    }
            }
        }
    }
    for (int r = 0; r < nt * nh; r++)
        for (int i = 0; i < 8; i++) mx[r] = vmx[8 * r + i] > mx[r] ? vmx[8 * r + i] : mx[r];
    attn_softmax(hd, nh, nt, n_pos0, sc, sc_stride, mx, inv, out, out_stride, expsub_avx2);
    const char *vr[ATT_GROUP];
    for (int b0 = 0; b0 < n_pos; b0 += bs) {
        const int b1 = n_pos - b0 < bs ? n_pos : b0 + bs;
        const att_block vb = att_block_at(v, lay, blocks, bs, b0, n_pos, nkv);
        for (int hk = 0; hk < nkv; hk++) {
            const size_t vo = (size_t)hk * lay->head;
            const int ha = hk * group, hz = ha + group < nh ? ha + group : nh;
            for (int p0 = b0; p0 < b1; p0 += ATT_GROUP) {
                const int np = b1 - p0 < ATT_GROUP ? b1 - p0 : ATT_GROUP;
                att_rows(&vb, lay, b0, p0, np, vo, vr, l2, 0);
                for (int t = p0 < n_pos0 ? 0 : p0 - n_pos0 + 1; t < nt; t++) {
                    const int ni = n_pos0 + t - p0 < np ? n_pos0 + t - p0 : np; /* positions of the group this row sees */
                    for (int h = ha; h < hz; h++) {
                        const int r = t * nh + h;
                        float a[ATT_GROUP];
                        for (int i = 0; i < ni; i++) a[i] = sc[r * sc_stride + p0 + i] * inv[r];
                        vgroup(hd, out + t * out_stride + (size_t)h * hd, vr, vo, a, ni);
                    }
                }
            }
        }
    }
}

/* Eight-lane hooks (AVX2) for an F16 (q8 = 0) or Q8_0 (q8 = 1) cache: each position's 8-lane fma chain over its head,
 * reduced as hsum8 (hsum8x8 for a group: the same sums); values by position into each 8-element slice. For F16 the
 * results are attn_core's with dotk_f16_avx2 / axpyv_f16_avx2. Needs hd % 8 == 0 (F16) or hd % 32 == 0 (Q8_0). */
SX_INLINE __m256 kgroup_x8(int hd, const float *qh, const char *const *kr, size_t ko, const int q8) {
    __m256 acc[ATT_GROUP];
    for (int i = 0; i < ATT_GROUP; i++) acc[i] = _mm256_setzero_ps();
    for (int d = 0; d < hd; d += 8) {
        const __m256 qv = _mm256_loadu_ps(qh + d);
        for (int i = 0; i < ATT_GROUP; i++) acc[i] = _mm256_fmadd_ps(qv, kv_load8(kr[i] + ko, d, q8), acc[i]);
    }
    return hsum8x8(acc);
}
SX_INLINE void vgroup_x8(int hd, float *oh, const char *const *vr, size_t vo, const float *a, int ni, const int q8) {
    for (int d = 0; d < hd; d += 8) {
        __m256 o = _mm256_loadu_ps(oh + d);
        for (int i = 0; i < ni; i++) o = _mm256_fmadd_ps(_mm256_set1_ps(a[i]), kv_load8(vr[i] + vo, d, q8), o);
        _mm256_storeu_ps(oh + d, o);
    }
}
SX_INLINE __m256 kgroup_f16_x8(int hd, const float *q, const char *const *kr, size_t ko) { return kgroup_x8(hd, q, kr, ko, 0); }
SX_INLINE float kone_f16_x8(int hd, const float *q, const char *head) { return dotk_x_avx2(hd, q, head, 0); }
SX_INLINE void vgroup_f16_x8(int hd, float *o, const char *const *vr, size_t vo, const float *a, int ni) { vgroup_x8(hd, o, vr, vo, a, ni, 0); }
SX_INLINE __m256 kgroup_q8_x8(int hd, const float *q, const char *const *kr, size_t ko) { return kgroup_x8(hd, q, kr, ko, 1); }
SX_INLINE float kone_q8_x8(int hd, const float *q, const char *head) { return dotk_x_avx2(hd, q, head, 1); }
SX_INLINE void vgroup_q8_x8(int hd, float *o, const char *const *vr, size_t vo, const float *a, int ni) { vgroup_x8(hd, o, vr, vo, a, ni, 1); }

/* ---- Q8_0 cache with AVX-512: sixteen elements per vector; the block scale multiplies the converted quants (K) or
 * the position's weight (V), once per block. Scores: each position's 16-lane chain over its head, the two halves
 * added, then hsum8 (hsum8x8 for a group: the same sums). Needs hd % 32 == 0. ---- */
SX_AVX512_INLINE __m512 q8_load16(const char *blk, int j) { /* quants j .. j + 15 of a block, as floats */
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk + 2 + j))));
}
SX_AVX512_INLINE float q8_scale(const char *blk) { uint16_t h; memcpy(&h, blk, 2); return _cvtsh_ss(h); }
SX_AVX512_INLINE __m256 fold512(__m512 v) { return _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))); }

SX_AVX512_INLINE float kone_q8_x16(int hd, const float *q, const char *head) {
    __m512 acc = _mm512_setzero_ps();
    for (int b = 0; b < hd / QK8_0; b++) {
        const char *blk = head + (size_t)b * sizeof(block_q8_0); const __m512 s = _mm512_set1_ps(q8_scale(blk));
        for (int j = 0; j < QK8_0; j += 16)
            acc = _mm512_fmadd_ps(_mm512_loadu_ps(q + b * QK8_0 + j), _mm512_mul_ps(q8_load16(blk, j), s), acc);
    }
    return hsum8(fold512(acc));
}
SX_AVX512_INLINE __m256 kgroup_q8_x16(int hd, const float *qh, const char *const *kr, size_t ko) {
    __m512 acc[ATT_GROUP];
    for (int i = 0; i < ATT_GROUP; i++) acc[i] = _mm512_setzero_ps();
    for (int b = 0; b < hd / QK8_0; b++) {
        __m512 s[ATT_GROUP];
        for (int i = 0; i < ATT_GROUP; i++) s[i] = _mm512_set1_ps(q8_scale(kr[i] + ko + (size_t)b * sizeof(block_q8_0)));
        for (int j = 0; j < QK8_0; j += 16) {
            const __m512 qv = _mm512_loadu_ps(qh + b * QK8_0 + j);
            for (int i = 0; i < ATT_GROUP; i++)
                acc[i] = _mm512_fmadd_ps(qv, _mm512_mul_ps(q8_load16(kr[i] + ko + (size_t)b * sizeof(block_q8_0), j), s[i]), acc[i]);
        }
    }
    __m256 a8[ATT_GROUP];
    for (int i = 0; i < ATT_GROUP; i++) a8[i] = fold512(acc[i]);
    return hsum8x8(a8);
}
SX_AVX512_INLINE void vgroup_q8_x16(int hd, float *oh, const char *const *vr, size_t vo, const float *a, int ni) {
    for (int b = 0; b < hd / QK8_0; b++) {
        __m512 c[ATT_GROUP];
        for (int i = 0; i < ni; i++) c[i] = _mm512_set1_ps(a[i] * q8_scale(vr[i] + vo + (size_t)b * sizeof(block_q8_0)));
        for (int j = 0; j < QK8_0; j += 16) {
            __m512 o = _mm512_loadu_ps(oh + b * QK8_0 + j);
            for (int i = 0; i < ni; i++) o = _mm512_fmadd_ps(c[i], q8_load16(vr[i] + vo + (size_t)b * sizeof(block_q8_0), j), o);
            _mm512_storeu_ps(oh + b * QK8_0 + j, o);
        }
    }
}

SX_AVX512 static void attn_q8_x16(int hd, int nh, int group, int nt, int n_pos0, const float *q, size_t q_stride, const char *k,
                                  const char *v, const sx_kv_layout *lay, const int32_t *blocks, int bs, float scale,
                                  float *sc, size_t sc_stride, float *out, size_t out_stride) {
    attn_groups(hd, nh, group, nt, n_pos0, q, q_stride, k, v, lay, blocks, bs, scale, sc, sc_stride, out, out_stride,
                kgroup_q8_x16, kone_q8_x16, vgroup_q8_x16);
}

static void attn_avx2(int hd, int nh, int group, int nt, int n_pos0, const float *q, size_t q_stride, const void *k, const void *v,
                      int kv_type, const sx_kv_layout *lay, const int32_t *blocks, int bs, float scale, float *sc, size_t sc_stride, float *out,
                      size_t out_stride) {
    if (kv_type == SX_F16 && hd % 8 == 0 && hd <= 256)
        attn_groups(hd, nh, group, nt, n_pos0, q, q_stride, k, v, lay, blocks, bs, scale, sc, sc_stride, out, out_stride,
                    kgroup_f16_x8, kone_f16_x8, vgroup_f16_x8);
    else if (kv_type == SX_Q8_0 && hd % QK8_0 == 0 && hd <= 256 && avx512())
        attn_q8_x16(hd, nh, group, nt, n_pos0, q, q_stride, k, v, lay, blocks, bs, scale, sc, sc_stride, out, out_stride);
    else if (kv_type == SX_Q8_0 && hd % QK8_0 == 0 && hd <= 256)
        attn_groups(hd, nh, group, nt, n_pos0, q, q_stride, k, v, lay, blocks, bs, scale, sc, sc_stride, out, out_stride,
                    kgroup_q8_x8, kone_q8_x8, vgroup_q8_x8);
    else if (kv_type == SX_F16)
        attn_core(hd, nh, group, nt, n_pos0, q, q_stride, k, v, lay, blocks, bs, scale, sc, sc_stride, out, out_stride, dotk_f16_avx2, axpyv_f16_avx2, expsub_avx2);
    else if (kv_type == SX_Q8_0)
        attn_core(hd, nh, group, nt, n_pos0, q, q_stride, k, v, lay, blocks, bs, scale, sc, sc_stride, out, out_stride, dotk_q8_0, axpyv_q8_0, expsub_avx2);
    else attn_core(hd, nh, group, nt, n_pos0, q, q_stride, k, v, lay, blocks, bs, scale, sc, sc_stride, out, out_stride, dotk_f32, axpyv_f32, expsub_avx2);
}
static void to_f16_avx2(const float *x, uint16_t *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

static void axpy_f32_avx2(int n, float a, const float *x, float *y) {
    __m256 va = _mm256_set1_ps(a); int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

const sx_kernels *sx_kernels_avx2(void) {
    static sx_kernels k;
    static int init;
    if (!init) {
        k.name = "avx2";
        k.dot[SX_F32] = dot_f32_row_avx2; k.dot[SX_F16] = dot_f16_avx2; k.dot[SX_BF16] = dot_bf16_avx2;
        k.dot[SX_Q8_0] = dot_q8_0_avx2; k.dot[SX_Q4_0] = dot_q4_0_avx2;
        k.dot[SX_Q4_K] = dot_q4_K_avx2; k.dot[SX_Q6_K] = dot_q6_K_avx2;
        k.quant[SX_F32] = k.quant[SX_F16] = k.quant[SX_BF16] = quant_f32_avx2;
        k.quant[SX_Q8_0] = k.quant[SX_Q4_0] = quant_q8_0_avx2;
        k.quant[SX_Q4_K] = k.quant[SX_Q6_K] = quant_q8_K_avx2;
        k.dot_f32 = dot_f32_avx2; k.axpy_f32 = axpy_f32_avx2; k.attn = attn_avx2;
        k.to_f16 = to_f16_avx2; k.silu_mul = silu_mul_avx2; k.add_rmsnorm = add_rmsnorm_avx2;
        for (int t = 0; t < 31; t++) k.gemm[t] = sx_gemm_generic;
        k.gemm[SX_Q8_0] = gemm_q8_0_avx2;
        if (sx_cpu()->avx512vnni && sx_cpu()->avx512vl && sx_cpu()->avx512bw) { /* Q8_0 weights are repacked to SX_Q8_0X16 at model init */
            k.name = "avx2+vnni"; k.quant[SX_Q8_0X16] = sx_quant_q8_0s; k.gemm[SX_Q8_0X16] = sx_gemm_q8_0x16;
            if (sx_cpu()->amx) { k.name = "avx2+vnni+amx"; k.gemm[SX_Q8_0X16] = sx_gemm_q8_0x16_amx; k.tiled_rows = sx_amx_tiled_rows; k.quant_tiled = sx_quant_q8_0s_tiled; }
        }
        init = 1;
    }
    return &k;
}
