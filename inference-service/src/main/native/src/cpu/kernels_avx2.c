/* kernels_avx2.c — AVX2/FMA/F16C kernels. The whole file targets AVX2 through the pragma (same effect as
 * __attribute__((target)) on each function); they run only after sx_cpu() reports the features. */
#pragma GCC target("avx2,fma,f16c")
#include "kernels_impl.h"
#include <immintrin.h>

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

static float dot_q8_0_avx2(int n, const void *w, const void *x) {
    const block_q8_0 *a = w, *b = x; const int nb = n / QK8_0;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0; int i = 0;
    for (; i + 2 <= nb; i += 2) {
        __m256 d0 = _mm256_set1_ps(_cvtsh_ss(a[i].d) * _cvtsh_ss(b[i].d));
        __m256 d1 = _mm256_set1_ps(_cvtsh_ss(a[i + 1].d) * _cvtsh_ss(b[i + 1].d));
        __m256 p0 = mul_sum_i8(_mm256_loadu_si256((const __m256i *)a[i].qs), _mm256_loadu_si256((const __m256i *)b[i].qs));
        __m256 p1 = mul_sum_i8(_mm256_loadu_si256((const __m256i *)a[i + 1].qs), _mm256_loadu_si256((const __m256i *)b[i + 1].qs));
        acc0 = _mm256_fmadd_ps(d0, p0, acc0); acc1 = _mm256_fmadd_ps(d1, p1, acc1);
    }
    for (; i < nb; i++) {
        __m256 d0 = _mm256_set1_ps(_cvtsh_ss(a[i].d) * _cvtsh_ss(b[i].d));
        acc0 = _mm256_fmadd_ps(d0, mul_sum_i8(_mm256_loadu_si256((const __m256i *)a[i].qs), _mm256_loadu_si256((const __m256i *)b[i].qs)), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1));
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
        k.dot_f32 = dot_f32_avx2; k.axpy_f32 = axpy_f32_avx2;
        init = 1;
    }
    return &k;
}
