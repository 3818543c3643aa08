/*
 * test_ops.cu — every CUDA op against a plain C reference of the same op on random inputs, by normalised mean
 * squared error (llama.cpp's test-backend-ops): NMSE = sum (gpu - ref)^2 / sum ref^2.
 *
 * The references below are written from the GGML formats and the op definitions, independently of the kernels.
 * Prints one line per case and a summary; exit status 1 if any case fails or none ran.
 *   ./sx-test-ops            (needs a CUDA GPU)
 */
#include "common.cuh"
#include "matvec.cuh"
#include "norm.cuh"
#include "rope.cuh"
#include "swiglu.cuh"
#include "attention.cuh"
#include "get_rows.cuh"
#include "sample.cuh"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <vector>
#include <algorithm>

static int g_pass = 0, g_fail = 0;
static uint64_t g_rng = 0x12345678abcdefull;
static uint32_t rnd_u32() { g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17; return (uint32_t)(g_rng >> 11); }
static float rnd_f(float lo, float hi) { return lo + (hi - lo) * (rnd_u32() & 0xffffff) / 16777216.f; }

#define CHECK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__); exit(2); } } while (0)

static float f16_to_f32(uint16_t h) { __half_raw r; r.x = h; return __half2float(__half(r)); }
static uint16_t f32_to_f16(float f) { __half_raw r = __half_raw(__float2half(f)); return r.x; }
static float bf16_to_f32(uint16_t h) { uint32_t b = (uint32_t)h << 16; float f; memcpy(&f, &b, 4); return f; }
static uint16_t f32_to_bf16(float f) { uint32_t b; memcpy(&b, &f, 4); return (uint16_t)((b + 0x7fff + ((b >> 16) & 1)) >> 16); }

static double nmse(const float *a, const float *ref, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) { double d = (double)a[i] - ref[i]; num += d * d; den += (double)ref[i] * ref[i]; }
    return den > 0 ? num / den : num;
}
static void report(const char *op, const char *cfg, double err, double tol) {
    bool ok = err <= tol && !std::isnan(err);
    printf("  %-10s %-44s NMSE=%.3e (max %.0e)  %s\n", op, cfg, err, tol, ok ? "OK" : "FAIL");
    if (ok) g_pass++; else g_fail++;
}

template <class T> static T *dev(const std::vector<T> &v) { T *d; CHECK(cudaMalloc(&d, v.size() * sizeof(T) + 16)); CHECK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice)); return d; }
template <class T> static std::vector<T> host(const T *d, size_t n) { std::vector<T> v(n); CHECK(cudaDeviceSynchronize()); CHECK(cudaMemcpy(v.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost)); return v; }

/* ---- reference dequantization (GGML formats) ---- */

static size_t row_bytes(int type, int K) { return sx_cu_row_bytes(type, K); }

static void ref_dequant_row(int type, const uint8_t *r, int K, float *y) {
    switch (type) {
    case T_F32: memcpy(y, r, sizeof(float) * K); break;
    case T_F16: for (int i = 0; i < K; i++) y[i] = f16_to_f32(((const uint16_t *)r)[i]); break;
    case T_BF16: for (int i = 0; i < K; i++) y[i] = bf16_to_f32(((const uint16_t *)r)[i]); break;
    case T_Q8_0:
        for (int b = 0; b < K / 32; b++) { const uint8_t *p = r + b * 34; uint16_t d; memcpy(&d, p, 2);
            for (int j = 0; j < 32; j++) y[b * 32 + j] = f16_to_f32(d) * (int8_t)p[2 + j]; }
        break;
    case T_Q4_0:
        for (int b = 0; b < K / 32; b++) { const uint8_t *p = r + b * 18; uint16_t d; memcpy(&d, p, 2);
            for (int j = 0; j < 16; j++) { y[b * 32 + j] = f16_to_f32(d) * ((p[2 + j] & 0xF) - 8); y[b * 32 + j + 16] = f16_to_f32(d) * ((p[2 + j] >> 4) - 8); } }
        break;
    case T_Q4_K:
        for (int b = 0; b < K / 256; b++) {
            const uint8_t *p = r + b * 144; uint16_t dh, mh; memcpy(&dh, p, 2); memcpy(&mh, p + 2, 2);
            float d = f16_to_f32(dh), dmin = f16_to_f32(mh); const uint8_t *sc = p + 4, *q = p + 16; float *o = y + b * 256;
            for (int j = 0, is = 0; j < 256; j += 64, is += 2) {
                uint8_t s0, m0, s1, m1;
                for (int k = 0; k < 2; k++) {
                    int jj = is + k; uint8_t s, m;
                    if (jj < 4) { s = sc[jj] & 63; m = sc[jj + 4] & 63; } else { s = (sc[jj + 4] & 0xF) | ((sc[jj - 4] >> 6) << 4); m = (sc[jj + 4] >> 4) | ((sc[jj] >> 6) << 4); }
                    if (k == 0) { s0 = s; m0 = m; } else { s1 = s; m1 = m; }
                }
                for (int l = 0; l < 32; l++) *o++ = d * s0 * (q[l] & 0xF) - dmin * m0;
                for (int l = 0; l < 32; l++) *o++ = d * s1 * (q[l] >> 4) - dmin * m1;
                q += 32;
            }
        }
        break;
    case T_Q6_K:
        for (int b = 0; b < K / 256; b++) {
            const uint8_t *p = r + b * 210; const uint8_t *ql = p, *qh = p + 128; const int8_t *sc = (const int8_t *)(p + 192);
            uint16_t dh; memcpy(&dh, p + 208, 2); float d = f16_to_f32(dh); float *o = y + b * 256;
            for (int n = 0; n < 256; n += 128) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    o[n + l] = d * sc[is + 0] * q1; o[n + l + 32] = d * sc[is + 2] * q2;
                    o[n + l + 64] = d * sc[is + 4] * q3; o[n + l + 96] = d * sc[is + 6] * q4;
                }
                ql += 64; qh += 32; sc += 8;
            }
        }
        break;
    }
}

/* Random but valid weight rows of a dtype (scales kept small so values are O(0.1)). */
static std::vector<uint8_t> rand_weights(int type, int rows, int K) {
    size_t rb = row_bytes(type, K);
    std::vector<uint8_t> w(rb * rows);
    for (size_t i = 0; i < w.size(); i++) w[i] = (uint8_t)rnd_u32();
    for (int r = 0; r < rows; r++) {
        uint8_t *p = w.data() + r * rb;
        if (type == T_F32) for (int i = 0; i < K; i++) ((float *)p)[i] = rnd_f(-0.1f, 0.1f);
        else if (type == T_F16) for (int i = 0; i < K; i++) ((uint16_t *)p)[i] = f32_to_f16(rnd_f(-0.1f, 0.1f));
        else if (type == T_BF16) for (int i = 0; i < K; i++) ((uint16_t *)p)[i] = f32_to_bf16(rnd_f(-0.1f, 0.1f));
        else if (type == T_Q8_0) for (int b = 0; b < K / 32; b++) { uint16_t d = f32_to_f16(rnd_f(0.0005f, 0.001f)); memcpy(p + b * 34, &d, 2); }
        else if (type == T_Q4_0) for (int b = 0; b < K / 32; b++) { uint16_t d = f32_to_f16(rnd_f(0.005f, 0.01f)); memcpy(p + b * 18, &d, 2); }
        else if (type == T_Q4_K) for (int b = 0; b < K / 256; b++) { uint16_t d = f32_to_f16(rnd_f(0.0002f, 0.0004f)), m = f32_to_f16(rnd_f(0.0002f, 0.0004f)); memcpy(p + b * 144, &d, 2); memcpy(p + b * 144 + 2, &m, 2); }
        else if (type == T_Q6_K) for (int b = 0; b < K / 256; b++) { uint16_t d = f32_to_f16(rnd_f(0.00005f, 0.0001f)); memcpy(p + b * 210 + 208, &d, 2); }
    }
    return w;
}

static const char *tname(int t) {
    switch (t) { case T_F32: return "f32"; case T_F16: return "f16"; case T_BF16: return "bf16"; case T_Q8_0: return "q8_0";
                 case T_Q4_0: return "q4_0"; case T_Q4_K: return "q4_K"; case T_Q6_K: return "q6_K"; } return "?";
}

/* ---- matvec with every epilogue ---- */

static float silu(float g) { return g / (1.f + expf(-g)); }

static void test_matvec(int type, int ep, int rows, int K, int n, bool norm, bool neox) {
    const int hd = 64, q_dim = ep == EP_QKV ? rows - 2 * 128 : 0, kv_dim = 128, cells_n = 64;
    std::vector<uint8_t> w = rand_weights(type, rows, K);
    std::vector<float> wf((size_t)rows * K);
    for (int r = 0; r < rows; r++) ref_dequant_row(type, w.data() + r * row_bytes(type, K), K, wf.data() + (size_t)r * K);
    const int ldx = K + 8;
    std::vector<float> x((size_t)n * ldx), nw(K), inv(hd / 2), bias(rows);
    for (auto &v : x) v = rnd_f(-1, 1);
    for (auto &v : nw) v = rnd_f(0.5f, 1.5f);
    for (int i = 0; i < hd / 2; i++) inv[i] = powf(10000.f, -2.f * i / hd);
    for (auto &v : bias) v = rnd_f(-0.1f, 0.1f);
    std::vector<int> pos(n), cells(n);
    for (int t = 0; t < n; t++) { pos[t] = (int)(rnd_u32() % 300); cells[t] = (t * 7 + 3) % cells_n; }
    /* reference: y = W · xin (+ epilogue) */
    const int ycols = ep == EP_SWIGLU ? rows / 2 : ep == EP_QKV ? q_dim : rows, ldy = ycols + 4;
    std::vector<float> y0((size_t)n * ldy), yref, kref((size_t)cells_n * kv_dim, 0.f), vref((size_t)cells_n * kv_dim, 0.f);
    for (auto &v : y0) v = rnd_f(-1, 1);
    yref = y0;
    for (int t = 0; t < n; t++) {
        std::vector<double> xin(K);
        double ss = 0; for (int i = 0; i < K; i++) ss += (double)x[t * ldx + i] * x[t * ldx + i];
        double rs = norm ? 1.0 / sqrt(ss / K + 1e-5) : 1.0;
        for (int i = 0; i < K; i++) xin[i] = x[t * ldx + i] * (norm ? rs * nw[i] : 1.0);
        std::vector<double> full(rows);
        for (int r = 0; r < rows; r++) { double s = 0; for (int i = 0; i < K; i++) s += wf[(size_t)r * K + i] * xin[i]; full[r] = s; }
        float *yr = &yref[(size_t)t * ldy];
        if (ep == EP_STORE) for (int r = 0; r < rows; r++) yr[r] = (float)full[r];
        else if (ep == EP_RESID) for (int r = 0; r < rows; r++) yr[r] += (float)full[r];
        else if (ep == EP_SWIGLU) for (int r = 0; r < rows / 2; r++) yr[r] = silu((float)full[r]) * (float)full[r + rows / 2];
        else {
            for (int r = 0; r < rows; r++) full[r] += bias[r];
            for (int hb = 0; hb < q_dim + kv_dim; hb += hd) /* rotate q and k heads */
                for (int i = 0; i < hd / 2; i++) {
                    int a = neox ? hb + i : hb + 2 * i, b = neox ? hb + i + hd / 2 : hb + 2 * i + 1;
                    double ang = (double)(float)((float)pos[t] * inv[i]);
                    double c = cos(ang), s = sin(ang), va = full[a], vb = full[b];
                    full[a] = va * c - vb * s; full[b] = va * s + vb * c;
                }
            for (int r = 0; r < q_dim; r++) yr[r] = (float)full[r];
            for (int r = 0; r < kv_dim; r++) { kref[cells[t] * kv_dim + r] = f16_to_f32(f32_to_f16((float)full[q_dim + r])); vref[cells[t] * kv_dim + r] = f16_to_f32(f32_to_f16((float)full[q_dim + kv_dim + r])); }
        }
    }
    uint8_t *dw = dev(w); float *dx = dev(x), *dnw = dev(nw), *dinv = dev(inv), *dbias = dev(bias), *dy = dev(y0);
    int *dpos = dev(pos), *dcells = dev(cells);
    __half *dk, *dv;
    CHECK(cudaMalloc(&dk, sizeof(__half) * cells_n * kv_dim)); CHECK(cudaMalloc(&dv, sizeof(__half) * cells_n * kv_dim));
    CHECK(cudaMemset(dk, 0, sizeof(__half) * cells_n * kv_dim)); CHECK(cudaMemset(dv, 0, sizeof(__half) * cells_n * kv_dim));
    sx_mv_args a; memset(&a, 0, sizeof a);
    a.w = dw; a.row_bytes = row_bytes(type, K); a.type = type; a.K = K; a.rows = rows; a.n_pairs = sx_mv_pairs(ep, rows);
    a.x_stride = ldx; a.norm_w = norm ? dnw : NULL; a.eps = 1e-5f; a.y_stride = ldy;
    a.bias = dbias; a.q_dim = q_dim; a.kv_dim = kv_dim; a.head_dim = hd; a.rope_neox = neox; a.inv_freq = dinv; a.kc = dk; a.vc = dv;
    a.ks = rows >= 512 ? 1 : 4;
    a.prefetch = a.persistent = 1; /* the backend's default; the non-persistent grid is the same code with one iteration */
    for (int t0 = 0; t0 < n; t0 += 8) {
        a.n_tok = std::min(8, n - t0); a.x = dx + (size_t)t0 * ldx; a.y = dy + (size_t)t0 * ldy; a.pos = dpos + t0; a.cells = dcells + t0;
        CHECK(sx_mv_launch(a, ep, norm, 0));
    }
    std::vector<float> y = host(dy, y0.size());
    char cfg[128];
    const char *epn[] = { "store", "resid", "qkv", "swiglu" };
    snprintf(cfg, sizeof cfg, "%s %s rows=%d K=%d tokens=%d%s%s", tname(type), epn[ep], rows, K, n, norm ? " +rmsnorm" : "", ep == EP_QKV ? (neox ? " neox" : " norm-rope") : "");
    double err = nmse(y.data(), yref.data(), y.size());
    if (ep == EP_QKV) {
        std::vector<__half> kh = host(dk, (size_t)cells_n * kv_dim), vh = host(dv, (size_t)cells_n * kv_dim);
        std::vector<float> kf(kh.size()), vf(vh.size());
        for (size_t i = 0; i < kh.size(); i++) { kf[i] = __half2float(kh[i]); vf[i] = __half2float(vh[i]); }
        err = std::max(err, std::max(nmse(kf.data(), kref.data(), kf.size()), nmse(vf.data(), vref.data(), vf.size())));
    }
    report("matvec", cfg, err, ep == EP_QKV ? 1e-6 : 1e-9 * 100);
    cudaFree(dw); cudaFree(dx); cudaFree(dnw); cudaFree(dinv); cudaFree(dbias); cudaFree(dy); cudaFree(dpos); cudaFree(dcells); cudaFree(dk); cudaFree(dv);
}

/* ---- rmsnorm, rope_kv, swiglu, get_rows ---- */

static void test_rmsnorm(int n, int dim, int out_type) {
    std::vector<float> x((size_t)n * dim), w(dim), ref((size_t)n * dim);
    for (auto &v : x) v = rnd_f(-2, 2);
    for (auto &v : w) v = rnd_f(0.5f, 1.5f);
    std::vector<int> rows(n); for (int i = 0; i < n; i++) rows[i] = n - 1 - i;
    for (int k = 0; k < n; k++) {
        const float *xr = &x[(size_t)rows[k] * dim]; double ss = 0; for (int i = 0; i < dim; i++) ss += (double)xr[i] * xr[i];
        double rs = 1.0 / sqrt(ss / dim + 1e-6);
        for (int i = 0; i < dim; i++) ref[(size_t)k * dim + i] = (float)(xr[i] * rs * w[i]);
    }
    float *dx = dev(x), *dw = dev(w); int *dr = dev(rows); void *dy; CHECK(cudaMalloc(&dy, sizeof(float) * n * dim));
    CHECK(sx_rmsnorm(dx, dim, dr, n, dim, dw, 1e-6f, dy, dim, out_type, 0));
    std::vector<float> y((size_t)n * dim);
    if (out_type == T_F32) y = host((float *)dy, y.size());
    else { std::vector<uint16_t> h = host((uint16_t *)dy, y.size()); for (size_t i = 0; i < h.size(); i++) y[i] = out_type == T_F16 ? f16_to_f32(h[i]) : bf16_to_f32(h[i]); }
    char cfg[96]; snprintf(cfg, sizeof cfg, "rows=%d dim=%d gathered, out %s", n, dim, tname(out_type));
    report("rmsnorm", cfg, nmse(y.data(), ref.data(), y.size()), out_type == T_F32 ? 1e-10 : out_type == T_F16 ? 1e-6 : 3e-5);
    cudaFree(dx); cudaFree(dw); cudaFree(dr); cudaFree(dy);
}

static void test_rope(int n, bool neox) {
    const int hd = 128, qd = 8 * hd, kvd = 2 * hd, width = qd + 2 * kvd, ncells = 32;
    std::vector<float> qkv((size_t)n * width), inv(hd / 2), bias(width), qref((size_t)n * qd), kref((size_t)ncells * kvd, 0.f), vref((size_t)ncells * kvd, 0.f);
    for (auto &v : qkv) v = rnd_f(-1, 1);
    for (auto &v : bias) v = rnd_f(-0.1f, 0.1f);
    for (int i = 0; i < hd / 2; i++) inv[i] = powf(500000.f, -2.f * i / hd) / (i > hd / 4 ? 8.f : 1.f); /* llama3-like scaled */
    std::vector<int> pos(n), cells(n);
    for (int t = 0; t < n; t++) { pos[t] = (int)(rnd_u32() % 8000); cells[t] = (t * 5 + 1) % ncells; }
    for (int t = 0; t < n; t++) {
        std::vector<double> r(width); for (int i = 0; i < width; i++) r[i] = qkv[(size_t)t * width + i] + bias[i];
        for (int hb = 0; hb < qd + kvd; hb += hd) for (int i = 0; i < hd / 2; i++) {
            int a = neox ? hb + i : hb + 2 * i, b = neox ? hb + i + hd / 2 : hb + 2 * i + 1;
            double ang = (double)(float)((float)pos[t] * inv[i]), c = cos(ang), s = sin(ang), va = r[a], vb = r[b];
            r[a] = va * c - vb * s; r[b] = va * s + vb * c;
        }
        for (int i = 0; i < qd; i++) qref[(size_t)t * qd + i] = (float)r[i];
        for (int i = 0; i < kvd; i++) { kref[cells[t] * kvd + i] = (float)r[qd + i]; vref[cells[t] * kvd + i] = (float)r[qd + kvd + i]; }
    }
    float *dqkv = dev(qkv), *dinv = dev(inv), *db = dev(bias), *dq; int *dp = dev(pos), *dc = dev(cells);
    CHECK(cudaMalloc(&dq, sizeof(float) * n * qd));
    __half *dk, *dv; CHECK(cudaMalloc(&dk, 2 * ncells * kvd)); CHECK(cudaMalloc(&dv, 2 * ncells * kvd));
    CHECK(cudaMemset(dk, 0, 2 * ncells * kvd)); CHECK(cudaMemset(dv, 0, 2 * ncells * kvd));
    CHECK(sx_rope_kv(dqkv, n, qd, kvd, hd, neox, dinv, db, dp, dc, dq, dk, dv, 0));
    std::vector<float> q = host(dq, (size_t)n * qd);
    std::vector<__half> kh = host(dk, (size_t)ncells * kvd), vh = host(dv, (size_t)ncells * kvd);
    std::vector<float> kf(kh.size()), vf(vh.size());
    for (size_t i = 0; i < kh.size(); i++) { kf[i] = __half2float(kh[i]); vf[i] = __half2float(vh[i]); }
    double err = std::max(nmse(q.data(), qref.data(), q.size()), std::max(nmse(kf.data(), kref.data(), kf.size()), nmse(vf.data(), vref.data(), vf.size())));
    char cfg[96]; snprintf(cfg, sizeof cfg, "tokens=%d head_dim=%d pos<8000 %s +bias, kv f16", n, hd, neox ? "neox" : "norm");
    report("rope_kv", cfg, err, 1e-6);
    cudaFree(dqkv); cudaFree(dinv); cudaFree(db); cudaFree(dq); cudaFree(dp); cudaFree(dc); cudaFree(dk); cudaFree(dv);
}

static void test_swiglu(int n, int nff) {
    std::vector<float> gu((size_t)n * 2 * nff), ref((size_t)n * nff);
    for (auto &v : gu) v = rnd_f(-4, 4);
    for (int t = 0; t < n; t++) for (int j = 0; j < nff; j++) ref[(size_t)t * nff + j] = silu(gu[(size_t)t * 2 * nff + j]) * gu[(size_t)t * 2 * nff + nff + j];
    float *dg = dev(gu), *dh; CHECK(cudaMalloc(&dh, sizeof(float) * n * nff));
    CHECK(sx_swiglu(dg, n, nff, dh, nff, T_F32, 0));
    std::vector<float> h = host(dh, ref.size());
    char cfg[64]; snprintf(cfg, sizeof cfg, "tokens=%d n_ff=%d", n, nff);
    report("swiglu", cfg, nmse(h.data(), ref.data(), h.size()), 1e-10);
    cudaFree(dg); cudaFree(dh);
}

static void test_get_rows(int type, int dim) {
    const int V = 100, n = 7;
    std::vector<uint8_t> e = rand_weights(type, V, dim);
    std::vector<int> tok(n); for (auto &t : tok) t = (int)(rnd_u32() % V);
    std::vector<float> ref((size_t)n * dim);
    for (int t = 0; t < n; t++) ref_dequant_row(type, e.data() + (size_t)tok[t] * row_bytes(type, dim), dim, &ref[(size_t)t * dim]);
    uint8_t *de = dev(e); int *dt = dev(tok); float *dx; CHECK(cudaMalloc(&dx, sizeof(float) * n * dim));
    CHECK(sx_get_rows(de, type, row_bytes(type, dim), dim, dt, n, dx, 0));
    std::vector<float> x = host(dx, ref.size());
    char cfg[64]; snprintf(cfg, sizeof cfg, "%s dim=%d tokens=%d", tname(type), dim, n);
    report("get_rows", cfg, nmse(x.data(), ref.data(), x.size()), 1e-12);
    cudaFree(de); cudaFree(dt); cudaFree(dx);
}

/* ---- paged attention ---- */

static void test_attention(int n_seq, int max_len, int n_head, int n_head_kv, int hd, int n_split_extra, int chunk) {
    const int bs = 16, max_blocks = (max_len + bs - 1) / bs, n_blocks = n_seq * max_blocks, cells = n_blocks * bs, kvd = n_head_kv * hd, qd = n_head * hd;
    /* block tables: a random permutation of the pool */
    std::vector<int> perm(n_blocks); for (int i = 0; i < n_blocks; i++) perm[i] = i;
    for (int i = n_blocks - 1; i > 0; i--) std::swap(perm[i], perm[rnd_u32() % (i + 1)]);
    std::vector<int> bt(perm);
    std::vector<__half> kc((size_t)cells * kvd), vc((size_t)cells * kvd);
    for (auto &v : kc) v = __float2half(rnd_f(-1, 1));
    for (auto &v : vc) v = __float2half(rnd_f(-1, 1));
    /* rows: each sequence contributes a decode row at its last position and a prefill-like row mid-way */
    std::vector<int> pos, seq;
    for (int s = 0; s < n_seq; s++) { int len = 1 + (int)(rnd_u32() % max_len); pos.push_back(len - 1); seq.push_back(s); pos.push_back((len - 1) / 2); seq.push_back(s); }
    const int n = (int)pos.size();
    std::vector<float> q((size_t)n * qd), ref((size_t)n * qd);
    for (auto &v : q) v = rnd_f(-1, 1);
    const float scale = 1.f / sqrtf((float)hd);
    int maxpos = 0;
    for (int t = 0; t < n; t++) {
        maxpos = std::max(maxpos, pos[t]);
        for (int h = 0; h < n_head; h++) {
            int kvh = h / (n_head / n_head_kv);
            std::vector<double> sc(pos[t] + 1); double m = -1e300;
            for (int j = 0; j <= pos[t]; j++) {
                int cell = bt[seq[t] * max_blocks + j / bs] * bs + j % bs; double d = 0;
                for (int i = 0; i < hd; i++) d += (double)q[(size_t)t * qd + h * hd + i] * __half2float(kc[(size_t)cell * kvd + kvh * hd + i]);
                sc[j] = d * scale; m = std::max(m, sc[j]);
            }
            double l = 0; for (auto &v : sc) { v = exp(v - m); l += v; }
            for (int i = 0; i < hd; i++) {
                double o = 0;
                for (int j = 0; j <= pos[t]; j++) { int cell = bt[seq[t] * max_blocks + j / bs] * bs + j % bs; o += sc[j] * __half2float(vc[(size_t)cell * kvd + kvh * hd + i]); }
                ref[(size_t)t * qd + h * hd + i] = (float)(o / l);
            }
        }
    }
    int n_split = (maxpos + chunk) / chunk + n_split_extra;
    float *dq = dev(q), *dout, *po, *pml; __half *dk = dev(kc), *dv = dev(vc); int *dp = dev(pos), *ds = dev(seq), *dbt = dev(bt);
    CHECK(cudaMalloc(&dout, sizeof(float) * n * qd)); CHECK(cudaMalloc(&po, sizeof(float) * n * n_head * n_split * hd)); CHECK(cudaMalloc(&pml, sizeof(float) * n * n_head * n_split * 2));
    sx_attn_args a; memset(&a, 0, sizeof a);
    a.q = dq; a.kc = dk; a.vc = dv; a.pos = dp; a.seq = ds; a.block_table = dbt; a.max_blocks = max_blocks; a.block_size = bs;
    a.n = n; a.n_head = n_head; a.n_head_kv = n_head_kv; a.head_dim = hd; a.scale = scale; a.chunk = chunk; a.n_split = n_split; a.part_o = po; a.part_ml = pml; a.out = dout;
    CHECK(sx_attention(a, 0));
    std::vector<float> o = host(dout, ref.size());
    char cfg[128]; snprintf(cfg, sizeof cfg, "seqs=%d len<=%d heads=%d/%d hd=%d chunk=%d splits=%d paged", n_seq, max_len, n_head, n_head_kv, hd, chunk, n_split);
    report("attention", cfg, nmse(o.data(), ref.data(), o.size()), 1e-9 * 100);
    cudaFree(dq); cudaFree(dout); cudaFree(po); cudaFree(pml); cudaFree(dk); cudaFree(dv); cudaFree(dp); cudaFree(ds); cudaFree(dbt);
}

/* ---- sampling ---- */


static int ref_sample(const float *l, int n, const uint32_t *mask, const sx_sample_params &sp) {
    auto ok = [&](int i) { return !mask || ((mask[i >> 5] >> (i & 31)) & 1u); };
    int amax = -1;
    for (int i = 0; i < n; i++) if (ok(i) && (amax < 0 || l[i] > l[amax])) amax = i;
    if (amax < 0 || sp.temperature <= 0) return amax;
    std::vector<int> idx; for (int i = 0; i < n; i++) if (ok(i)) idx.push_back(i);
    std::sort(idx.begin(), idx.end(), [&](int a, int b) { return l[a] > l[b] || (l[a] == l[b] && a < b); });
    float invt = 1.f / sp.temperature, zmax = l[amax] * invt;
    size_t keep = idx.size();
    if (sp.top_k > 0 && (size_t)sp.top_k < keep) keep = sp.top_k;
    if (sp.top_p < 1.f) {
        double tot = 0; for (size_t i = 0; i < keep; i++) tot += expf(l[idx[i]] * invt - zmax);
        double c = 0; size_t k = 0;
        for (; k < keep; k++) { c += expf(l[idx[k]] * invt - zmax); if (c >= sp.top_p * tot) { k++; break; } }
        keep = std::min(keep, k);
    }
    float thr = l[idx[keep - 1]];
    std::vector<int> kept;
    for (int i = 0; i < n; i++) if (ok(i) && l[i] >= thr && expf(l[i] * invt - zmax) >= std::max(sp.min_p, 0.f)) kept.push_back(i);
    double tot = 0; for (int i : kept) tot += expf(l[i] * invt - zmax);
    uint64_t z = sp.seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull; z = (z ^ (z >> 27)) * 0x94D049BB133111EBull; z ^= z >> 31;
    double u = (double)(z >> 40) / 16777216.0 * tot, c = 0;
    for (int i : kept) { c += expf(l[i] * invt - zmax); if (u < c) return i; }
    return kept.back();
}

static void test_sampling(int V) {
    const int R = 64, W = (V + 31) / 32;
    std::vector<float> l((size_t)R * V);
    for (auto &v : l) v = rnd_f(-6, 6);
    std::vector<uint32_t> masks((size_t)R * W);
    for (auto &m : masks) m = rnd_u32() | rnd_u32(); /* ~75% allowed */
    for (int r = 0; r < R; r += 8) for (int w = 0; w < W; w++) masks[(size_t)r * W + w] = 0; /* some rows: one allowed token */
    for (int r = 0; r < R; r += 8) masks[(size_t)r * W + (r % W)] = 1u << (r % 32);
    float *dl = dev(l); uint32_t *dm = dev(masks); int32_t *dout; CHECK(cudaMalloc(&dout, sizeof(int32_t) * R));
    /* greedy with masks: exact */
    CHECK(sx_sample_rows(dl, R, V, dm, NULL, dout, 0));
    std::vector<int32_t> g = host(dout, R);
    int bad = 0;
    for (int r = 0; r < R; r++) { sx_sample_params sp = { 0.f, 0, 1.f, 0.f, 0 }; if (g[r] != ref_sample(&l[(size_t)r * V], V, &masks[(size_t)r * W], sp)) bad++; }
    char cfg[96]; snprintf(cfg, sizeof cfg, "greedy+mask rows=%d vocab=%d (mismatches)", R, V);
    report("sample", cfg, bad, 0);
    /* temperature / top-k / top-p / min-p, many seeds: ids must agree (float sums may flip a draw at a boundary) */
    const sx_sample_params cfgs[] = { { 0.8f, 0, 1.f, 0.f, 1 }, { 1.0f, 40, 1.f, 0.f, 2 }, { 0.7f, 0, 0.9f, 0.f, 3 }, { 1.2f, 50, 0.95f, 0.05f, 4 } };
    for (const auto &base : cfgs) {
        std::vector<sx_sample_params> ps(R);
        for (int r = 0; r < R; r++) { ps[r] = base; ps[r].seed = base.seed * 1000003ull + r; }
        sx_sample_params *dp = dev(ps);
        int mism = 0, total = 0;
        for (int rep = 0; rep < 8; rep++) {
            for (int r = 0; r < R; r++) ps[r].seed += 7919;
            CHECK(cudaMemcpy(dp, ps.data(), sizeof(sx_sample_params) * R, cudaMemcpyHostToDevice));
            CHECK(sx_sample_rows(dl, R, V, rep & 1 ? dm : NULL, dp, dout, 0));
            std::vector<int32_t> s = host(dout, R);
            for (int r = 0; r < R; r++) { total++; if (s[r] != ref_sample(&l[(size_t)r * V], V, rep & 1 ? &masks[(size_t)r * W] : NULL, ps[r])) mism++; }
        }
        snprintf(cfg, sizeof cfg, "T=%.1f top_k=%d top_p=%.2f min_p=%.2f: %d/%d differ", base.temperature, base.top_k, base.top_p, base.min_p, mism, total);
        report("sample", cfg, (double)mism / total, 0.02);
        cudaFree(dp);
    }
    cudaFree(dl); cudaFree(dm); cudaFree(dout);
}

/* ---- kernel timings on the shapes of the 0.85B Llama (2048 x 16, 32/8 heads, FFN 5632, 32K vocab), BF16 ---- */

static void bench_kernels() {
    const int dim = 2048, nff = 5632, V = 32000, qd = 2048, kvd = 512;
    struct shape { const char *name; int rows, K, ep; bool norm; } shapes[] = {
        { "qkv 3072x2048 +norm,rope,kv", qd + 2 * kvd, dim, EP_QKV, true }, { "o 2048x2048 +resid", dim, qd, EP_RESID, false },
        { "gate|up 11264x2048 +norm,swiglu", 2 * nff, dim, EP_SWIGLU, true }, { "down 2048x5632 +resid", dim, nff, EP_RESID, false },
        { "lm_head 32000x2048 +norm", V, dim, EP_STORE, true } };
    /* weights cycle through a 1 GiB pool so that every launch streams from HBM, as in a real decode step */
    const size_t pool = (size_t)1 << 30;
    uint8_t *w; float *x, *y, *nw, *inv; __half *kc, *vc; int *pos, *cells;
    CHECK(cudaMalloc(&w, pool)); CHECK(cudaMemset(w, 0, pool));
    CHECK(cudaMalloc(&x, sizeof(float) * 8 * nff)); CHECK(cudaMalloc(&y, sizeof(float) * 8 * V)); CHECK(cudaMalloc(&nw, sizeof(float) * nff)); CHECK(cudaMalloc(&inv, 256));
    CHECK(cudaMemset(x, 0, sizeof(float) * 8 * nff)); CHECK(cudaMemset(y, 0, sizeof(float) * 8 * V)); CHECK(cudaMemset(nw, 0, sizeof(float) * nff)); CHECK(cudaMemset(inv, 0, 256));
    CHECK(cudaMalloc(&kc, 16 * kvd * 2)); CHECK(cudaMalloc(&vc, 16 * kvd * 2));
    std::vector<int> hp(8, 100), hc(8); for (int i = 0; i < 8; i++) hc[i] = i; pos = dev(hp); cells = dev(hc);
    cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
    double tot1 = 0, tot8 = 0;
    struct cfg { int nt, ks, pers; } cfgs[] = { { 1, 2, 0 }, { 1, 2, 1 }, { 1, 1, 1 }, { 8, 2, 0 } };
    for (auto &cf : cfgs) for (auto &sh : shapes) {
        const int nt = cf.nt, ks = cf.ks;
        sx_mv_args a; memset(&a, 0, sizeof a);
        a.prefetch = a.persistent = cf.pers;
        const size_t mb = (size_t)sh.rows * sh.K * 2, copies = pool / mb;
        a.type = T_BF16; a.K = sh.K; a.rows = sh.rows; a.row_bytes = (size_t)sh.K * 2; a.n_pairs = sx_mv_pairs(sh.ep, sh.rows);
        a.x = x; a.x_stride = sh.K; a.y = y; a.y_stride = sh.ep == EP_QKV ? qd : sh.rows; a.n_tok = nt; a.ks = ks;
        a.norm_w = nw; a.eps = 1e-5f; a.q_dim = qd; a.kv_dim = kvd; a.head_dim = 64; a.inv_freq = inv; a.pos = pos; a.cells = cells; a.kc = kc; a.vc = vc;
        bool norm = sh.norm && nt == 1;
        const int reps = 60;
        for (int i = 0; i < 4; i++) { a.w = w + (i % copies) * mb; CHECK(sx_mv_launch(a, sh.ep, norm, 0)); }
        cudaEventRecord(e0);
        for (int i = 0; i < reps; i++) { a.w = w + (i % copies) * mb; sx_mv_launch(a, sh.ep, norm, 0); }
        cudaEventRecord(e1); cudaEventSynchronize(e1);
        CHECK(cudaGetLastError());
        float ms; cudaEventElapsedTime(&ms, e0, e1);
        double us = ms * 1e3 / reps, gbs = (double)mb / (us * 1e-6) / 1e9;
        printf("  bench matvec bf16 tokens=%d %-32s ks=%d %s: %7.2f us  %6.0f GB/s (cold weights)\n", nt, sh.name, ks,
               cf.pers ? "persistent+prefetch" : "one block per pair group", us, gbs);
        if (ks == 2 && cf.pers == (nt == 1)) { if (nt == 1) tot1 += us; else tot8 += us; }
    }
    printf("  bench matvec per layer+lm_head (ks=2, backend defaults): 1 token %.1f us, 8 tokens %.1f us\n", tot1, tot8);
    cudaFree(w); cudaFree(x); cudaFree(y); cudaFree(nw); cudaFree(inv); cudaFree(kc); cudaFree(vc); cudaFree(pos); cudaFree(cells);
    /* rmsnorm of 8 rows (the multi-token paths normalise first) */
    {
        float *xx, *yy, *ww; CHECK(cudaMalloc(&xx, 4 * 8 * dim)); CHECK(cudaMalloc(&yy, 4 * 8 * dim)); CHECK(cudaMalloc(&ww, 4 * dim));
        CHECK(cudaMemset(xx, 0, 4 * 8 * dim)); CHECK(cudaMemset(ww, 0, 4 * dim));
        for (int i = 0; i < 3; i++) CHECK(sx_rmsnorm(xx, dim, NULL, 8, dim, ww, 1e-5f, yy, dim, T_F32, 0));
        cudaEventRecord(e0);
        for (int i = 0; i < 50; i++) sx_rmsnorm(xx, dim, NULL, 8, dim, ww, 1e-5f, yy, dim, T_F32, 0);
        cudaEventRecord(e1); cudaEventSynchronize(e1);
        float ms; cudaEventElapsedTime(&ms, e0, e1);
        printf("  bench rmsnorm 8x2048: %.2f us\n", ms * 1e3 / 50);
        cudaFree(xx); cudaFree(yy); cudaFree(ww);
    }
    /* decode attention: 1 row and 64 rows at context 264, 32/8 heads, hd 64 */
    for (int nrow : { 1, 64 }) for (int ctx : { 264, 2048 }) {
        const int hd = 64, bs = 16, mb = (ctx + bs - 1) / bs, cells = nrow * mb * bs;
        __half *kc, *vc; float *q, *o, *po, *pml; int *pos, *seq, *bt;
        CHECK(cudaMalloc(&kc, (size_t)cells * kvd * 2)); CHECK(cudaMalloc(&vc, (size_t)cells * kvd * 2));
        CHECK(cudaMemset(kc, 0, (size_t)cells * kvd * 2)); CHECK(cudaMemset(vc, 0, (size_t)cells * kvd * 2));
        CHECK(cudaMalloc(&q, sizeof(float) * nrow * qd)); CHECK(cudaMalloc(&o, sizeof(float) * nrow * qd));
        CHECK(cudaMemset(q, 0, sizeof(float) * nrow * qd));
        const int chunk = sx_attn_chunk(nrow), ns = (ctx + chunk - 1) / chunk;
        CHECK(cudaMalloc(&po, sizeof(float) * nrow * 32 * ns * hd)); CHECK(cudaMalloc(&pml, sizeof(float) * nrow * 32 * ns * 2));
        std::vector<int> hp(nrow, ctx - 1), hs(nrow), hb((size_t)nrow * mb);
        for (int i = 0; i < nrow; i++) hs[i] = i;
        for (size_t i = 0; i < hb.size(); i++) hb[i] = (int)i;
        pos = dev(hp); seq = dev(hs); bt = dev(hb);
        sx_attn_args a; memset(&a, 0, sizeof a);
        a.q = q; a.kc = kc; a.vc = vc; a.pos = pos; a.seq = seq; a.block_table = bt; a.max_blocks = mb; a.block_size = bs;
        a.n = nrow; a.n_head = 32; a.n_head_kv = 8; a.head_dim = hd; a.scale = 0.125f; a.chunk = chunk; a.n_split = ns; a.part_o = po; a.part_ml = pml; a.out = o;
        for (int i = 0; i < 3; i++) CHECK(sx_attention(a, 0));
        cudaEventRecord(e0);
        for (int i = 0; i < 20; i++) sx_attention(a, 0);
        cudaEventRecord(e1); cudaEventSynchronize(e1);
        float ms; cudaEventElapsedTime(&ms, e0, e1);
        printf("  bench attention rows=%d ctx=%d splits=%d: %.2f us\n", nrow, ctx, ns, ms * 1e3 / 20);
        cudaFree(kc); cudaFree(vc); cudaFree(q); cudaFree(o); cudaFree(po); cudaFree(pml); cudaFree(pos); cudaFree(seq); cudaFree(bt);
    }
}

int main(int argc, char **argv) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) { printf("sx-test-ops: no CUDA device: 0 tests ran\n"); return 1; }
    cudaDeviceProp p; cudaGetDeviceProperties(&p, 0);
    printf("sx-test-ops on %s (sm_%d%d)\n", p.name, p.major, p.minor);
    if (argc > 1 && !strcmp(argv[1], "--bench")) { bench_kernels(); return 0; }
    const int types[] = { T_F32, T_F16, T_BF16, T_Q8_0, T_Q4_0, T_Q4_K, T_Q6_K };
    for (int t : types) {
        test_matvec(t, EP_STORE, 96, 512, 1, false, false);
        test_matvec(t, EP_STORE, 96, 512, 1, true, false);
        test_matvec(t, EP_STORE, 70, 768, 11, false, false);
        test_matvec(t, EP_RESID, 512, 256, 1, false, false);
        test_matvec(t, EP_RESID, 64, 1024, 3, false, false);
        test_matvec(t, EP_SWIGLU, 256, 512, 1, true, false);
        test_matvec(t, EP_SWIGLU, 256, 512, 9, false, false);
        test_matvec(t, EP_QKV, 512 + 256, 256, 1, true, false);
        test_matvec(t, EP_QKV, 512 + 256, 256, 5, false, true);
        test_get_rows(t, 512);
    }
    test_matvec(T_F32, EP_STORE, 64, 172, 1, false, false); /* row length not a multiple of the chunk (stories260K) */
    test_matvec(T_F32, EP_RESID, 64, 172, 4, false, false);
    test_rmsnorm(5, 2048, T_F32); test_rmsnorm(3, 4096, T_BF16); test_rmsnorm(3, 1000, T_F16);
    test_rope(6, false); test_rope(6, true);
    test_swiglu(4, 5632);
    for (int chunk : { SX_ATTN_CHUNK_DECODE, SX_ATTN_CHUNK_PREFILL }) {
        test_attention(3, 40, 8, 8, 64, 0, chunk);
        test_attention(4, 300, 32, 8, 64, 0, chunk);
        test_attention(3, 1500, 32, 8, 128, 0, chunk); /* several splits: flash-decoding combine */
        test_attention(2, 100, 8, 2, 64, 2, chunk);    /* empty splits */
        test_attention(2, 60, 8, 4, 8, 0, chunk);      /* stories260K's head_dim 8 */
        test_attention(2, 90, 80, 8, 64, 0, chunk);    /* 10 query heads per kv head (> 8: second head group) */
    }
    test_sampling(32000);
    printf("sx-test-ops: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail || g_pass == 0 ? 1 : 0;
}
