/* matvec_impl.cuh — the kernel template behind matvec.cuh; instantiated per dtype family in mmv_*.cu. */
#ifndef SX_CUDA_MATVEC_IMPL_CUH
#define SX_CUDA_MATVEC_IMPL_CUH

#include "matvec.cuh"

#define SX_MV_WARPS 8

template <int EP>
__device__ __forceinline__ void mv_rows(const sx_mv_args &a, int p, int &ra, int &rb) {
    if (EP == EP_SWIGLU) { ra = p; rb = p + a.rows / 2; }
    else if (EP == EP_QKV && a.rope_neox) { int h2 = a.head_dim / 2; ra = (p / h2) * a.head_dim + p % h2; rb = ra + h2; }
    else { ra = 2 * p; rb = 2 * p + 1 < a.rows ? 2 * p + 1 : -1; }
}

template <int EP>
__device__ __forceinline__ void mv_epilogue(const sx_mv_args &a, int t, int ra, int rb, float va, float vb) {
    float *y = a.y + (size_t)t * a.y_stride;
    if (EP == EP_STORE) { y[ra] = va; if (rb >= 0) y[rb] = vb; }
    else if (EP == EP_RESID) { y[ra] += va; if (rb >= 0) y[rb] += vb; }
    else if (EP == EP_SWIGLU) { y[ra] = va / (1.f + expf(-va)) * vb; }
    else { /* EP_QKV */
        if (a.bias) { va += a.bias[ra]; vb += a.bias[rb]; }
        int kvd = a.kv_dim;
        if (ra < a.q_dim + kvd) { /* q or k: rotate the pair */
            int d = ra % a.head_dim, i = a.rope_neox ? d : d / 2;
            float s, c; sincosf((float)a.pos[t] * a.inv_freq[i], &s, &c);
            float r0 = va * c - vb * s, r1 = va * s + vb * c;
            va = r0; vb = r1;
        }
        if (ra < a.q_dim) { y[ra] = va; y[rb] = vb; }
        else if (ra < a.q_dim + kvd) {
            __half *k = a.kc + (size_t)a.cells[t] * kvd - a.q_dim;
            k[ra] = __float2half(va); k[rb] = __float2half(vb);
        } else {
            __half *v = a.vc + (size_t)a.cells[t] * kvd - a.q_dim - kvd;
            v[ra] = __float2half(va); v[rb] = __float2half(vb);
        }
    }
}

/* Pulls this warp's share (K part `sub` of ks) of the two rows of pair p into L2. */
template <int EP>
__device__ __forceinline__ void mv_prefetch(const sx_mv_args &a, int p, int ks, int sub, int lane) {
    if (p >= a.n_pairs) return;
    int ra0, rb0; mv_rows<EP>(a, p, ra0, rb0);
    const size_t rbytes = a.row_bytes, part = (rbytes + ks - 1) / ks, lo = part * sub, hi = lo + part < rbytes ? lo + part : rbytes;
    const uint8_t *r0 = a.w + (size_t)ra0 * rbytes, *r1 = a.w + (size_t)(rb0 >= 0 ? rb0 : ra0) * rbytes;
    for (size_t o = lo + lane * 128; o < hi; o += 32 * 128) {
        asm volatile("prefetch.global.L2 [%0];" :: "l"(r0 + o));
        asm volatile("prefetch.global.L2 [%0];" :: "l"(r1 + o));
    }
}

template <int T, int NC, bool NORM, int EP>
__global__ void __launch_bounds__(SX_MV_WARPS * 32) mv_kernel(const sx_mv_args a) {
    constexpr int CH = Deq<T>::CH;
    constexpr int U = CH == 8 ? 4 : 1; /* chunks in flight per row per lane */
    extern __shared__ __align__(16) float smem[];
    __shared__ float red[32];
    __shared__ float part[SX_MV_WARPS][2][NC];
    const int lane = threadIdx.x & 31, wib = threadIdx.x >> 5;
    const int ks = a.ks, sub = wib % ks;
    const int ppb = SX_MV_WARPS / ks;           /* row pairs per block and iteration */
    const int p0 = blockIdx.x * ppb + wib / ks;  /* this warp's first pair; then + gridDim.x * ppb */
    const int K = a.K;
    /* weights do not depend on x: start pulling this warp's first rows while x is staged */
    if (a.prefetch && !a.pdl) mv_prefetch<EP>(a, p0, ks, sub, lane);
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    if (a.pdl) {
        /* weights do not depend on the previous kernel: let the next kernel start, pull this block's rows into L2,
           then wait for the previous kernel's results (x, the residual stream) */
        asm volatile("griddepcontrol.launch_dependents;");
        mv_prefetch<EP>(a, p0, ks, sub, lane);
        asm volatile("griddepcontrol.wait;" ::: "memory");
    }
#endif

    const float *xp[NC];
    if (NC == 1) { /* stage the (normalised) token row in shared memory */
        const float *x = a.x + (size_t)(a.x_rows ? a.x_rows[0] : 0) * a.x_stride;
        float rs = 1.f;
        constexpr int MV = 8; /* float4 per thread held in registers: one memory round trip for K <= 8192 */
        if (K % 4 == 0 && K <= MV * 4 * SX_MV_WARPS * 32) {
            float4 v[MV];
#pragma unroll
            for (int k = 0; k < MV; k++) { int i = (threadIdx.x + k * SX_MV_WARPS * 32) * 4; v[k] = i < K ? *(const float4 *)(x + i) : make_float4(0, 0, 0, 0); }
            if (NORM) {
                float ss = 0.f;
#pragma unroll
                for (int k = 0; k < MV; k++) ss += v[k].x * v[k].x + v[k].y * v[k].y + v[k].z * v[k].z + v[k].w * v[k].w;
                ss = block_sum(ss, red);
                rs = rsqrtf(ss / (float)K + a.eps);
            }
#pragma unroll
            for (int k = 0; k < MV; k++) {
                int i = (threadIdx.x + k * SX_MV_WARPS * 32) * 4;
                if (i < K) {
                    float4 o = v[k];
                    if (NORM) { float4 g = *(const float4 *)(a.norm_w + i); o.x *= rs * g.x; o.y *= rs * g.y; o.z *= rs * g.z; o.w *= rs * g.w; }
                    *(float4 *)(smem + i) = o;
                }
            }
        } else {
            if (NORM) {
                float ss = 0.f;
                for (int i = threadIdx.x; i < K; i += blockDim.x) { float v = x[i]; ss += v * v; }
                ss = block_sum(ss, red);
                rs = rsqrtf(ss / (float)K + a.eps);
            }
            for (int i = threadIdx.x; i < K; i += blockDim.x) smem[i] = NORM ? x[i] * rs * a.norm_w[i] : x[i];
        }
        __syncthreads();
        xp[0] = smem;
    } else {
#pragma unroll
        for (int t = 0; t < NC; t++) {
            int tt = t < a.n_tok ? t : 0;
            xp[t] = a.x + (size_t)(a.x_rows ? a.x_rows[tt] : tt) * a.x_stride;
        }
    }

    /* grid-stride over row pairs: every warp of a block runs the same number of iterations (block-wide syncs) */
    const int stride = gridDim.x * ppb, n_iter = (a.n_pairs - blockIdx.x * ppb + stride - 1) / stride;
    for (int it = 0; it < n_iter; it++) {
    const int p = p0 + it * stride;
    if (a.prefetch && it + 1 < n_iter) mv_prefetch<EP>(a, p + stride, ks, sub, lane);
    float acc_a[NC], acc_b[NC];
#pragma unroll
    for (int t = 0; t < NC; t++) { acc_a[t] = 0.f; acc_b[t] = 0.f; }
    const bool valid = p < a.n_pairs;
    int ra = 0, rb = -1;
    if (valid) {
        mv_rows<EP>(a, p, ra, rb);
        const uint8_t *wa = a.w + (size_t)ra * a.row_bytes;
        const uint8_t *wb = a.w + (size_t)(rb >= 0 ? rb : ra) * a.row_bytes;
        const int nch = K / CH, step = 32 * ks;
        int c = sub * 32 + lane;
        for (; c + step * (U - 1) < nch; c += step * U) {
            float fa[U][CH], fb[U][CH];
#pragma unroll
            for (int u = 0; u < U; u++) { Deq<T>::load(wa, c + u * step, fa[u]); Deq<T>::load(wb, c + u * step, fb[u]); }
#pragma unroll
            for (int u = 0; u < U; u++) {
#pragma unroll
                for (int t = 0; t < NC; t++) {
                    const float4 *xv = (const float4 *)(xp[t] + (size_t)(c + u * step) * CH);
#pragma unroll
                    for (int i = 0; i < CH / 4; i++) {
                        float4 v = xv[i];
                        acc_a[t] += fa[u][4 * i] * v.x + fa[u][4 * i + 1] * v.y + fa[u][4 * i + 2] * v.z + fa[u][4 * i + 3] * v.w;
                        acc_b[t] += fb[u][4 * i] * v.x + fb[u][4 * i + 1] * v.y + fb[u][4 * i + 2] * v.z + fb[u][4 * i + 3] * v.w;
                    }
                }
            }
        }
        if (K % CH && sub == 0) { /* tail of float rows whose length is not a multiple of the chunk */
            for (int i = nch * CH + lane; i < K; i += 32) {
                float ea = elem_at<T>(wa, i), eb = elem_at<T>(wb, i);
#pragma unroll
                for (int t = 0; t < NC; t++) { acc_a[t] += ea * xp[t][i]; acc_b[t] += eb * xp[t][i]; }
            }
        }
        for (; c < nch; c += step) {
            float fa[CH], fb[CH];
            Deq<T>::load(wa, c, fa); Deq<T>::load(wb, c, fb);
#pragma unroll
            for (int t = 0; t < NC; t++) {
                const float4 *xv = (const float4 *)(xp[t] + (size_t)c * CH);
#pragma unroll
                for (int i = 0; i < CH / 4; i++) {
                    float4 v = xv[i];
                    acc_a[t] += fa[4 * i] * v.x + fa[4 * i + 1] * v.y + fa[4 * i + 2] * v.z + fa[4 * i + 3] * v.w;
                    acc_b[t] += fb[4 * i] * v.x + fb[4 * i + 1] * v.y + fb[4 * i + 2] * v.z + fb[4 * i + 3] * v.w;
                }
            }
        }
    }
#pragma unroll
    for (int t = 0; t < NC; t++) { acc_a[t] = warp_sum(acc_a[t]); acc_b[t] = warp_sum(acc_b[t]); }
    if (ks > 1) {
        if (lane == 0) {
#pragma unroll
            for (int t = 0; t < NC; t++) { part[wib][0][t] = acc_a[t]; part[wib][1][t] = acc_b[t]; }
        }
        __syncthreads();
        if (sub == 0) for (int s = 1; s < ks; s++) {
#pragma unroll
            for (int t = 0; t < NC; t++) { acc_a[t] += part[wib + s][0][t]; acc_b[t] += part[wib + s][1][t]; }
        }
        __syncthreads(); /* part is rewritten by the next iteration */
    }
    if (valid && sub == 0 && lane < NC && lane < a.n_tok) {
        float va = 0.f, vb = 0.f;
#pragma unroll
        for (int t = 0; t < NC; t++) if (t == lane) { va = acc_a[t]; vb = acc_b[t]; }
        mv_epilogue<EP>(a, lane, ra, rb, va, vb);
    }
    }
}

/* Plain launch, or with programmatic stream serialization when a.pdl (the kernel then waits in-kernel). */
static inline void launch_k(void (*k)(const sx_mv_args), dim3 grid, dim3 block, size_t sm, cudaStream_t st, const sx_mv_args &a) {
    if (!a.pdl) { k<<<grid, block, sm, st>>>(a); return; }
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    at[0].val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = grid; cfg.blockDim = block; cfg.dynamicSmemBytes = sm; cfg.stream = st; cfg.attrs = at; cfg.numAttrs = 1;
    cudaLaunchKernelEx(&cfg, k, a);
}

template <int T>
static cudaError_t mv_launch_t(const sx_mv_args &a, int ep, bool norm, cudaStream_t st) {
    int pairs_per_block = SX_MV_WARPS / a.ks;
    dim3 grid((a.n_pairs + pairs_per_block - 1) / pairs_per_block), block(SX_MV_WARPS * 32);
    if (a.n_tok == 1) {
        size_t sm = (size_t)a.K * sizeof(float);
        if (a.persistent) { /* at most the blocks that are resident at once: one prologue (x staging) per block */
            static int n_sm = 0;
            if (!n_sm) cudaDeviceGetAttribute(&n_sm, cudaDevAttrMultiProcessorCount, 0);
            int occ = 0;
            cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, norm ? (ep == EP_QKV ? mv_kernel<T, 1, true, EP_QKV> : ep == EP_SWIGLU ? mv_kernel<T, 1, true, EP_SWIGLU> : mv_kernel<T, 1, true, EP_STORE>)
                                                                 : (ep == EP_RESID ? mv_kernel<T, 1, false, EP_RESID> : mv_kernel<T, 1, false, EP_STORE>), block.x, sm);
            if (occ > 0 && grid.x > (unsigned)(occ * n_sm)) grid.x = occ * n_sm;
        }
#define L1(NRM, E) do { auto k = mv_kernel<T, 1, NRM, E>; \
            static bool big_ = false; \
            if (sm > 48 * 1024 && !big_) { cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024); big_ = true; } \
            launch_k(k, grid, block, sm, st, a); } while (0)
        if (norm) {
            if (ep == EP_QKV) L1(true, EP_QKV); else if (ep == EP_SWIGLU) L1(true, EP_SWIGLU); else L1(true, EP_STORE);
        } else {
            if (ep == EP_QKV) L1(false, EP_QKV); else if (ep == EP_SWIGLU) L1(false, EP_SWIGLU);
            else if (ep == EP_RESID) L1(false, EP_RESID); else L1(false, EP_STORE);
        }
#undef L1
    } else {
        if (norm) return cudaErrorInvalidValue; /* the caller normalises multi-token inputs first */
        if (ep == EP_QKV) launch_k(mv_kernel<T, 8, false, EP_QKV>, grid, block, 0, st, a);
        else if (ep == EP_SWIGLU) launch_k(mv_kernel<T, 8, false, EP_SWIGLU>, grid, block, 0, st, a);
        else if (ep == EP_RESID) launch_k(mv_kernel<T, 8, false, EP_RESID>, grid, block, 0, st, a);
        else launch_k(mv_kernel<T, 8, false, EP_STORE>, grid, block, 0, st, a);
    }
    return cudaGetLastError();
}

#endif
