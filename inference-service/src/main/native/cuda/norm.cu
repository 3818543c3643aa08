/* norm.cu — RMSNorm (one block per row, fixed-order reduction) and f32 → f16/bf16 row conversion. */
#include "norm.cuh"

__device__ __forceinline__ void store_as(void *y, size_t i, float v, int type) {
    if (type == T_F32) ((float *)y)[i] = v;
    else if (type == T_F16) ((__half *)y)[i] = __float2half(v);
    else ((__nv_bfloat16 *)y)[i] = __float2bfloat16(v);
}

__global__ void rmsnorm_kernel(const float *x, int x_stride, const int *rows, int dim, const float *w, float eps,
                               void *y, int y_stride, int out_type) {
    __shared__ float red[32];
    int k = blockIdx.x;
    const float *xr = x + (size_t)(rows ? rows[k] : k) * x_stride;
    float ss = 0.f;
    if (dim % 4 == 0 && dim <= 8 * 4 * 256) { /* all loads in flight at once */
        float4 v[8];
#pragma unroll
        for (int k = 0; k < 8; k++) { int i = (threadIdx.x + k * 256) * 4; v[k] = i < dim ? *(const float4 *)(xr + i) : make_float4(0, 0, 0, 0); }
#pragma unroll
        for (int k = 0; k < 8; k++) ss += v[k].x * v[k].x + v[k].y * v[k].y + v[k].z * v[k].z + v[k].w * v[k].w;
    } else for (int i = threadIdx.x; i < dim; i += blockDim.x) ss += xr[i] * xr[i];
    ss = block_sum(ss, red);
    float rs = rsqrtf(ss / (float)dim + eps);
    for (int i = threadIdx.x; i < dim; i += blockDim.x) store_as(y, (size_t)k * y_stride + i, xr[i] * rs * w[i], out_type);
}

__global__ void convert_kernel(const float *x, size_t n, void *y, int out_type) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) store_as(y, i, x[i], out_type);
}

cudaError_t sx_rmsnorm(const float *x, int x_stride, const int *rows, int n, int dim, const float *w, float eps,
                       void *y, int y_stride, int out_type, cudaStream_t st) {
    if (n <= 0) return cudaSuccess;
    rmsnorm_kernel<<<n, 256, 0, st>>>(x, x_stride, rows, dim, w, eps, y, y_stride, out_type);
    return cudaGetLastError();
}

cudaError_t sx_convert_rows(const float *x, int n, int dim, void *y, int out_type, cudaStream_t st) {
    size_t tot = (size_t)n * dim;
    if (!tot) return cudaSuccess;
    int blocks = (int)((tot + 255) / 256); if (blocks > 4096) blocks = 4096;
    convert_kernel<<<blocks, 256, 0, st>>>(x, tot, y, out_type);
    return cudaGetLastError();
}
