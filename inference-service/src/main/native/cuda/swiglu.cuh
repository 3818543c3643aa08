/* swiglu.cuh — h = silu(gate) * up from a stacked (n, 2*n_ff) gate|up buffer, as f32, f16 or bf16. */
#ifndef SX_CUDA_SWIGLU_CUH
#define SX_CUDA_SWIGLU_CUH
#include "common.cuh"
/* h row t at h + t * ldh (elements). */
cudaError_t sx_swiglu(const float *gu, int n, int n_ff, void *h, int ldh, int out_type, cudaStream_t st);
#endif
