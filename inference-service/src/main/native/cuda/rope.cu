/* rope.cu — see rope.cuh. One thread per (token, pair). */
#include "rope.cuh"

__global__ void rope_kv_kernel(float *qkv, int q_dim, int kv_dim, int hd, int neox, const float *inv_freq, const float *bias,
                               const int *pos, const int *cells, float *q, __half *kc, __half *vc) {
    int t = blockIdx.y, width = q_dim + 2 * kv_dim, p = blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= width / 2) return;
    int ra, rb;
    if (neox) { int h2 = hd / 2; ra = (p / h2) * hd + p % h2; rb = ra + h2; } else { ra = 2 * p; rb = ra + 1; }
    float *row = qkv + (size_t)t * width;
    float va = row[ra], vb = row[rb];
    if (bias) { va += bias[ra]; vb += bias[rb]; }
    if (ra < q_dim + kv_dim) {
        int d = ra % hd, i = neox ? d : d / 2;
        float s, c; sincosf((float)pos[t] * inv_freq[i], &s, &c);
        float r0 = va * c - vb * s, r1 = va * s + vb * c; va = r0; vb = r1;
    }
    if (ra < q_dim) { q[(size_t)t * q_dim + ra] = va; q[(size_t)t * q_dim + rb] = vb; }
    else if (ra < q_dim + kv_dim) { __half *k = kc + (size_t)cells[t] * kv_dim - q_dim; k[ra] = __float2half(va); k[rb] = __float2half(vb); }
    else { __half *v = vc + (size_t)cells[t] * kv_dim - q_dim - kv_dim; v[ra] = __float2half(va); v[rb] = __float2half(vb); }
}

cudaError_t sx_rope_kv(float *qkv, int n, int q_dim, int kv_dim, int head_dim, int neox, const float *inv_freq,
                       const float *bias, const int *pos, const int *cells, float *q, __half *kc, __half *vc, cudaStream_t st) {
    if (n <= 0) return cudaSuccess;
    int pairs = (q_dim + 2 * kv_dim) / 2;
    dim3 grid((pairs + 127) / 128, n);
    rope_kv_kernel<<<grid, 128, 0, st>>>(qkv, q_dim, kv_dim, head_dim, neox, inv_freq, bias, pos, cells, q, kc, vc);
    return cudaGetLastError();
}
