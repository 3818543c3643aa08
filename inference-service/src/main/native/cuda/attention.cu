/* attention.cu — see attention.cuh. */
#include "attention.cuh"

#define ATT_THREADS 256
#define ATT_MAX_G 64

/*
 * One block = (row t, kv head, split of `chunk` positions), 8 warps:
 *   1. scores s[g][j] = q_g · K[cell_j] for the G query heads of the kv head (K rows read once per block, L1 after)
 *   2. softmax per head, one warp per head (shuffles only)
 *   3. P·V with thread = (key subset, pair of dims): every thread accumulates all heads for its dims, then the
 *      subsets are summed in a fixed order (batch-invariant) and written, normalised or as a partial for the combine.
 */
__global__ void __launch_bounds__(ATT_THREADS) attn_kernel(const sx_attn_args a) {
    extern __shared__ __align__(16) float sm[];
    __shared__ float ml[ATT_MAX_G][2];
    const int t = blockIdx.x, kvh = blockIdx.y, split = blockIdx.z, CH = a.chunk;
    const int G = a.n_head / a.n_head_kv, hd = a.head_dim, kv_dim = a.n_head_kv * hd, q_dim = a.n_head * hd;
    float *qs = sm;                  /* (G, hd), pre-scaled */
    float *sc = qs + G * hd;         /* (G, CH) */
    float *vpart = sc + G * CH;      /* (ATT_THREADS * 16) */
    int *cells = (int *)(vpart + ATT_THREADS * 16); /* (CH) */
    const int p = a.pos[t], s = a.seq[t];
    const int start = split * CH;
    int end = start + CH; if (end > p + 1) end = p + 1;
    const int len = end - start;
    const size_t pidx = ((size_t)t * a.n_head + kvh * G) * a.n_split + split;
    if (len <= 0) { /* an empty split (short sequence in a long batch) */
        for (int i = threadIdx.x; i < G * hd; i += blockDim.x) a.part_o[(pidx + (i / hd) * a.n_split) * hd + i % hd] = 0.f;
        for (int g = threadIdx.x; g < G; g += blockDim.x) { a.part_ml[(pidx + g * a.n_split) * 2] = -INFINITY; a.part_ml[(pidx + g * a.n_split) * 2 + 1] = 0.f; }
        return;
    }
    for (int i = threadIdx.x; i < G * hd; i += blockDim.x) qs[i] = a.q[(size_t)t * q_dim + kvh * G * hd + i] * a.scale;
    const int *bt = a.block_table + (size_t)s * a.max_blocks;
    for (int j = threadIdx.x; j < len; j += blockDim.x) { int pj = start + j; cells[j] = bt[pj / a.block_size] * a.block_size + pj % a.block_size; }
    __syncthreads();
    /* 1. scores */
    for (int i = threadIdx.x; i < G * len; i += blockDim.x) {
        const int g = i / len, j = i % len;
        const uint4 *kr = (const uint4 *)(a.kc + (size_t)cells[j] * kv_dim + kvh * hd);
        const float *qg = qs + g * hd;
        float acc = 0.f;
        for (int c = 0; c < hd / 8; c++) {
            uint4 u = __ldg(kr + c);
            const __half2 *h2 = (const __half2 *)&u;
#pragma unroll
            for (int k = 0; k < 4; k++) { float2 f = __half22float2(h2[k]); acc += f.x * qg[c * 8 + 2 * k] + f.y * qg[c * 8 + 2 * k + 1]; }
        }
        sc[g * CH + j] = acc;
    }
    __syncthreads();
    /* 2. softmax per head */
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int g = warp; g < G; g += ATT_THREADS / 32) {
        float *sg = sc + g * CH;
        float m = -INFINITY;
        for (int j = lane; j < len; j += 32) m = fmaxf(m, sg[j]);
        m = warp_max(m);
        float l = 0.f;
        for (int j = lane; j < len; j += 32) { float e = expf(sg[j] - m); sg[j] = e; l += e; }
        l = warp_sum(l);
        if (lane == 0) { ml[g][0] = m; ml[g][1] = l; }
    }
    __syncthreads();
    /* 3. P·V */
    const int hd2 = hd / 2, nsub = ATT_THREADS / hd2, sub = threadIdx.x / hd2, d2 = threadIdx.x % hd2;
    for (int g0 = 0; g0 < G; g0 += 8) {
        float ax[8], ay[8];
#pragma unroll
        for (int g = 0; g < 8; g++) { ax[g] = 0.f; ay[g] = 0.f; }
        if (sub < nsub) {
            const __half2 *vb = (const __half2 *)(a.vc + kvh * hd) + d2;
#pragma unroll 4
            for (int j = sub; j < len; j += nsub) {
                float2 v = __half22float2(vb[(size_t)cells[j] * (kv_dim / 2)]);
#pragma unroll
                for (int g = 0; g < 8; g++) if (g0 + g < G) { float w = sc[(g0 + g) * CH + j]; ax[g] += w * v.x; ay[g] += w * v.y; }
            }
#pragma unroll
            for (int g = 0; g < 8; g++) { vpart[(sub * 8 + g) * hd + 2 * d2] = ax[g]; vpart[(sub * 8 + g) * hd + 2 * d2 + 1] = ay[g]; }
        }
        __syncthreads();
        for (int i = threadIdx.x; i < 8 * hd; i += blockDim.x) {
            const int g = i / hd, d = i % hd, gg = g0 + g;
            if (gg >= G) continue;
            float o = 0.f;
            for (int s2 = 0; s2 < nsub; s2++) o += vpart[(s2 * 8 + g) * hd + d];
            if (a.n_split == 1) a.out[(size_t)t * q_dim + (kvh * G + gg) * hd + d] = o / ml[gg][1];
            else {
                a.part_o[(pidx + gg * a.n_split) * hd + d] = o;
                if (d == 0) { a.part_ml[(pidx + gg * a.n_split) * 2] = ml[gg][0]; a.part_ml[(pidx + gg * a.n_split) * 2 + 1] = ml[gg][1]; }
            }
        }
        __syncthreads();
    }
}

__global__ void attn_combine_kernel(const sx_attn_args a) {
    const int t = blockIdx.x, h = blockIdx.y, hd = a.head_dim;
    const size_t base = ((size_t)t * a.n_head + h) * a.n_split;
    float M = -INFINITY;
    for (int s = 0; s < a.n_split; s++) M = fmaxf(M, a.part_ml[(base + s) * 2]);
    float L = 0.f;
    for (int s = 0; s < a.n_split; s++) { float m = a.part_ml[(base + s) * 2]; if (m > -INFINITY) L += a.part_ml[(base + s) * 2 + 1] * expf(m - M); }
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        float o = 0.f;
        for (int s = 0; s < a.n_split; s++) { float m = a.part_ml[(base + s) * 2]; if (m > -INFINITY) o += a.part_o[(base + s) * hd + d] * expf(m - M); }
        a.out[(size_t)t * a.n_head * hd + h * hd + d] = o / L;
    }
}

cudaError_t sx_attention(const sx_attn_args &a, cudaStream_t st) {
    if (a.n <= 0) return cudaSuccess;
    int G = a.n_head / a.n_head_kv;
    if (G > ATT_MAX_G || a.head_dim > 2 * ATT_THREADS || a.head_dim % 8 || a.chunk <= 0) return cudaErrorInvalidValue;
    size_t smem = (size_t)(G * a.head_dim + G * a.chunk + ATT_THREADS * 16) * sizeof(float) + a.chunk * sizeof(int);
    static size_t attr = 48 * 1024;
    if (smem > attr) { cudaFuncSetAttribute(attn_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem); attr = smem; }
    dim3 grid(a.n, a.n_head_kv, a.n_split);
    attn_kernel<<<grid, ATT_THREADS, smem, st>>>(a);
    if (a.n_split > 1) attn_combine_kernel<<<dim3(a.n, a.n_head), a.head_dim < 128 ? a.head_dim : 128, 0, st>>>(a);
    return cudaGetLastError();
}
