/*
 * backend.h — the table of function pointers every compute backend fills.
 *
 * The CPU backend is linked in (sx_backend_cpu()). The CUDA backend lives in a separate shared object
 * (libsextant_cuda.so) that exports `const sx_backend *sx_backend_cuda(void)`; the core library dlopens it
 * only when a model asks for SX_BACKEND_CUDA, so a CPU-only build never needs CUDA at run time.
 *
 * Contract: sx_decode validates the batch and assigns KV cells (ctx->cells[i] for row i, via the paged
 * block tables in sx_context) before calling decode(); the backend writes K/V of every row at its cell,
 * computes attention of row i over cells of positions 0..pos[i] of its sequence (ctx->seqs[seq].blocks),
 * and writes logits of output rows (ctx->out_rows[k]) into ctx->logits + k * n_vocab (host memory).
 */
#ifndef SX_BACKEND_H
#define SX_BACKEND_H

#include "sextant.h"
#include "model.h"
#include "context.h"

#define SX_BACKEND_ABI 1

typedef struct sx_backend {
    int abi_version;            /* SX_BACKEND_ABI */
    const char *name;           /* "cpu", "cuda" */
    /* Prepare weights (e.g. upload) into model->backend_state. */
    sx_status (*model_init)(sx_model *model, int device);
    void (*model_free)(sx_model *model);
    /* Allocate KV storage (ctx->n_blocks * kv_block_size cells per layer) and scratch. */
    sx_status (*context_init)(sx_context *ctx);
    void (*context_free)(sx_context *ctx);
    /* One forward step; see the contract above. */
    sx_status (*decode)(sx_context *ctx, const sx_batch *batch);
    /* Optional (NULL = not needed): copy a KV block, for prefix sharing / copy-on-write. */
    sx_status (*kv_copy_block)(sx_context *ctx, int32_t src_block, int32_t dst_block);
} sx_backend;

const sx_backend *sx_backend_cpu(void);
/* Finds the backend of a kind: CPU directly, CUDA via dlopen("libsextant_cuda.so") next to libsextant. */
sx_status sx_backend_get(sx_backend_kind kind, const sx_backend **out);

/* After a failed backend call: copies a dlopened backend's own message (sx_cuda_last_error) into ours. */
sx_status sx_backend_error(const sx_backend *be, sx_status s, const char *what);

/* Error reporting shared by all modules (thread-local sticky message). Returns s. */
sx_status sx_set_error(sx_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
