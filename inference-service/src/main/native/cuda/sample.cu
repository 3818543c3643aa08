/* sample.cu — see sample.cuh. */
#include "sample.cuh"

#define SMP_THREADS 1024

__device__ __forceinline__ uint32_t okey(float f) { uint32_t b = __float_as_uint(f); return (b & 0x80000000u) ? ~b : (b | 0x80000000u); }
__device__ __forceinline__ bool allowed(const uint32_t *mask, int i) { return !mask || ((mask[i >> 5] >> (i & 31)) & 1u); }

__device__ __forceinline__ float block_sum_d(float v, float *red) { float r = block_sum(v, red); __syncthreads(); return r; }

__global__ void __launch_bounds__(SMP_THREADS) sample_kernel(const float *logits, int n, const uint32_t *masks,
                                                             const sx_sample_params *params, int32_t *out) {
    __shared__ float red[32];
    __shared__ float fsh[SMP_THREADS];
    __shared__ unsigned long long best_sh;
    const int r = blockIdx.x;
    const float *l = logits + (size_t)r * n;
    const uint32_t *mask = masks ? masks + (size_t)r * ((n + 31) / 32) : NULL;
    sx_sample_params sp = params ? params[r] : sx_sample_params{0.f, 0, 1.f, 0.f, 0};

    /* argmax (value, then lowest id): pack (key, ~id) into 64 bits and take the max */
    unsigned long long best = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        if (allowed(mask, i)) { unsigned long long k = ((unsigned long long)okey(l[i]) << 32) | (uint32_t)~(uint32_t)i; if (k > best) best = k; }
    if (threadIdx.x == 0) best_sh = 0;
    __syncthreads();
    atomicMax(&best_sh, best);
    __syncthreads();
    best = best_sh;
    if (best == 0) { if (threadIdx.x == 0) out[r] = -1; return; } /* nothing allowed */
    const int amax = (int)~(uint32_t)(best & 0xffffffffu);
    if (sp.temperature <= 0.f) { if (threadIdx.x == 0) out[r] = amax; return; }
    const float invt = 1.f / sp.temperature, zmax = l[amax] * invt;

    /* top-k: largest key K with count(key >= K) >= k */
    uint32_t kth = 0;
    if (sp.top_k > 0 && sp.top_k < n) {
        for (int bit = 31; bit >= 0; bit--) {
            uint32_t cand = kth | (1u << bit);
            float c = 0.f;
            for (int i = threadIdx.x; i < n; i += blockDim.x) if (allowed(mask, i) && okey(l[i]) >= cand) c += 1.f;
            c = block_sum_d(c, red);
            if (c >= (float)sp.top_k) kth = cand;
        }
    }
    /* top-p: largest key T with mass(key >= T) >= p * mass(all kept) */
    uint32_t pth = kth;
    if (sp.top_p < 1.f) {
        uint32_t res = 0;
        float tot = 0.f;
        for (int i = threadIdx.x; i < n; i += blockDim.x) if (allowed(mask, i) && okey(l[i]) >= kth) tot += expf(l[i] * invt - zmax);
        tot = block_sum_d(tot, red);
        for (int bit = 31; bit >= 0; bit--) {
            uint32_t cand = res | (1u << bit), eff = cand > kth ? cand : kth;
            float s = 0.f;
            for (int i = threadIdx.x; i < n; i += blockDim.x) if (allowed(mask, i) && okey(l[i]) >= eff) s += expf(l[i] * invt - zmax);
            s = block_sum_d(s, red);
            if (s >= sp.top_p * tot) res = cand;
        }
        pth = res > kth ? res : kth;
    }
    /* min-p relative to the most likely token (probability ratio = exp(z - zmax)) */
    const float minp = sp.min_p > 0.f ? sp.min_p : 0.f;
    /* draw: contiguous id ranges per thread, exclusive scan of the range sums, then the owner walks its range */
    const int per = (n + blockDim.x - 1) / blockDim.x, lo = threadIdx.x * per, hi = min(n, lo + per);
    float mine = 0.f;
    for (int i = lo; i < hi; i++) {
        if (!allowed(mask, i) || okey(l[i]) < pth) continue;
        float e = expf(l[i] * invt - zmax);
        if (e >= minp) mine += e;
    }
    fsh[threadIdx.x] = mine;
    __syncthreads();
    if (threadIdx.x == 0) { /* sequential scan in id order: reproducible */
        float acc = 0.f;
        for (int i = 0; i < blockDim.x; i++) { float v = fsh[i]; fsh[i] = acc; acc += v; }
        red[0] = acc;
    }
    __syncthreads();
    uint64_t z = sp.seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull; z = (z ^ (z >> 27)) * 0x94D049BB133111EBull; z ^= z >> 31;
    const float u = (float)(z >> 40) * (1.f / 16777216.f) * red[0];
    float acc = fsh[threadIdx.x];
    const float nxt = threadIdx.x + 1 < blockDim.x ? fsh[threadIdx.x + 1] : red[0];
    if (u >= acc && (u < nxt || threadIdx.x + 1 == blockDim.x) && mine > 0.f) {
        int pick = -1;
        for (int i = lo; i < hi; i++) {
            if (!allowed(mask, i) || okey(l[i]) < pth) continue;
            float e = expf(l[i] * invt - zmax);
            if (e < minp) continue;
            pick = i; acc += e;
            if (u < acc) break;
        }
        out[r] = pick;
    }
}

cudaError_t sx_sample_rows(const float *logits, int n_rows, int n_vocab, const uint32_t *masks,
                           const sx_sample_params *params, int32_t *out, cudaStream_t st) {
    if (n_rows <= 0) return cudaSuccess;
    sample_kernel<<<n_rows, SMP_THREADS, 0, st>>>(logits, n_vocab, masks, params, out);
    return cudaGetLastError();
}
