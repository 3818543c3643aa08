/* context.h — per-context state shared by all backends: paged KV block tables, outputs, scratch. */
#ifndef SX_CONTEXT_H
#define SX_CONTEXT_H

#include "sextant.h"
#include "model.h"

typedef struct sx_seq {
    int32_t len;        /* positions 0..len-1 are in the cache */
    int32_t n_blocks;   /* blocks in its table */
    int32_t *blocks;    /* [max_blocks_per_seq] block ids; cell of pos p = blocks[p / bs] * bs + p % bs */
} sx_seq;

struct sx_context {
    sx_model *model;
    sx_context_params params;
    int32_t n_blocks;           /* blocks in the pool */
    int32_t max_blocks_per_seq;
    int32_t *free_blocks;       /* stack of free block ids */
    int32_t n_free;
    sx_seq *seqs;               /* [n_seq_max] */
    float *logits;              /* [n_out_max][n_vocab] */
    int32_t n_outputs;
    int32_t *cells;             /* [n_batch_max] KV cell of each batch row (filled by sx_decode) */
    int32_t *out_rows;          /* [n_out_max] batch row of each output */
    int32_t *sim_len, *sim_blocks, *sim_last; /* [n_seq_max] scratch for batch validation */
    void *backend_state;        /* KV storage and scratch, owned by the backend */
};

#endif
