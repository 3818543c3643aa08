/* kernels_scalar.c — portable reference kernels (also compiled for AVX2 through inlined bodies). */
#include "kernels_impl.h"

/* Generic (scalar) instantiations. */
static float dot_f32_generic(int n, const float *a, const float *b) { return dot_f32_body(n, a, b); }
static float dot_f32_row_generic(int n, const void *a, const void *b) { return dot_f32_body(n, a, b); }
static float dot_f16_generic(int n, const void *w, const void *x) { return dot_f16_body(n, w, x); }
static float dot_bf16_generic(int n, const void *w, const void *x) { return dot_bf16_body(n, w, x); }
static float dot_q8_0_generic(int n, const void *w, const void *x) { return dot_q8_0_body(n, w, x); }
static float dot_q4_0_generic(int n, const void *w, const void *x) { return dot_q4_0_body(n, w, x); }
static float dot_q4_K_generic(int n, const void *w, const void *x) { return dot_q4_K_body(n, w, x); }
static float dot_q6_K_generic(int n, const void *w, const void *x) { return dot_q6_K_body(n, w, x); }
static void quant_f32_generic(const float *x, void *y, int n) { memcpy(y, x, sizeof(float) * (size_t)n); }
static void quant_q8_0_generic(const float *x, void *y, int n) { quant_q8_0_body(x, y, n); }
static void quant_q8_K_generic(const float *x, void *y, int n) { quant_q8_K_body(x, y, n); }
static void to_f16_generic(const float *x, uint16_t *y, int n) { for (int i = 0; i < n; i++) y[i] = sx_fp32_to_fp16(x[i]); }

static void attn_generic(int hd, int nh, int group, int nt, int n_pos0, const float *q, size_t q_stride, const void *k, const void *v,
                         int kv_type, const sx_kv_layout *lay, const int32_t *blocks, int bs, float scale, float *sc, size_t sc_stride, float *out,
                         size_t out_stride) {
    if (kv_type == SX_F16) attn_core(hd, nh, group, nt, n_pos0, q, q_stride, k, v, lay, blocks, bs, scale, sc, sc_stride, out, out_stride, dotk_f16, axpyv_f16, expsub_scalar);
    else if (kv_type == SX_Q8_0) attn_core(hd, nh, group, nt, n_pos0, q, q_stride, k, v, lay, blocks, bs, scale, sc, sc_stride, out, out_stride, dotk_q8_0, axpyv_q8_0, expsub_scalar);
    else attn_core(hd, nh, group, nt, n_pos0, q, q_stride, k, v, lay, blocks, bs, scale, sc, sc_stride, out, out_stride, dotk_f32, axpyv_f32, expsub_scalar);
}
static void axpy_f32_generic(int n, float a, const float *x, float *y) { axpy_f32_body(n, a, x, y); }
static void silu_mul_generic(float *g, const float *u, int n) { for (int i = 0; i < n; i++) g[i] = g[i] / (1.0f + expf(-g[i])) * u[i]; }
static void add_rmsnorm_generic(float *o, float *x, const float *add, const float *w, int n, float eps) { add_rmsnorm_body(o, x, add, w, n, eps); }


const sx_kernels *sx_kernels_scalar(void) {
    static sx_kernels k;
    static int init;
    if (!init) {
        k.name = "scalar";
        k.dot[SX_F32] = dot_f32_row_generic; k.dot[SX_F16] = dot_f16_generic; k.dot[SX_BF16] = dot_bf16_generic;
        k.dot[SX_Q8_0] = dot_q8_0_generic; k.dot[SX_Q4_0] = dot_q4_0_generic;
        k.dot[SX_Q4_K] = dot_q4_K_generic; k.dot[SX_Q6_K] = dot_q6_K_generic;
        k.quant[SX_F32] = k.quant[SX_F16] = k.quant[SX_BF16] = quant_f32_generic;
        k.quant[SX_Q8_0] = k.quant[SX_Q4_0] = quant_q8_0_generic;
        k.quant[SX_Q4_K] = k.quant[SX_Q6_K] = quant_q8_K_generic;
        k.dot_f32 = dot_f32_generic; k.axpy_f32 = axpy_f32_generic; k.attn = attn_generic;
        k.to_f16 = to_f16_generic; k.silu_mul = silu_mul_generic; k.add_rmsnorm = add_rmsnorm_generic;
        for (int t = 0; t < 31; t++) k.gemm[t] = sx_gemm_generic;
        init = 1;
    }
    return &k;
}

void sx_gemm_generic(int k, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nc, float *y, size_t ldy, sx_dot_fn dot) {
    for (int c = 0; c < nc; c++)
        for (int r = 0; r < nr; r++)
            y[(size_t)c * ldy + r] = dot(k, (const uint8_t *)w + (size_t)r * w_stride, (const uint8_t *)x + (size_t)c * x_stride);
}

size_t sx_act_row_bytes(int wtype, int n) {
    switch (wtype) {
    case SX_Q8_0: case SX_Q4_0: return (size_t)(n / QK8_0) * sizeof(block_q8_0);
    case SX_Q8_0X16: return (size_t)(n / QK8_0) * sizeof(block_q8_0s);
    case SX_Q4_K: case SX_Q6_K: return (size_t)(n / QK_K) * sizeof(block_q8_K);
    default: return (size_t)n * sizeof(float);
    }
}

void sx_dequant_row(int type, const void *src, float *y, int n) {
    switch (type) {
    case SX_F32: memcpy(y, src, sizeof(float) * (size_t)n); break;
    case SX_F16: for (int i = 0; i < n; i++) y[i] = sx_fp16_to_fp32(((const uint16_t *)src)[i]); break;
    case SX_BF16: for (int i = 0; i < n; i++) y[i] = sx_bf16_to_fp32(((const uint16_t *)src)[i]); break;
    case SX_Q8_0: {
        const block_q8_0 *b = src;
        for (int i = 0; i < n / QK8_0; i++) { float d = sx_fp16_to_fp32(b[i].d); for (int j = 0; j < QK8_0; j++) y[i * QK8_0 + j] = d * b[i].qs[j]; }
    } break;
    case SX_Q4_0: {
        const block_q4_0 *b = src;
        for (int i = 0; i < n / QK4_0; i++) {
            float d = sx_fp16_to_fp32(b[i].d);
            for (int j = 0; j < QK4_0 / 2; j++) { y[i * 32 + j] = d * ((b[i].qs[j] & 0xF) - 8); y[i * 32 + j + 16] = d * ((b[i].qs[j] >> 4) - 8); }
        }
    } break;
    case SX_Q4_K: {
        const block_q4_K *b = src;
        for (int i = 0; i < n / QK_K; i++) {
            float d = sx_fp16_to_fp32(b[i].d), dmin = sx_fp16_to_fp32(b[i].dmin);
            const uint8_t *q = b[i].qs; float *o = y + i * QK_K;
            for (int j = 0; j < 4; j++) {
                uint8_t sc0, m0, sc1, m1; scale_min_k4(2 * j, b[i].scales, &sc0, &m0); scale_min_k4(2 * j + 1, b[i].scales, &sc1, &m1);
                for (int l = 0; l < 32; l++) { o[l] = d * sc0 * (q[l] & 0xF) - dmin * m0; o[l + 32] = d * sc1 * (q[l] >> 4) - dmin * m1; }
                q += 32; o += 64;
            }
        }
    } break;
    case SX_Q6_K: {
        const block_q6_K *b = src;
        for (int i = 0; i < n / QK_K; i++) {
            int8_t a[QK_K]; unpack_q6_K(&b[i], a);
            float d = sx_fp16_to_fp32(b[i].d);
            for (int j = 0; j < QK_K; j++) y[i * QK_K + j] = d * b[i].scales[j / 16] * a[j];
        }
    } break;
    default: memset(y, 0, sizeof(float) * (size_t)n);
    }
}

const sx_kernels *sx_kernels_get(void) {
    static const sx_kernels *k;
    if (!k) k = sx_cpu()->avx2 ? sx_kernels_avx2() : sx_kernels_scalar();
    return k;
}
