/* swiglu.cu — see swiglu.cuh. */
#include "swiglu.cuh"

__global__ void swiglu_kernel(const float *gu, int n_ff, size_t n, void *h, int ldh, int out_type) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        size_t t = i / n_ff, j = i % n_ff;
        float g = gu[t * 2 * n_ff + j], u = gu[t * 2 * n_ff + n_ff + j];
        float v = g / (1.f + expf(-g)) * u;
        size_t o = t * ldh + j;
        if (out_type == T_F32) ((float *)h)[o] = v;
        else if (out_type == T_F16) ((__half *)h)[o] = __float2half(v);
        else ((__nv_bfloat16 *)h)[o] = __float2bfloat16(v);
    }
}

cudaError_t sx_swiglu(const float *gu, int n, int n_ff, void *h, int ldh, int out_type, cudaStream_t st) {
    size_t tot = (size_t)n * n_ff;
    if (!tot) return cudaSuccess;
    int blocks = (int)((tot + 255) / 256); if (blocks > 4096) blocks = 4096;
    swiglu_kernel<<<blocks, 256, 0, st>>>(gu, n_ff, tot, h, ldh, out_type);
    return cudaGetLastError();
}
