/*
 * sextant.h — public C API of Sextant's inference engine (libsextant).
 *
 * Opaque handles, init/free pairs, status codes plus a sticky, thread-local last-error string.
 *
 *   sx_model *m; sx_context *c;
 *   sx_model_params mp = sx_model_default_params();
 *   if (sx_model_load("stories260K.gguf", &mp, &m) != SX_OK) puts(sx_last_error());
 *   sx_context_params cp = sx_context_default_params();
 *   sx_context_init(m, &cp, &c);
 *   int32_t tok[1] = {1}, pos[1] = {0}, seq[1] = {0}; int8_t out[1] = {1}; int32_t next[1];
 *   sx_batch b = { 1, tok, pos, seq, out };
 *   sx_decode(c, &b, next);            // greedy id of row 0 in next[0]; logits in sx_logits(c)
 *   sx_context_free(c); sx_model_free(m);
 */
#ifndef SEXTANT_H
#define SEXTANT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SX_API __attribute__((visibility("default")))
#else
#define SX_API
#endif

#define SX_API_VERSION 1

typedef enum sx_status {
    SX_OK = 0,
    SX_ERR_IO = 1,          /* file missing, unreadable, mmap failed */
    SX_ERR_FORMAT = 2,      /* bad magic, truncated file, inconsistent metadata, shape mismatch */
    SX_ERR_UNSUPPORTED = 3, /* unknown dtype or architecture, unsupported version */
    SX_ERR_ARGUMENT = 4,    /* caller error: bad token id, position, sequence id, null pointer */
    SX_ERR_NO_MEMORY = 5,
    SX_ERR_CAPACITY = 6,    /* KV cache blocks or batch capacity exhausted */
    SX_ERR_BACKEND = 7,     /* backend unavailable or failed (e.g. CUDA) */
    SX_ERR_INTERNAL = 8
} sx_status;

/* Tensor element types; values equal GGML's type ids so GGUF files map directly. */
typedef enum sx_dtype {
    SX_F32 = 0, SX_F16 = 1, SX_Q4_0 = 2, SX_Q8_0 = 8, SX_Q4_K = 12, SX_Q6_K = 14, SX_BF16 = 30
} sx_dtype;

typedef enum sx_backend_kind { SX_BACKEND_CPU = 0, SX_BACKEND_CUDA = 1 } sx_backend_kind;

typedef struct sx_model sx_model;     /* weights (mapped file) + hyper-parameters; shareable */
typedef struct sx_context sx_context; /* KV cache, scratch, thread pool; one stepping thread at a time */

/* The last error of the calling thread: "<file>: <reason>" for load errors. Never NULL. */
SX_API const char *sx_last_error(void);
SX_API const char *sx_status_name(sx_status s);
/* Comma-separated CPU features the library detected and uses, e.g. "avx2,fma,f16c". */
SX_API const char *sx_cpu_features(void);

/* ---- model ---- */

typedef struct sx_model_params {
    sx_backend_kind backend; /* SX_BACKEND_CPU by default */
    int device;              /* device ordinal for GPU backends */
} sx_model_params;

typedef struct sx_model_info {
    char arch[32];         /* "llama", "mistral", "qwen2" */
    int32_t n_vocab;
    int32_t n_embd;        /* model dimension */
    int32_t n_layer;
    int32_t n_head;
    int32_t n_head_kv;
    int32_t head_dim;
    int32_t n_ff;
    int32_t n_ctx_train;
    float rope_theta;
    float norm_eps;
    int64_t n_params;
    int64_t weight_bytes;  /* bytes of tensor data */
} sx_model_info;

SX_API sx_model_params sx_model_default_params(void);
/* Loads a GGUF file, or a Hugging Face directory (config.json + *.safetensors). Weights stay mapped. */
SX_API sx_status sx_model_load(const char *path, const sx_model_params *params, sx_model **out);
SX_API void sx_model_free(sx_model *model);
SX_API sx_status sx_model_get_info(const sx_model *model, sx_model_info *out);

/* ---- context ---- */

typedef struct sx_context_params {
    int32_t n_threads;     /* <= 0: number of online cores */
    int32_t n_seq_max;     /* sequence ids are 0 .. n_seq_max-1 */
    int32_t n_ctx;         /* total KV cells (tokens) over all sequences; rounded up to whole blocks */
    int32_t kv_block_size; /* tokens per KV block (paged cache) */
    int32_t n_batch_max;   /* most tokens per sx_decode call */
    int32_t n_out_max;     /* most output rows (logits) per sx_decode call; <= 0: n_batch_max */
    int32_t kv_type;       /* element type of the CPU backend's KV cache: SX_F16 (default, half the memory and
                              bandwidth, as llama.cpp and vLLM keep it), SX_F32, or SX_Q8_0 (blocks of 32 with an
                              fp16 scale, as llama.cpp's q8_0 cache: 1.06 bytes per element, needs head_dim % 32 == 0;
                              attention then reads about half the bytes of F16 and results differ from F16's slightly) */
} sx_context_params;

SX_API sx_context_params sx_context_default_params(void);
SX_API sx_status sx_context_init(sx_model *model, const sx_context_params *params, sx_context **out);
SX_API void sx_context_free(sx_context *ctx);
SX_API sx_status sx_context_get_params(const sx_context *ctx, sx_context_params *out);

/*
 * One step for a batch of tokens of several sequences (continuous batching: prefill chunks and decode
 * tokens mixed). Token i of sequence s at position p attends to positions 0..p of s; positions of a
 * sequence must be written in order (a sequence's next position = its current length, or an earlier
 * position to overwrite after sx_kv_truncate_seq). Rows with output[i] != 0 produce logits, in batch
 * order, at sx_logits(ctx) + k * n_vocab for the k-th output row; if sampled != NULL, sampled[k]
 * receives the greedy (argmax, lowest id on ties) token of that row.
 */
typedef struct sx_batch {
    int32_t n_tokens;
    const int32_t *tokens; /* [n_tokens] */
    const int32_t *pos;    /* [n_tokens] */
    const int32_t *seq_id; /* [n_tokens] */
    const int8_t *output;  /* [n_tokens]; NULL: only the last row */
} sx_batch;

SX_API sx_status sx_decode(sx_context *ctx, const sx_batch *batch, int32_t *sampled);
SX_API const float *sx_logits(const sx_context *ctx); /* [n_out][n_vocab] of the last sx_decode */
SX_API int32_t sx_n_outputs(const sx_context *ctx);

/* Greedy argmax over one logits row with an optional allowed-token bitmask (bit t of mask[t/32]). */
SX_API int32_t sx_argmax(const float *logits, int32_t n_vocab, const uint32_t *allowed_mask);

/* ---- KV cache (paged: fixed-size blocks from one pool, a block table per sequence) ---- */

SX_API sx_status sx_kv_clear_seq(sx_context *ctx, int32_t seq_id);      /* frees all its blocks */
SX_API sx_status sx_kv_truncate_seq(sx_context *ctx, int32_t seq_id, int32_t n_keep);
SX_API int32_t sx_kv_seq_len(const sx_context *ctx, int32_t seq_id);
SX_API int32_t sx_kv_free_blocks(const sx_context *ctx);  /* never-used blocks plus evictable cached ones */

/*
 * Prefix caching (automatic, like vLLM's): every block a step fills completely is hashed by its tokens chained
 * with the previous block's hash and stays cached after its sequence frees it (least recently used evicted first
 * when a step needs blocks). sx_kv_attach_prefix puts into the table of the EMPTY sequence seq_id the longest
 * chain of cached blocks that matches tokens[0..n), shared with any sequence that holds them, and stores in
 * *n_cached the number of tokens already computed (a multiple of the block size, at most n - 1: the last token
 * is always left to compute, since its logits are needed). Decode from position *n_cached on. A step that
 * would write into a block shared with another sequence fails with SX_ERR_ARGUMENT.
 */
SX_API sx_status sx_kv_attach_prefix(sx_context *ctx, int32_t seq_id, const int32_t *tokens, int32_t n, int32_t *n_cached);
SX_API void sx_kv_clear_all(sx_context *ctx);

#ifdef __cplusplus
}
#endif
#endif /* SEXTANT_H */
