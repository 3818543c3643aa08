/* rope.cuh — RoPE on a projected q|k|v row (+ bias), q kept in place, k and v stored into the paged f16 KV cache.
 * Used where the projection is not fused with it (cuBLAS prefill, mixed-dtype q/k/v). Pairs (2i, 2i+1) for
 * GGUF llama ("norm"), (i, i + d/2) for NEOX (qwen2). Frequencies inv_freq[i] already hold llama3/linear scaling. */
#ifndef SX_CUDA_ROPE_CUH
#define SX_CUDA_ROPE_CUH
#include "common.cuh"

/* qkv: (n, q_dim + 2 kv_dim) f32, rotated in place; q (n, q_dim) receives the rotated queries. */
cudaError_t sx_rope_kv(float *qkv, int n, int q_dim, int kv_dim, int head_dim, int neox, const float *inv_freq,
                       const float *bias, const int *pos, const int *cells, float *q, __half *kc, __half *vc, cudaStream_t st);
#endif
