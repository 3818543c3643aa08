/* get_rows.cu — see get_rows.cuh. One block per token, one thread per chunk. */
#include "get_rows.cuh"

template <int T>
__global__ void get_rows_kernel(const uint8_t *emb, size_t row_bytes, int dim, const int *tokens, float *x) {
    constexpr int CH = Deq<T>::CH;
    const uint8_t *row = emb + (size_t)tokens[blockIdx.x] * row_bytes;
    float *out = x + (size_t)blockIdx.x * dim;
    for (int c = threadIdx.x; c < dim / CH; c += blockDim.x) {
        float w[CH]; Deq<T>::load(row, c, w);
#pragma unroll
        for (int i = 0; i < CH; i++) out[c * CH + i] = w[i];
    }
    for (int i = dim / CH * CH + threadIdx.x; i < dim; i += blockDim.x) out[i] = elem_at<T>(row, i);
}

cudaError_t sx_get_rows(const uint8_t *emb, int type, size_t row_bytes, int dim, const int *tokens, int n, float *x, cudaStream_t st) {
    if (n <= 0) return cudaSuccess;
    SX_DISPATCH_TYPE(type, (get_rows_kernel<TT><<<n, 128, 0, st>>>(emb, row_bytes, dim, tokens, x)));
    return cudaGetLastError();
}
