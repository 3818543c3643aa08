/*
 * matvec.cuh — quantized / F16 / BF16 / F32 matrix × (few) vectors with the weights dequantized in registers.
 *
 * y[t][r] = sum_k W[r][k] * x[t][k] for up to 8 tokens per launch (host loops over tiles of 8). One warp (or KS
 * warps splitting K) computes a PAIR of rows so that the epilogue can fuse what follows the projection:
 *   EP_STORE  y[t][r] = v                       (logits, plain projections)
 *   EP_RESID  y[t][r] += v                      (attention output and FFN down: the residual add)
 *   EP_QKV    + bias, RoPE on the (q,k) pair, q → y, k/v → the paged f16 KV cache at cells[t]
 *   EP_SWIGLU rows (p, p + n_ff) of the stacked gate|up matrix → y[t][p] = silu(gate) * up
 * With NORM (single token only) the block first computes RMSNorm(x) * norm_w into shared memory.
 * Reduction order is fixed per row (lane-strided partial sums, then a fixed tree): batch-invariant.
 */
#ifndef SX_CUDA_MATVEC_CUH
#define SX_CUDA_MATVEC_CUH

#include "common.cuh"

enum { EP_STORE = 0, EP_RESID = 1, EP_QKV = 2, EP_SWIGLU = 3 };

struct sx_mv_args {
    const uint8_t *w;      /* (rows, K) in dtype `type`, rows of row_bytes */
    size_t row_bytes;
    int type, K, rows, n_pairs;
    const float *x;        /* token t reads x + (x_rows ? x_rows[t] : t) * x_stride */
    int x_stride;
    const int *x_rows;
    int n_tok;             /* valid tokens in this tile (<= 8) */
    const float *norm_w;   /* NORM: (K) */
    float eps;
    float *y;              /* token t writes y + t * y_stride */
    int y_stride;
    /* EP_QKV */
    const float *bias;     /* (q_dim + 2 kv_dim) or NULL */
    int q_dim, kv_dim, head_dim, rope_neox;
    const float *inv_freq; /* (head_dim / 2) */
    const int *pos, *cells;
    __half *kc, *vc;       /* this layer's caches: (cells, kv_dim) */
    int ks;                /* warps splitting K per row pair: 1, 2, 4 or 8 */
    int prefetch;          /* prefetch the next row pair's weights into L2 (and the first while x is staged) */
    int persistent;        /* single-token launches: grid = resident blocks, warps stride over row pairs */
    int pdl;               /* launch as a programmatic dependent of the previous kernel (sm_90): the block
                              prefetches its weight rows into L2 while the previous kernel finishes */
};

/* Launches one tile (<= 8 tokens). Returns cudaSuccess or the launch error. */
cudaError_t sx_mv_launch(const sx_mv_args &a, int ep, bool norm, cudaStream_t st);

/* Pairs of rows an epilogue needs for a matrix of `rows` rows. */
static inline int sx_mv_pairs(int ep, int rows) { return (ep == EP_STORE || ep == EP_RESID) ? (rows + 1) / 2 : rows / 2; }

#endif
