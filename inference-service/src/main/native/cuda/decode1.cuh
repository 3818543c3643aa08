/*
 * decode1.cuh — the whole transformer stack of a single-token decode step in ONE persistent kernel.
 *
 * At batch 1 a step is ~80 small launches (5 per layer) whose ramp-up, tail and launch gaps cost more than the
 * weights take to stream. Here one cooperative grid (all blocks resident) walks every layer's phases
 *   QKV(+RMSNorm, bias, RoPE, K/V → paged f16 cache) | attention | O(+residual) | gate|up(+RMSNorm, SwiGLU) | down(+residual)
 * separated by grid-wide barriers. Weights do not depend on activations, so before each barrier every warp pulls
 * the first rows it will read in the next phase into L2: memory keeps streaming while the grid synchronises.
 * One warp computes a pair of rows (so RoPE and SwiGLU fuse into the epilogue), reading the block's staged
 * (normalised) input from shared memory; activations written by other SMs are read through L2 (ld.cg).
 * Attention: one warp per (query head, 64-position split); the last warp to finish a head's splits merges them by
 * log-sum-exp (flash-decoding without an extra launch).
 * The embedding lookup runs before and the output projection (lm_head) after, as ordinary launches.
 * Reduction orders are fixed (lane-strided chunks, a fixed shuffle tree, splits merged in order): deterministic.
 */
#ifndef SX_CUDA_DECODE1_CUH
#define SX_CUDA_DECODE1_CUH
#include "common.cuh"

/* Attention positions per work item (one warp, two per lane); part_o/part_ml hold ceil(max positions / this). */
#define SX_D1_CHUNK 64

struct sx_d1_layer {
    const uint8_t *qkv, *o, *gu, *down;  /* stacked q|k|v (q_dim + 2 kv_dim rows), (dim rows, K = q_dim), gate|up, (dim, n_ff) */
    const float *attn_norm, *ffn_norm;   /* (dim) */
    const float *bqkv;                   /* (q_dim + 2 kv_dim) or NULL */
};

struct sx_d1_args {
    const sx_d1_layer *layers;           /* device array of n_layer */
    int n_layer, type;                   /* every layer matrix in dtype `type` */
    size_t rb_dim, rb_q, rb_ff;          /* bytes of a row of dim / q_dim / n_ff elements */
    int dim, n_ff, n_head, n_head_kv, head_dim, q_dim, kv_dim, rope_neox;
    float eps, scale;
    const float *inv_freq;               /* (head_dim / 2) */
    __half *kc, *vc;                     /* layer 0's caches; layer l at + l * layer_cells */
    size_t layer_cells;
    const int *pos, *seq, *cell, *block_table; /* device scalars of the token (pos[0], ...) and the block tables */
    int max_blocks, block_size;
    float *x;                            /* (dim): in: the embedded token; out: the residual stream after the last layer */
    float *q, *att, *h;                  /* scratch: (q_dim), (q_dim), (n_ff) */
    float *part_o, *part_ml;             /* attention splits: (n_head, max_split, head_dim), (n_head, max_split, 2) */
    int max_split;
    unsigned *bar;                       /* (2 + n_head) zeroed words: barrier count, generation, per-head split counts */
};

/* Whether the kernel handles matrices of this dtype (float types, Q8_0, Q4_0). */
int sx_decode1_supported(int type);
/* Words of device memory `bar` needs (zeroed once; the kernel leaves them zeroed). */
static inline int sx_decode1_bar_words(int n_head) { return 2 + n_head; }
/* Launches the step (cooperative launch: every block resident). cudaErrorInvalidValue when unsupported. */
cudaError_t sx_decode1(const sx_d1_args &a, cudaStream_t st);
/* SEXTANT_CUDA_D1_PROF=1: time per phase (work, barrier wait) of the launches so far on this thread, as text. */
int sx_decode1_profile(char *buf, int cap);
/* GPU check: µs per grid-wide barrier across one 512-thread block per SM. */
float sx_decode1_barrier_bench(int iters);
#endif
