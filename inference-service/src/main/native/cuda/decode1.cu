/* decode1.cu — see decode1.cuh. */
#include "decode1.cuh"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define D1_WARPS 16
#define D1_THREADS (D1_WARPS * 32)
#define D1_CHUNK SX_D1_CHUNK
#define D1_MAX_HD 256
#define FULL 0xffffffffu

__device__ __forceinline__ unsigned ld_acquire_u32(const unsigned *p) {
    unsigned v;
    asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
    return v;
}

/* Grid-wide barrier (sense by generation): every block of the (cooperative, all-resident) grid arrives once.
   The count returns to 0 at each barrier, so the words stay valid from one launch to the next. */
struct d1_prof { long long t0, work[5], wait[5]; };

__device__ __forceinline__ void grid_sync(unsigned *bar, d1_prof *pr = NULL, int phase = 0) {
    __syncthreads();
    if (threadIdx.x == 0) {
        long long ta = 0;
        if (pr) { ta = clock64(); pr->work[phase] += ta - pr->t0; }
        const unsigned g = ld_acquire_u32(bar + 1);
        __threadfence();
        if (atomicAdd(bar, 1u) == gridDim.x - 1) {
            atomicExch(bar, 0u);
            __threadfence();
            atomicAdd(bar + 1, 1u);
        } else {
            while (ld_acquire_u32(bar + 1) == g) { }
        }
        __threadfence();
        if (pr) { pr->t0 = clock64(); pr->wait[phase] += pr->t0 - ta; }
    }
    __syncthreads();
}

/* µs per grid barrier of the decode kernel's grid (blocks of 512 threads, `blocks` of them), for the GPU check. */
__global__ void __launch_bounds__(512) d1_barrier_kernel(unsigned *bar, int iters) {
    for (int i = 0; i < iters; i++) grid_sync(bar);
}

/* Pull two weight rows into L2 (rows do not depend on activations: issued before a barrier). */
__device__ __forceinline__ void pf_rows(const uint8_t *r0, const uint8_t *r1, size_t rb, int lane) {
    for (size_t o = (size_t)lane * 128; o < rb; o += 32 * 128) {
        asm volatile("prefetch.global.L2 [%0];" :: "l"(r0 + o));
        if (r1) asm volatile("prefetch.global.L2 [%0];" :: "l"(r1 + o));
    }
}

/* Stage n floats (n % 4 == 0) written by other SMs (read through L2) into shared memory, RMS-normalised with
   weights w when w != NULL. Ends with a block barrier. */
__device__ __forceinline__ void stage(const float *src, int n, const float *w, float eps, float *xs, float *red) {
    float rs = 1.f;
    if (w) {
        float ss = 0.f;
        for (int i = threadIdx.x * 4; i < n; i += D1_THREADS * 4) {
            float4 v = __ldcg((const float4 *)(src + i));
            ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
        }
        ss = block_sum(ss, red);
        rs = rsqrtf(ss / (float)n + eps);
    }
    for (int i = threadIdx.x * 4; i < n; i += D1_THREADS * 4) {
        float4 v = __ldcg((const float4 *)(src + i));
        if (w) { float4 g = *(const float4 *)(w + i); v.x *= rs * g.x; v.y *= rs * g.y; v.z *= rs * g.z; v.w *= rs * g.w; }
        *(float4 *)(xs + i) = v;
    }
    __syncthreads();
}

/* va = W[a] · xs, vb = W[b] · xs over K elements, one warp, lane-strided chunks then a fixed shuffle tree. */
template <int T>
__device__ __forceinline__ void dot_pair(const uint8_t *wa, const uint8_t *wb, const float *xs, int K, int lane, float &va, float &vb) {
    constexpr int CH = Deq<T>::CH;
    constexpr int U = CH == 8 ? 4 : 1; /* chunks in flight per row per lane */
    float acc_a = 0.f, acc_b = 0.f;
    const int nch = K / CH;
    int c = lane;
    for (; c + 32 * (U - 1) < nch; c += 32 * U) {
        float fa[U][CH], fb[U][CH];
#pragma unroll
        for (int u = 0; u < U; u++) { Deq<T>::load(wa, c + u * 32, fa[u]); Deq<T>::load(wb, c + u * 32, fb[u]); }
#pragma unroll
        for (int u = 0; u < U; u++) {
            const float4 *xv = (const float4 *)(xs + (size_t)(c + u * 32) * CH);
#pragma unroll
            for (int i = 0; i < CH / 4; i++) {
                float4 v = xv[i];
                acc_a += fa[u][4 * i] * v.x + fa[u][4 * i + 1] * v.y + fa[u][4 * i + 2] * v.z + fa[u][4 * i + 3] * v.w;
                acc_b += fb[u][4 * i] * v.x + fb[u][4 * i + 1] * v.y + fb[u][4 * i + 2] * v.z + fb[u][4 * i + 3] * v.w;
            }
        }
    }
    for (; c < nch; c += 32) {
        float fa[CH], fb[CH];
        Deq<T>::load(wa, c, fa); Deq<T>::load(wb, c, fb);
        const float4 *xv = (const float4 *)(xs + (size_t)c * CH);
#pragma unroll
        for (int i = 0; i < CH / 4; i++) {
            float4 v = xv[i];
            acc_a += fa[4 * i] * v.x + fa[4 * i + 1] * v.y + fa[4 * i + 2] * v.z + fa[4 * i + 3] * v.w;
            acc_b += fb[4 * i] * v.x + fb[4 * i + 1] * v.y + fb[4 * i + 2] * v.z + fb[4 * i + 3] * v.w;
        }
    }
    if (K % CH) /* float rows whose length is not a multiple of the chunk */
        for (int i = nch * CH + lane; i < K; i += 32) { acc_a += elem_at<T>(wa, i) * xs[i]; acc_b += elem_at<T>(wb, i) * xs[i]; }
    va = warp_sum(acc_a); vb = warp_sum(acc_b);
}

/* 16 bytes of weights that are read once: not kept in L1. */
__device__ __forceinline__ uint4 ldg_stream(const uint4 *p) {
    uint4 r;
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w) : "l"(p));
    return r;
}

template <int T>
__device__ __forceinline__ float dot8(const uint4 u, const float4 x0, const float4 x1) {
    float w[8];
    if (T == T_BF16) {
        const uint32_t v[4] = { u.x, u.y, u.z, u.w };
#pragma unroll
        for (int i = 0; i < 4; i++) { w[2 * i] = __uint_as_float(v[i] << 16); w[2 * i + 1] = __uint_as_float(v[i] & 0xffff0000u); }
    } else {
        const __half2 *h = (const __half2 *)&u;
#pragma unroll
        for (int i = 0; i < 4; i++) { float2 f = __half22float2(h[i]); w[2 * i] = f.x; w[2 * i + 1] = f.y; }
    }
    return (w[0] * x0.x + w[1] * x0.y + w[2] * x0.z + w[3] * x0.w) + (w[4] * x1.x + w[5] * x1.y + w[6] * x1.z + w[7] * x1.w);
}

/* dot_pair for F16/BF16 rows (K % 8 == 0): U 16-byte loads per row and lane in flight before any arithmetic, the
   partial last group predicated instead of a sequential tail. */
template <int T, int U>
__device__ __forceinline__ void dot_pair16(const uint8_t *wa, const uint8_t *wb, const float *xs, int K, int lane, float &va, float &vb) {
    const uint4 *pa = (const uint4 *)wa, *pb = (const uint4 *)wb;
    const int nch = K / 8;
    float acc_a = 0.f, acc_b = 0.f;
    for (int c = lane; c < nch; c += 32 * U) {
        uint4 ra[U], rb[U];
#pragma unroll
        for (int u = 0; u < U; u++)
            if (c + 32 * u < nch) { ra[u] = ldg_stream(pa + c + 32 * u); rb[u] = ldg_stream(pb + c + 32 * u); }
#pragma unroll
        for (int u = 0; u < U; u++)
            if (c + 32 * u < nch) {
                const float4 *xv = (const float4 *)(xs + (size_t)(c + 32 * u) * 8);
                const float4 x0 = xv[0], x1 = xv[1];
                acc_a += dot8<T>(ra[u], x0, x1); acc_b += dot8<T>(rb[u], x0, x1);
            }
    }
    va = warp_sum(acc_a); vb = warp_sum(acc_b);
}

/* The pair product used by the kernel: Deq chunks (4 per row in flight for float types; the version measured on an
   H200), or with U == 8 the 16-bit float types through dot_pair16 (SEXTANT_CUDA_D1_U=8: compiled, not yet run on a GPU). */
template <int T, int U>
__device__ __forceinline__ void dot_rows(const uint8_t *wa, const uint8_t *wb, const float *xs, int K, int lane, float &va, float &vb) {
    if ((T == T_BF16 || T == T_F16) && U == 8) dot_pair16<T, 8>(wa, wb, xs, K, lane, va, vb);
    else dot_pair<T>(wa, wb, xs, K, lane, va, vb);
}

/* Rows of QKV pair p: RoPE pairs (adjacent for GGUF "norm", half a head apart for NEOX). */
__device__ __forceinline__ void qkv_rows(const sx_d1_args &a, int p, int &ra, int &rb) {
    if (a.rope_neox) { int h2 = a.head_dim / 2; ra = (p / h2) * a.head_dim + p % h2; rb = ra + h2; }
    else { ra = 2 * p; rb = 2 * p + 1; }
}

/* One warp: query head h over positions [s * D1_CHUNK, ...] of the token's sequence. The last warp to finish a
   head's splits merges them (log-sum-exp, splits in order) into att. */
__device__ void attn_item(const sx_d1_args &a, const __half *kc, const __half *vc, const int *bt, int pos, int h, int s,
                          int n_split, float *qsm, int lane) {
    const int hd = a.head_dim, G = a.n_head / a.n_head_kv, kvd = a.kv_dim, kvh = h / G;
    for (int d = lane; d < hd; d += 32) qsm[d] = __ldcg(a.q + h * hd + d) * a.scale;
    __syncwarp();
    const int start = s * D1_CHUNK;
    int end = start + D1_CHUNK; if (end > pos + 1) end = pos + 1;
    const int len = end - start;
    float sc[2]; int cl[2];
#pragma unroll
    for (int k = 0; k < 2; k++) {
        const int j = lane + 32 * k;
        sc[k] = -INFINITY; cl[k] = 0;
        if (j < len) {
            const int pj = start + j, cell = bt[pj / a.block_size] * a.block_size + pj % a.block_size;
            cl[k] = cell;
            const uint4 *kr = (const uint4 *)(kc + (size_t)cell * kvd + kvh * hd);
            float acc = 0.f;
            for (int c = 0; c < hd / 8; c++) {
                uint4 u = __ldcg(kr + c);
                const __half2 *h2 = (const __half2 *)&u;
#pragma unroll
                for (int e = 0; e < 4; e++) { float2 f = __half22float2(h2[e]); acc += f.x * qsm[c * 8 + 2 * e] + f.y * qsm[c * 8 + 2 * e + 1]; }
            }
            sc[k] = acc;
        }
    }
    const float m = warp_max(fmaxf(sc[0], sc[1]));
    const float e0 = lane < len ? expf(sc[0] - m) : 0.f, e1 = lane + 32 < len ? expf(sc[1] - m) : 0.f;
    const float l = warp_sum(e0 + e1);
    const int hd2 = hd / 2;
    float ox[D1_MAX_HD / 64], oy[D1_MAX_HD / 64];
#pragma unroll
    for (int k = 0; k < D1_MAX_HD / 64; k++) { ox[k] = 0.f; oy[k] = 0.f; }
    const size_t vbase = (size_t)kvh * hd;
#pragma unroll 4
    for (int j = 0; j < len; j++) {
        const float e = __shfl_sync(FULL, j < 32 ? e0 : e1, j & 31);
        const int cell = __shfl_sync(FULL, j < 32 ? cl[0] : cl[1], j & 31);
        const unsigned *vr = (const unsigned *)(vc + (size_t)cell * kvd + vbase);
#pragma unroll
        for (int k = 0; k < D1_MAX_HD / 64; k++) {
            const int dp = lane + 32 * k;
            if (dp < hd2) {
                unsigned u = __ldcg(vr + dp);
                float2 v = __half22float2(*(const __half2 *)&u);
                ox[k] += e * v.x; oy[k] += e * v.y;
            }
        }
    }
    if (n_split == 1) {
#pragma unroll
        for (int k = 0; k < D1_MAX_HD / 64; k++) {
            const int dp = lane + 32 * k;
            if (dp < hd2) { __stcg(a.att + h * hd + 2 * dp, ox[k] / l); __stcg(a.att + h * hd + 2 * dp + 1, oy[k] / l); }
        }
        return;
    }
    float *po = a.part_o + ((size_t)h * a.max_split + s) * hd;
    float *pm = a.part_ml + ((size_t)h * a.max_split) * 2;
#pragma unroll
    for (int k = 0; k < D1_MAX_HD / 64; k++) {
        const int dp = lane + 32 * k;
        if (dp < hd2) { __stcg(po + 2 * dp, ox[k]); __stcg(po + 2 * dp + 1, oy[k]); }
    }
    if (lane == 0) { __stcg(pm + 2 * s, m); __stcg(pm + 2 * s + 1, l); }
    __threadfence();
    __syncwarp();
    unsigned prev = 0;
    if (lane == 0) prev = atomicAdd(a.bar + 2 + h, 1u);
    prev = __shfl_sync(FULL, prev, 0);
    if (prev != (unsigned)n_split - 1) return;
    /* the last split of head h: merge all splits in order */
    __threadfence();
    float M = -INFINITY;
    for (int s2 = 0; s2 < n_split; s2++) M = fmaxf(M, __ldcg(pm + 2 * s2));
    float L = 0.f;
    for (int s2 = 0; s2 < n_split; s2++) L += __ldcg(pm + 2 * s2 + 1) * expf(__ldcg(pm + 2 * s2) - M);
#pragma unroll
    for (int k = 0; k < D1_MAX_HD / 64; k++) {
        const int dp = lane + 32 * k;
        if (dp >= hd2) continue;
        float o0 = 0.f, o1 = 0.f;
        for (int s2 = 0; s2 < n_split; s2++) {
            const float w = expf(__ldcg(pm + 2 * s2) - M);
            const float *ps = a.part_o + ((size_t)h * a.max_split + s2) * hd;
            o0 += __ldcg(ps + 2 * dp) * w; o1 += __ldcg(ps + 2 * dp + 1) * w;
        }
        __stcg(a.att + h * hd + 2 * dp, o0 / L); __stcg(a.att + h * hd + 2 * dp + 1, o1 / L);
    }
    if (lane == 0) atomicExch(a.bar + 2 + h, 0u);
}

/* x += W · xs for a (dim, K) matrix W of rows of rb bytes: this warp's row pairs (2p, 2p + 1), the next pair
   pulled into L2 first; the residual rows are read and written through L2 (other SMs wrote them). */
template <int T, int U>
__device__ __forceinline__ void resid_rows(const sx_d1_args &a, const uint8_t *w, size_t rb, int K, const float *xs, int gw, int NW, int lane) {
    const int n_res = (a.dim + 1) / 2;
    for (int p = gw; p < n_res; p += NW) {
        const int q = p + NW;
        if (q < n_res) pf_rows(w + (size_t)(2 * q) * rb, 2 * q + 1 < a.dim ? w + (size_t)(2 * q + 1) * rb : NULL, rb, lane);
        float va, vb;
        dot_rows<T, U>(w + (size_t)(2 * p) * rb, w + (size_t)(2 * p + (2 * p + 1 < a.dim)) * rb, xs, K, lane, va, vb);
        if (lane == 0) {
            __stcg(a.x + 2 * p, __ldcg(a.x + 2 * p) + va);
            if (2 * p + 1 < a.dim) __stcg(a.x + 2 * p + 1, __ldcg(a.x + 2 * p + 1) + vb);
        }
    }
}

enum { W_QKV, W_O, W_GU, W_DOWN };

/* This warp's first row pair of a layer's matrix into L2. */
__device__ __forceinline__ void pf_first(const sx_d1_args &a, const sx_d1_layer &L, int which, int gw, int lane) {
    if (which == W_QKV) {
        if (gw < (a.q_dim + 2 * a.kv_dim) / 2) { int na, nb; qkv_rows(a, gw, na, nb); pf_rows(L.qkv + (size_t)na * a.rb_dim, L.qkv + (size_t)nb * a.rb_dim, a.rb_dim, lane); }
    } else if (which == W_GU) {
        if (gw < a.n_ff) pf_rows(L.gu + (size_t)gw * a.rb_dim, L.gu + (size_t)(gw + a.n_ff) * a.rb_dim, a.rb_dim, lane);
    } else {
        const uint8_t *w = which == W_O ? L.o : L.down;
        const size_t rb = which == W_O ? a.rb_q : a.rb_ff;
        if (2 * gw < a.dim) pf_rows(w + (size_t)(2 * gw) * rb, 2 * gw + 1 < a.dim ? w + (size_t)(2 * gw + 1) * rb : NULL, rb, lane);
    }
}

/* pf: when each warp pulls its first rows of the next matrix into L2: 0 never, 1 at the end of a phase (before the
   barrier), 2 at the start of a phase (the next matrix streams while this one is computed). */
template <int T, int U>
__global__ void __launch_bounds__(D1_THREADS) d1_kernel(const sx_d1_args a, const int stage_floats, const int pf, long long *prof) {
    __shared__ d1_prof P; /* thread 0's phase clocks (profiling only) */
    d1_prof *pr = NULL;
    if (prof && threadIdx.x == 0) { memset(&P, 0, sizeof P); P.t0 = clock64(); pr = &P; }
    extern __shared__ __align__(16) float smem[];
    __shared__ float red[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    /* warp-major numbering: consecutive pairs land on different SMs, so a matrix of few rows still uses them all */
    const int gw = warp * gridDim.x + blockIdx.x, NW = gridDim.x * D1_WARPS;
    const int pos = a.pos[0], cell = a.cell[0];
    const int *bt = a.block_table + (size_t)a.seq[0] * a.max_blocks;
    float *xs = smem, *qsm = smem + stage_floats + warp * a.head_dim;
    const int n_qkv = (a.q_dim + 2 * a.kv_dim) / 2, n_gu = a.n_ff;
    const int n_split = (pos + D1_CHUNK) / D1_CHUNK, n_items = a.n_head * n_split;
    const size_t rbd = a.rb_dim, rbq = a.rb_q, rbf = a.rb_ff;
    for (int l = 0; l < a.n_layer; l++) {
        const sx_d1_layer L = a.layers[l];
        __half *kc = a.kc + (size_t)l * a.layer_cells, *vc = a.vc + (size_t)l * a.layer_cells;
        /* 1. q|k|v = W · rmsnorm(x); RoPE; k, v into the cache */
        if (pf == 2) pf_first(a, L, W_O, gw, lane);
        stage(a.x, a.dim, L.attn_norm, a.eps, xs, red);
        for (int p = gw; p < n_qkv; p += NW) {
            int ra, rb; qkv_rows(a, p, ra, rb);
            if (p + NW < n_qkv) { int na, nb; qkv_rows(a, p + NW, na, nb); pf_rows(L.qkv + (size_t)na * rbd, L.qkv + (size_t)nb * rbd, rbd, lane); }
            float va, vb;
            dot_rows<T, U>(L.qkv + (size_t)ra * rbd, L.qkv + (size_t)rb * rbd, xs, a.dim, lane, va, vb);
            if (lane == 0) {
                if (L.bqkv) { va += L.bqkv[ra]; vb += L.bqkv[rb]; }
                const int qd = a.q_dim, kvd = a.kv_dim;
                if (ra < qd + kvd) {
                    const int d = ra % a.head_dim, i = a.rope_neox ? d : d / 2;
                    float sn, cs; sincosf((float)pos * a.inv_freq[i], &sn, &cs);
                    const float r0 = va * cs - vb * sn, r1 = va * sn + vb * cs;
                    va = r0; vb = r1;
                }
                if (ra < qd) { __stcg(a.q + ra, va); __stcg(a.q + rb, vb); }
                else if (ra < qd + kvd) { __half *k = kc + (size_t)cell * kvd - qd; k[ra] = __float2half(va); k[rb] = __float2half(vb); }
                else { __half *v = vc + (size_t)cell * kvd - qd - kvd; v[ra] = __float2half(va); v[rb] = __float2half(vb); }
            }
        }
        if (pf == 1) pf_first(a, L, W_O, gw, lane);
        grid_sync(a.bar, pr, 0);
        /* 2. attention */
        if (pf == 2) pf_first(a, L, W_GU, gw, lane);
        for (int it = gw; it < n_items; it += NW) attn_item(a, kc, vc, bt, pos, it / n_split, it % n_split, n_split, qsm, lane);
        grid_sync(a.bar, pr, 1);
        /* 3. x += O · att */
        stage(a.att, a.q_dim, NULL, 0.f, xs, red);
        resid_rows<T, U>(a, L.o, rbq, a.q_dim, xs, gw, NW, lane);
        if (pf == 1) pf_first(a, L, W_GU, gw, lane);
        grid_sync(a.bar, pr, 2);
        /* 4. h = silu(gate · rmsnorm(x)) * (up · rmsnorm(x)) */
        if (pf == 2) pf_first(a, L, W_DOWN, gw, lane);
        stage(a.x, a.dim, L.ffn_norm, a.eps, xs, red);
        for (int p = gw; p < n_gu; p += NW) {
            if (p + NW < n_gu) pf_rows(L.gu + (size_t)(p + NW) * rbd, L.gu + (size_t)(p + NW + a.n_ff) * rbd, rbd, lane);
            float va, vb;
            dot_rows<T, U>(L.gu + (size_t)p * rbd, L.gu + (size_t)(p + a.n_ff) * rbd, xs, a.dim, lane, va, vb);
            if (lane == 0) __stcg(a.h + p, va / (1.f + expf(-va)) * vb);
        }
        if (pf == 1) pf_first(a, L, W_DOWN, gw, lane);
        grid_sync(a.bar, pr, 3);
        /* 5. x += down · h */
        if (pf == 2 && l + 1 < a.n_layer) pf_first(a, a.layers[l + 1], W_QKV, gw, lane);
        stage(a.h, a.n_ff, NULL, 0.f, xs, red);
        resid_rows<T, U>(a, L.down, rbf, a.n_ff, xs, gw, NW, lane);
        if (l + 1 < a.n_layer) {
            if (pf == 1) pf_first(a, a.layers[l + 1], W_QKV, gw, lane);
            grid_sync(a.bar, pr, 4);
        }
    }
    if (pr) { /* the last phase has no barrier: its work ends here */
        P.work[4] += clock64() - P.t0;
        for (int k = 0; k < 5; k++) { atomicAdd((unsigned long long *)&prof[k], (unsigned long long)P.work[k]); atomicAdd((unsigned long long *)&prof[5 + k], (unsigned long long)P.wait[k]); }
        atomicAdd((unsigned long long *)&prof[10], 1ull);
    }
}

int sx_decode1_supported(int type) {
    return type == T_F32 || type == T_F16 || type == T_BF16 || type == T_Q8_0 || type == T_Q4_0;
}

/* SEXTANT_CUDA_D1_PROF=1: per-phase clock sums of every block (work, barrier wait) and the launch count */
static thread_local long long *g_prof = NULL;
static thread_local int g_prof_on = -1;
static thread_local int g_u = 0;

template <int T, int U>
static cudaError_t launch_t(const sx_d1_args &a, cudaStream_t st) {
    auto k = d1_kernel<T, U>;
    int sf = a.dim; if (a.q_dim > sf) sf = a.q_dim; if (a.n_ff > sf) sf = a.n_ff;
    sf = (sf + 3) & ~3;
    const size_t sm = sizeof(float) * ((size_t)sf + (size_t)D1_WARPS * a.head_dim);
    /* grid: blocks resident at once (SEXTANT_CUDA_D1_BPS caps the blocks per SM); cached per dtype and size */
    static thread_local size_t c_sm = 0; static thread_local int c_grid = 0, c_pf = 2;
    if (c_sm != sm) {
        if (sm > 48 * 1024) { cudaError_t e = cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)sm); if (e != cudaSuccess) return e; }
        int dev = 0, n_sm = 0, occ = 0;
        cudaGetDevice(&dev);
        cudaDeviceGetAttribute(&n_sm, cudaDevAttrMultiProcessorCount, dev);
        cudaError_t e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, k, D1_THREADS, sm);
        if (e != cudaSuccess) return e;
        if (occ < 1) return cudaErrorInvalidConfiguration;
        const char *bps = getenv("SEXTANT_CUDA_D1_BPS");
        if (bps && atoi(bps) > 0 && atoi(bps) < occ) occ = atoi(bps);
        c_grid = occ * n_sm; c_sm = sm;
        const char *pfe = getenv("SEXTANT_CUDA_D1_PF");
        c_pf = pfe ? atoi(pfe) : 2;
    }
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeCooperative;
    at[0].val.cooperative = 1;
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3(c_grid); cfg.blockDim = dim3(D1_THREADS); cfg.dynamicSmemBytes = sm; cfg.stream = st; cfg.attrs = at; cfg.numAttrs = 1;
    if (g_prof_on < 0) {
        const char *pe = getenv("SEXTANT_CUDA_D1_PROF");
        g_prof_on = pe && pe[0] == '1';
        if (g_prof_on && cudaMalloc(&g_prof, 16 * sizeof(long long)) == cudaSuccess) cudaMemset(g_prof, 0, 16 * sizeof(long long));
        else g_prof = NULL;
    }
    return cudaLaunchKernelEx(&cfg, k, a, sf, c_pf, g_prof);
}

cudaError_t sx_decode1(const sx_d1_args &a, cudaStream_t st) {
    if (a.head_dim > D1_MAX_HD || a.head_dim % 8 || a.dim % 4 || a.q_dim % 4 || a.n_ff % 4) return cudaErrorInvalidValue;
    if (!g_u) { const char *ue = getenv("SEXTANT_CUDA_D1_U"); g_u = ue && atoi(ue) == 8 ? 8 : 4; }
    switch (a.type) {
    case T_F32: return launch_t<T_F32, 1>(a, st);
    case T_F16: return g_u == 4 ? launch_t<T_F16, 4>(a, st) : launch_t<T_F16, 8>(a, st);
    case T_BF16: return g_u == 4 ? launch_t<T_BF16, 4>(a, st) : launch_t<T_BF16, 8>(a, st);
    case T_Q8_0: return launch_t<T_Q8_0, 1>(a, st);
    case T_Q4_0: return launch_t<T_Q4_0, 1>(a, st);
    default: return cudaErrorInvalidValue;
    }
}

int sx_decode1_profile(char *buf, int cap) {
    if (!g_prof) return snprintf(buf, cap, "(no whole-step kernel profile: set SEXTANT_CUDA_D1_PROF=1)");
    long long h[16];
    if (cudaMemcpy(h, g_prof, sizeof h, cudaMemcpyDeviceToHost) != cudaSuccess || h[10] == 0) return snprintf(buf, cap, "(no profile)");
    int dev = 0, khz = 0; cudaGetDevice(&dev); cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev);
    /* per block and launch, summed over layers: cycles / (kHz * 1e-3) = µs */
    static const char *nm[5] = { "qkv", "attention", "o", "gate|up", "down" };
    int k = 0; double tw = 0, tx = 0;
    for (int i = 0; i < 5 && k < cap; i++) {
        double w = (double)h[i] / h[10] / (khz * 1e-3), x = (double)h[5 + i] / h[10] / (khz * 1e-3);
        tw += w; tx += x;
        k += snprintf(buf + k, cap - k, "%s%s work %.1f us + barrier %.1f us", i ? ", " : "", nm[i], w, x);
    }
    if (k < cap) k += snprintf(buf + k, cap - k, "; per step: work %.1f us, barriers %.1f us (mean over blocks, %lld block-launches, clock %d MHz)", tw, tx, h[10], khz / 1000);
    return k;
}

float sx_decode1_barrier_bench(int iters) {
    unsigned *bar = NULL;
    if (cudaMalloc(&bar, 64) != cudaSuccess) return -1.f;
    cudaMemset(bar, 0, 64);
    int dev = 0, n_sm = 0; cudaGetDevice(&dev); cudaDeviceGetAttribute(&n_sm, cudaDevAttrMultiProcessorCount, dev);
    cudaLaunchAttribute at[1]; at[0].id = cudaLaunchAttributeCooperative; at[0].val.cooperative = 1;
    cudaLaunchConfig_t cfg = {}; cfg.gridDim = dim3(n_sm); cfg.blockDim = dim3(512); cfg.attrs = at; cfg.numAttrs = 1;
    cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
    cudaLaunchKernelEx(&cfg, d1_barrier_kernel, bar, 10);
    cudaEventRecord(e0);
    cudaLaunchKernelEx(&cfg, d1_barrier_kernel, bar, iters);
    cudaEventRecord(e1);
    float ms = -1.f;
    if (cudaEventSynchronize(e1) == cudaSuccess) cudaEventElapsedTime(&ms, e0, e1);
    cudaEventDestroy(e0); cudaEventDestroy(e1); cudaFree(bar);
    return ms * 1e3f / iters;
}
