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
    int32_t *free_blocks;       /* stack of free block ids that hold no cached prefix */
    int32_t n_free;
    sx_seq *seqs;               /* [n_seq_max] */
    float *logits;              /* [n_out_max][n_vocab] */
    int32_t n_outputs;
    int32_t *cells;             /* [n_batch_max] KV cell of each batch row (filled by sx_decode) */
    int32_t *out_rows;          /* [n_out_max] batch row of each output */
    int32_t *sim_len, *sim_blocks, *sim_last; /* [n_seq_max] scratch for batch validation */
    void *backend_state;        /* KV storage and scratch, owned by the backend */
    /* (after the fields backends read, so that their offsets stay put) */
    /* Prefix cache: every full block carries the hash of its tokens chained with the previous block's hash;
     * a registered block can be attached to another sequence's table. A block with refcount 0 that is still
     * registered sits on the LRU list and counts as free: allocation evicts the oldest when the stack is empty. */
    int32_t *block_ref;         /* [n_blocks] sequences whose table holds the block */
    uint64_t *block_hash;       /* [n_blocks] chain hash, valid once the block is full */
    uint8_t *block_reg;         /* [n_blocks] 1: in the hash table (its cells match block_hash) */
    int32_t *hash_next;         /* [n_blocks] next block in the same hash bucket, -1 ends */
    int32_t *hash_head;         /* [n_buckets] first block of each bucket, -1: empty */
    int32_t n_buckets;          /* power of two */
    int32_t *lru_prev, *lru_next; /* [n_blocks] doubly linked LRU of unreferenced registered blocks */
    int32_t lru_head, lru_tail; /* head = least recently used; -1: empty */
    int32_t n_lru;
    int32_t *cell_tokens;       /* [n_blocks * block size] token id written in each cell */
};

#endif
