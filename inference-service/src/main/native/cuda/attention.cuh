/*
 * attention.cuh — causal attention of each batch row over its sequence's paged f16 KV cache (GQA).
 *
 * Row t (sequence seq[t], position pos[t]) attends to positions 0..pos[t]; position j of sequence s lives in cell
 * block_table[s * max_blocks + j / block_size] * block_size + j % block_size. One block per (row, kv head, split)
 * handles the n_head / n_head_kv query heads that share the kv head (K/V read once for the group). Long contexts
 * are cut into splits of `chunk` positions computed in parallel and merged by a log-sum-exp combine
 * (flash-decoding); a single split writes the output directly. Works for decode and prefill rows alike.
 */
#ifndef SX_CUDA_ATTENTION_CUH
#define SX_CUDA_ATTENTION_CUH
#include "common.cuh"

/* Positions per split: short for decode rows (many small blocks keep the GPU busy at batch 1), long for prefill. */
#define SX_ATTN_CHUNK_DECODE 64
#define SX_ATTN_CHUNK_PREFILL 256
static inline int sx_attn_chunk(int n_rows) { return n_rows <= 64 ? SX_ATTN_CHUNK_DECODE : SX_ATTN_CHUNK_PREFILL; }

struct sx_attn_args {
    const float *q;        /* (n, n_head * head_dim) */
    const __half *kc, *vc; /* (cells, n_head_kv * head_dim) of this layer */
    const int *pos, *seq, *block_table;
    int max_blocks, block_size;
    int n, n_head, n_head_kv, head_dim;
    float scale;
    int chunk;             /* positions per split: sx_attn_chunk(n) */
    int n_split;           /* ceil((max pos + 1) / chunk) or more */
    float *part_o;         /* (n, n_head, n_split, head_dim) when n_split > 1 */
    float *part_ml;        /* (n, n_head, n_split, 2) */
    float *out;            /* (n, n_head * head_dim) */
};

cudaError_t sx_attention(const sx_attn_args &a, cudaStream_t st);
#endif
