/* norm.cuh — RMSNorm of token rows: y[k] = x[rows[k]] / rms(x[rows[k]]) * w, written as f32, f16 or bf16. */
#ifndef SX_CUDA_NORM_CUH
#define SX_CUDA_NORM_CUH
#include "common.cuh"

/* out_type: T_F32, T_F16 or T_BF16 (the latter two feed cuBLAS). rows == NULL: row k reads x row k. */
cudaError_t sx_rmsnorm(const float *x, int x_stride, const int *rows, int n, int dim, const float *w, float eps,
                       void *y, int y_stride, int out_type, cudaStream_t st);
/* Plain conversion of n rows of dim floats to f16/bf16 (for cuBLAS inputs). */
cudaError_t sx_convert_rows(const float *x, int n, int dim, void *y, int out_type, cudaStream_t st);
#endif
