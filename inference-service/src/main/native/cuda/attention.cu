/* attention.cu — see attention.cuh. */
#include "attention.cuh"

#define ATT_THREADS 256
#define ATT_MAX_G 64

__global__ void __launch_bounds__(ATT_THREADS) attn_kernel(const sx_attn_args a) {
    extern __shared__ __align__(16) float sm[];
    __shared__ float red[32];
    __shared__ int cells[SX_ATTN_CHUNK];
    __shared__ float ml[ATT_MAX_G][2];
    float *vpart;              /* (nsub, 8, hd): per key-subset partial outputs */
    const int t = blockIdx.x, kvh = blockIdx.y, split = blockIdx.z;
    const int G = a.n_head / a.n_head_kv, hd = a.head_dim, kv_dim = a.n_head_kv * hd, q_dim = a.n_head * hd;
    float *qs = sm;            /* (G, hd) */
    float *sc = sm + G * hd;   /* (G, CHUNK) */
    vpart = sc + G * SX_ATTN_CHUNK;
    const int p = a.pos[t], s = a.seq[t];
    const int start = split * SX_ATTN_CHUNK;
    int end = start + SX_ATTN_CHUNK; if (end > p + 1) end = p + 1;
    const int len = end - start;
    for (int i = threadIdx.x; i < G * hd; i += blockDim.x) qs[i] = a.q[(size_t)t * q_dim + kvh * G * hd + i];
    const size_t pidx = ((size_t)t * a.n_head + kvh * G) * a.n_split + split;
    if (len <= 0) { /* an empty split (short sequence in a long batch) */
        if (a.n_split > 1) for (int g = 0; g < G; g++) {
            if (threadIdx.x == 0) { a.part_ml[(pidx + g * a.n_split) * 2] = -INFINITY; a.part_ml[(pidx + g * a.n_split) * 2 + 1] = 0.f; }
            for (int d = threadIdx.x; d < hd; d += blockDim.x) a.part_o[(pidx + g * a.n_split) * hd + d] = 0.f;
        }
        return;
    }
    __syncthreads();
    const int *bt = a.block_table + (size_t)s * a.max_blocks;
    for (int j = threadIdx.x; j < len; j += blockDim.x) {
        int pj = start + j;
        int cell = bt[pj / a.block_size] * a.block_size + pj % a.block_size;
        cells[j] = cell;
        const uint4 *kr = (const uint4 *)(a.kc + (size_t)cell * kv_dim + kvh * hd);
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int c = 0; c < hd / 8; c++) {
            uint4 u = kr[c];
            const __half2 *h = (const __half2 *)&u;
            float kf[8];
#pragma unroll
            for (int i = 0; i < 4; i++) { float2 f = __half22float2(h[i]); kf[2 * i] = f.x; kf[2 * i + 1] = f.y; }
#pragma unroll
            for (int g = 0; g < 8; g++) {
                if (g < G) {
                    const float *qg = qs + g * hd + c * 8;
#pragma unroll
                    for (int i = 0; i < 8; i++) acc[g] += kf[i] * qg[i];
                }
            }
        }
#pragma unroll
        for (int g = 0; g < 8; g++) if (g < G) sc[g * SX_ATTN_CHUNK + j] = acc[g] * a.scale;
        for (int g = 8; g < G; g++) { /* groups wider than 8 heads: slow path */
            float d = 0.f;
            for (int i = 0; i < hd; i++) d += __half2float(a.kc[(size_t)cell * kv_dim + kvh * hd + i]) * qs[g * hd + i];
            sc[g * SX_ATTN_CHUNK + j] = d * a.scale;
        }
    }
    __syncthreads();
    /* softmax per head of the group (scores stay in shared memory) */
    for (int g = 0; g < G; g++) {
        float *sg = sc + g * SX_ATTN_CHUNK;
        float m = -INFINITY;
        for (int j = threadIdx.x; j < len; j += blockDim.x) m = fmaxf(m, sg[j]);
        m = block_max(m, red);
        float l = 0.f;
        __syncthreads();
        for (int j = threadIdx.x; j < len; j += blockDim.x) { float e = expf(sg[j] - m); sg[j] = e; l += e; }
        l = block_sum(l, red);
        if (threadIdx.x == 0) { ml[g][0] = m; ml[g][1] = l; }
        __syncthreads();
    }
    /* P·V: thread = (key subset, dim); every thread accumulates all heads of the group for its dim */
    const int nsub = blockDim.x / hd, sub = threadIdx.x / hd, d = threadIdx.x % hd;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (sub < nsub) {
        const __half *vb = a.vc + kvh * hd + d;
#pragma unroll 4
        for (int j = sub; j < len; j += nsub) {
            float v = __half2float(vb[(size_t)cells[j] * kv_dim]);
#pragma unroll
            for (int g = 0; g < 8; g++) if (g < G) acc[g] += sc[g * SX_ATTN_CHUNK + j] * v;
        }
    }
    for (int g0 = 0; g0 < G; g0 += 8) { /* reduce the key subsets in a fixed order, 8 heads at a time */
        if (g0 > 0) { /* groups wider than 8 heads: recompute the next 8 (slow path) */
            for (int g = 0; g < 8; g++) acc[g] = 0.f;
            if (sub < nsub) for (int j = sub; j < len; j += nsub) {
                float v = __half2float(a.vc[(size_t)cells[j] * kv_dim + kvh * hd + d]);
                for (int g = 0; g < 8 && g0 + g < G; g++) acc[g] += sc[(g0 + g) * SX_ATTN_CHUNK + j] * v;
            }
        }
        __syncthreads();
        if (sub < nsub) for (int g = 0; g < 8 && g0 + g < G; g++) vpart[(sub * 8 + g) * hd + d] = acc[g];
        __syncthreads();
        for (int i = threadIdx.x; i < 8 * hd; i += blockDim.x) {
            int g = i / hd, dd = i % hd;
            if (g0 + g >= G) continue;
            float o = 0.f;
            for (int s2 = 0; s2 < nsub; s2++) o += vpart[(s2 * 8 + g) * hd + dd];
            const int gg = g0 + g;
            if (a.n_split == 1) a.out[(size_t)t * q_dim + (kvh * G + gg) * hd + dd] = o / ml[gg][1];
            else {
                a.part_o[(pidx + gg * a.n_split) * hd + dd] = o;
                if (dd == 0) { a.part_ml[(pidx + gg * a.n_split) * 2] = ml[gg][0]; a.part_ml[(pidx + gg * a.n_split) * 2 + 1] = ml[gg][1]; }
            }
        }
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
    if (G > ATT_MAX_G || a.head_dim > ATT_THREADS) return cudaErrorInvalidValue;
    size_t smem = (size_t)(G * a.head_dim + G * SX_ATTN_CHUNK + ATT_THREADS * 8) * sizeof(float);
    static bool attr_set = false;
    if (smem > 48 * 1024 && !attr_set) { cudaFuncSetAttribute(attn_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024); attr_set = true; }
    dim3 grid(a.n, a.n_head_kv, a.n_split);
    attn_kernel<<<grid, ATT_THREADS, smem, st>>>(a);
    if (a.n_split > 1) attn_combine_kernel<<<dim3(a.n, a.n_head), 64, 0, st>>>(a);
    return cudaGetLastError();
}
