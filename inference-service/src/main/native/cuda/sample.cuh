/*
 * sample.cuh — token choice on the device, one block per output row, with a per-row allowed-token bitmask
 * (bit t of mask[t / 32]; NULL = all allowed) as produced by the constrained-generation matcher.
 *
 * Greedy: argmax over allowed tokens, lowest id on ties. Sampling, in this order: mask → temperature → top-k → top-p
 * → min-p → draw. Top-k and top-p are exact thresholds found by bisection on the order-preserving bit pattern of the
 * logits (no sort); the draw walks the kept tokens in id order with u = splitmix64(seed) in [0, 1).
 */
#ifndef SX_CUDA_SAMPLE_CUH
#define SX_CUDA_SAMPLE_CUH
#include "common.cuh"

typedef struct sx_sample_params {
    float temperature;   /* <= 0: greedy */
    int32_t top_k;       /* <= 0: off */
    float top_p;         /* >= 1: off */
    float min_p;         /* <= 0: off */
    uint64_t seed;       /* per row and step */
} sx_sample_params;

/* logits (n_rows, n_vocab); masks (n_rows, (n_vocab + 31) / 32) or NULL; params (n_rows) or NULL (= greedy). */
cudaError_t sx_sample_rows(const float *logits, int n_rows, int n_vocab, const uint32_t *masks,
                           const sx_sample_params *params, int32_t *out, cudaStream_t st);
#endif
