/* get_rows.cuh — token embedding lookup: x[t] = dequantize(E[tokens[t]]) for any supported dtype. */
#ifndef SX_CUDA_GET_ROWS_CUH
#define SX_CUDA_GET_ROWS_CUH
#include "common.cuh"
cudaError_t sx_get_rows(const uint8_t *emb, int type, size_t row_bytes, int dim, const int *tokens, int n, float *x, cudaStream_t st);
#endif
