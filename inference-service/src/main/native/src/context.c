/* context.c — contexts, the paged KV block tables, batch validation and greedy sampling. */
#define _GNU_SOURCE
#include "backend.h"
#include "common.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* ---- prefix cache: ref-counted blocks, chained block hashes, LRU of unreferenced cached blocks ---- */

#define PREFIX_SEED 0xcbf29ce484222325ull

/* Hash of one full block of tokens chained with the previous block's hash (PREFIX_SEED for the first block),
 * so equal hashes mean equal token prefixes up to the end of the block; lookups also compare the block's own
 * tokens, leaving only a 64-bit collision of earlier blocks undetected. */
static uint64_t block_chain_hash(uint64_t prev, const int32_t *t, int bs) {
    uint64_t h = prev;
    for (int i = 0; i < bs; i++) { h ^= (uint32_t)t[i]; h *= 0x100000001b3ull; }
    h ^= h >> 33; h *= 0xff51afd7ed558ccdull; h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ull; h ^= h >> 33;
    return h;
}

static int prefix_init(sx_context *c) {
    const size_t nb = (size_t)c->n_blocks, bs = (size_t)c->params.kv_block_size;
    int32_t nbk = 1;
    while (nbk < 2 * c->n_blocks) nbk <<= 1;
    c->n_buckets = nbk;
    c->block_ref = calloc(nb, sizeof(int32_t));
    c->block_hash = calloc(nb, sizeof(uint64_t));
    c->block_reg = calloc(nb, 1);
    c->hash_next = malloc(nb * sizeof(int32_t));
    c->hash_head = malloc((size_t)nbk * sizeof(int32_t));
    c->lru_prev = malloc(nb * sizeof(int32_t));
    c->lru_next = malloc(nb * sizeof(int32_t));
    c->cell_tokens = calloc(nb * bs, sizeof(int32_t));
    if (!c->block_ref || !c->block_hash || !c->block_reg || !c->hash_next || !c->hash_head || !c->lru_prev || !c->lru_next || !c->cell_tokens)
        return 0;
    for (int32_t i = 0; i < nbk; i++) c->hash_head[i] = -1;
    c->lru_head = c->lru_tail = -1;
    c->n_lru = 0;
    return 1;
}

static void prefix_free(sx_context *c) {
    free(c->block_ref); free(c->block_hash); free(c->block_reg); free(c->hash_next); free(c->hash_head);
    free(c->lru_prev); free(c->lru_next); free(c->cell_tokens);
}

static void lru_unlink(sx_context *c, int32_t b) {
    int32_t p = c->lru_prev[b], n = c->lru_next[b];
    if (p >= 0) c->lru_next[p] = n; else c->lru_head = n;
    if (n >= 0) c->lru_prev[n] = p; else c->lru_tail = p;
    c->n_lru--;
}

static void lru_push_tail(sx_context *c, int32_t b) {
    c->lru_prev[b] = c->lru_tail; c->lru_next[b] = -1;
    if (c->lru_tail >= 0) c->lru_next[c->lru_tail] = b; else c->lru_head = b;
    c->lru_tail = b;
    c->n_lru++;
}

static void hash_unregister(sx_context *c, int32_t b) {
    if (!c->block_reg[b]) return;
    int32_t *link = &c->hash_head[c->block_hash[b] & (uint64_t)(c->n_buckets - 1)];
    while (*link != b) link = &c->hash_next[*link];
    *link = c->hash_next[b];
    c->block_reg[b] = 0;
}

/* The registered block holding these bs tokens under chain hash h, or -1. */
static int32_t hash_lookup(const sx_context *c, uint64_t h, const int32_t *tokens) {
    const int bs = c->params.kv_block_size;
    for (int32_t b = c->hash_head[h & (uint64_t)(c->n_buckets - 1)]; b >= 0; b = c->hash_next[b])
        if (c->block_hash[b] == h && memcmp(c->cell_tokens + (size_t)b * bs, tokens, sizeof(int32_t) * (size_t)bs) == 0) return b;
    return -1;
}

/* Block b of a sequence became full: hash it and make it findable, unless an equal block already is. */
static void hash_register(sx_context *c, const sx_seq *s, int32_t k) {
    const int bs = c->params.kv_block_size;
    int32_t b = s->blocks[k];
    uint64_t prev = k == 0 ? PREFIX_SEED : c->block_hash[s->blocks[k - 1]];
    const int32_t *t = c->cell_tokens + (size_t)b * bs;
    hash_unregister(c, b);
    uint64_t h = block_chain_hash(prev, t, bs);
    c->block_hash[b] = h;
    if (hash_lookup(c, h, t) >= 0) return;
    int32_t *head = &c->hash_head[h & (uint64_t)(c->n_buckets - 1)];
    c->hash_next[b] = *head; *head = b;
    c->block_reg[b] = 1;
}

/* A block for a sequence to write: a never-cached one first, else the least recently used cached one. */
static int32_t block_alloc(sx_context *c) {
    int32_t b;
    if (c->n_free > 0) b = c->free_blocks[--c->n_free];
    else { b = c->lru_head; lru_unlink(c, b); hash_unregister(c, b); }
    c->block_ref[b] = 1;
    return b;
}

static void block_release(sx_context *c, int32_t b) {
    if (--c->block_ref[b] > 0) return;
    if (c->block_reg[b]) lru_push_tail(c, b);
    else c->free_blocks[c->n_free++] = b;
}

SX_API sx_status sx_kv_attach_prefix(sx_context *c, int32_t s, const int32_t *tokens, int32_t n, int32_t *n_cached) {
    if (!c || !n_cached || (n > 0 && !tokens)) return sx_set_error(SX_ERR_ARGUMENT, "sx_kv_attach_prefix: null argument");
    *n_cached = 0;
    if (s < 0 || s >= c->params.n_seq_max) return sx_set_error(SX_ERR_ARGUMENT, "sx_kv_attach_prefix: bad sequence id %d", s);
    sx_seq *q = &c->seqs[s];
    if (q->len != 0 || q->n_blocks != 0)
        return sx_set_error(SX_ERR_ARGUMENT, "sx_kv_attach_prefix: sequence %d is not empty (%d tokens cached)", s, q->len);
    const int bs = c->params.kv_block_size;
    /* Only blocks wholly before the last token: its logits must be computed, and a shared block is never written. */
    int32_t max = n > 0 ? (n - 1) / bs : 0;
    if (max > c->max_blocks_per_seq) max = c->max_blocks_per_seq;
    uint64_t h = PREFIX_SEED;
    for (int32_t k = 0; k < max; k++) {
        h = block_chain_hash(h, tokens + (size_t)k * bs, bs);
        int32_t b = hash_lookup(c, h, tokens + (size_t)k * bs);
        if (b < 0) break;
        if (c->block_ref[b]++ == 0) lru_unlink(c, b);
        q->blocks[q->n_blocks++] = b;
    }
    q->len = q->n_blocks * bs;
    *n_cached = q->len;
    return SX_OK;
}

SX_API sx_context_params sx_context_default_params(void) {
    sx_context_params p = { 0, 4, 4096, 16, 512, 0, SX_F16 };
    return p;
}

SX_API sx_status sx_context_init(sx_model *m, const sx_context_params *params, sx_context **out) {
    if (!m || !out) return sx_set_error(SX_ERR_ARGUMENT, "sx_context_init: null argument");
    *out = NULL;
    sx_context_params p = params ? *params : sx_context_default_params();
    if (p.n_seq_max <= 0 || p.n_ctx <= 0 || p.kv_block_size <= 0 || p.n_batch_max <= 0 || p.n_seq_max > 65536 || p.kv_block_size > 4096)
        return sx_set_error(SX_ERR_ARGUMENT, "sx_context_init: bad parameters (n_seq_max %d, n_ctx %d, kv_block_size %d, n_batch_max %d)",
                            p.n_seq_max, p.n_ctx, p.kv_block_size, p.n_batch_max);
    if (p.kv_type != SX_F32 && p.kv_type != SX_F16 && p.kv_type != SX_Q8_0)
        return sx_set_error(SX_ERR_ARGUMENT, "sx_context_init: kv_type %d is none of F32 (%d), F16 (%d), Q8_0 (%d)", p.kv_type, SX_F32, SX_F16,
                            SX_Q8_0);
    if (p.n_out_max <= 0 || p.n_out_max > p.n_batch_max) p.n_out_max = p.n_batch_max;
    sx_context *c = calloc(1, sizeof *c);
    if (!c) return sx_set_error(SX_ERR_NO_MEMORY, "out of memory");
    c->model = m; c->params = p;
    c->n_blocks = (p.n_ctx + p.kv_block_size - 1) / p.kv_block_size;
    c->params.n_ctx = c->n_blocks * p.kv_block_size;
    /* One sequence may use every block, up to the model's trained context (at least one block). */
    int per_seq = c->n_blocks;
    c->max_blocks_per_seq = per_seq;
    c->free_blocks = malloc(sizeof(int32_t) * (size_t)c->n_blocks);
    c->seqs = calloc((size_t)p.n_seq_max, sizeof(sx_seq));
    int32_t *tables = malloc(sizeof(int32_t) * (size_t)p.n_seq_max * per_seq);
    c->logits = malloc(sizeof(float) * (size_t)p.n_out_max * m->hp.n_vocab);
    c->cells = malloc(sizeof(int32_t) * (size_t)p.n_batch_max);
    c->out_rows = malloc(sizeof(int32_t) * (size_t)p.n_out_max);
    c->sim_len = malloc(sizeof(int32_t) * 3 * (size_t)p.n_seq_max);
    c->sim_blocks = c->sim_len ? c->sim_len + p.n_seq_max : NULL;
    c->sim_last = c->sim_len ? c->sim_len + 2 * (size_t)p.n_seq_max : NULL;
    if (!c->sim_len || !c->free_blocks || !c->seqs || !tables || !c->logits || !c->cells || !c->out_rows || !prefix_init(c)) {
        free(tables); free(c->free_blocks); free(c->seqs); free(c->logits); free(c->cells); free(c->out_rows); free(c->sim_len);
        prefix_free(c); free(c);
        return sx_set_error(SX_ERR_NO_MEMORY, "out of memory for a context of %d cells", p.n_ctx);
    }
    for (int32_t i = 0; i < p.n_seq_max; i++) c->seqs[i].blocks = tables + (size_t)i * per_seq;
    for (int32_t i = 0; i < c->n_blocks; i++) c->free_blocks[i] = c->n_blocks - 1 - i;
    c->n_free = c->n_blocks;
    sx_status s = m->backend->context_init(c);
    if (s != SX_OK) {
        s = sx_backend_error(m->backend, s, m->path);
        free(tables); free(c->free_blocks); free(c->seqs); free(c->logits); free(c->cells); free(c->out_rows); free(c->sim_len);
        prefix_free(c); free(c);
        return s;
    }
    *out = c;
    return SX_OK;
}

SX_API void sx_context_free(sx_context *c) {
    if (!c) return;
    c->model->backend->context_free(c);
    if (c->seqs) free(c->seqs[0].blocks);
    free(c->free_blocks); free(c->seqs); free(c->logits); free(c->cells); free(c->out_rows); free(c->sim_len);
    prefix_free(c); free(c);
}

SX_API sx_status sx_context_get_params(const sx_context *c, sx_context_params *out) {
    if (!c || !out) return sx_set_error(SX_ERR_ARGUMENT, "sx_context_get_params: null argument");
    *out = c->params; return SX_OK;
}

static void release_blocks(sx_context *c, sx_seq *s, int32_t keep_blocks) {
    while (s->n_blocks > keep_blocks) block_release(c, s->blocks[--s->n_blocks]);
}

SX_API sx_status sx_decode(sx_context *c, const sx_batch *b, int32_t *sampled) {
    if (!c || !b || !b->tokens || !b->pos || !b->seq_id) return sx_set_error(SX_ERR_ARGUMENT, "sx_decode: null argument");
    const int n = b->n_tokens, bs = c->params.kv_block_size, n_vocab = c->model->hp.n_vocab;
    if (n <= 0 || n > c->params.n_batch_max)
        return sx_set_error(SX_ERR_ARGUMENT, "sx_decode: batch of %d tokens (1..%d allowed)", n, c->params.n_batch_max);
    int n_out = 0, need_blocks = 0;
    /* Validate everything before touching the cache: a rejected batch changes nothing. Each sequence's
     * length and block count are simulated row by row in the context's per-sequence scratch. */
    for (int i = 0; i < n; i++) {
        int32_t t = b->tokens[i], p = b->pos[i], s = b->seq_id[i];
        if (t < 0 || t >= n_vocab) return sx_set_error(SX_ERR_ARGUMENT, "sx_decode: token id %d at row %d is outside the vocabulary (0..%d)", t, i, n_vocab - 1);
        if (s < 0 || s >= c->params.n_seq_max) return sx_set_error(SX_ERR_ARGUMENT, "sx_decode: sequence id %d at row %d (0..%d allowed)", s, i, c->params.n_seq_max - 1);
        if (p < 0 || p >= c->max_blocks_per_seq * bs) return sx_set_error(SX_ERR_ARGUMENT, "sx_decode: position %d at row %d is outside the cache (0..%d)", p, i, c->max_blocks_per_seq * bs - 1);
        if (b->output ? b->output[i] != 0 : i == n - 1) n_out++;
        c->sim_len[s] = -1;
    }
    if (n_out > c->params.n_out_max) return sx_set_error(SX_ERR_ARGUMENT, "sx_decode: %d output rows (at most %d)", n_out, c->params.n_out_max);
    for (int i = 0; i < n; i++) {
        int32_t s = b->seq_id[i], p = b->pos[i];
        if (c->sim_len[s] < 0) { c->sim_len[s] = c->seqs[s].len; c->sim_blocks[s] = c->seqs[s].n_blocks; c->sim_last[s] = -1; }
        if (p > c->sim_len[s]) return sx_set_error(SX_ERR_ARGUMENT, "sx_decode: position %d of sequence %d skips ahead of its length %d", p, s, c->sim_len[s]);
        if (c->sim_last[s] >= 0 && p != c->sim_last[s] + 1)
            return sx_set_error(SX_ERR_ARGUMENT, "sx_decode: position %d of sequence %d does not follow position %d of the same batch", p, s, c->sim_last[s]);
        if (p / bs < c->seqs[s].n_blocks && c->block_ref[c->seqs[s].blocks[p / bs]] > 1)
            return sx_set_error(SX_ERR_ARGUMENT, "sx_decode: position %d of sequence %d lies in a KV block shared with another sequence", p, s);
        c->sim_len[s] = p + 1; c->sim_last[s] = p;
        if (p / bs + 1 > c->sim_blocks[s]) { need_blocks += p / bs + 1 - c->sim_blocks[s]; c->sim_blocks[s] = p / bs + 1; }
    }
    if (need_blocks > c->n_free + c->n_lru)
        return sx_set_error(SX_ERR_CAPACITY, "sx_decode: the KV cache needs %d more blocks but %d are free", need_blocks, c->n_free + c->n_lru);
    /* Commit: allocate blocks, set lengths, assign cells. */
    n_out = 0;
    for (int i = 0; i < n; i++) {
        sx_seq *s = &c->seqs[b->seq_id[i]];
        int32_t p = b->pos[i];
        while (s->n_blocks <= p / bs) s->blocks[s->n_blocks++] = block_alloc(c);
        s->len = p + 1;
        /* Overwriting a cached (full, unshared) block: its cells no longer match its hash. */
        hash_unregister(c, s->blocks[p / bs]);
        c->cells[i] = s->blocks[p / bs] * bs + p % bs;
        c->cell_tokens[c->cells[i]] = b->tokens[i];
        if (b->output ? b->output[i] != 0 : i == n - 1) c->out_rows[n_out++] = i;
    }
    /* Positions after the last written one are gone (overwrite semantics); free their whole blocks. */
    for (int i = 0; i < n; i++) { sx_seq *s = &c->seqs[b->seq_id[i]]; release_blocks(c, s, (s->len + bs - 1) / bs); }
    c->n_outputs = n_out;
    sx_status st = c->model->backend->decode(c, b);
    if (st != SX_OK) return sx_backend_error(c->model->backend, st, "sx_decode");
    /* Blocks this step filled hold their final KV: make them findable by later prompts. */
    for (int i = 0; i < n; i++)
        if ((b->pos[i] + 1) % bs == 0) hash_register(c, &c->seqs[b->seq_id[i]], b->pos[i] / bs);
    if (sampled) for (int k = 0; k < n_out; k++) sampled[k] = sx_argmax(c->logits + (size_t)k * n_vocab, n_vocab, NULL);
    return SX_OK;
}

SX_API const float *sx_logits(const sx_context *c) { return c ? c->logits : NULL; }
SX_API int32_t sx_n_outputs(const sx_context *c) { return c ? c->n_outputs : 0; }

SX_API int32_t sx_argmax(const float *x, int32_t n, const uint32_t *mask) {
    int32_t best = -1; float bv = -INFINITY;
    for (int32_t i = 0; i < n; i++) {
        if (mask && !((mask[i >> 5] >> (i & 31)) & 1)) continue;
        if (best < 0 || x[i] > bv) { best = i; bv = x[i]; }
    }
    return best;
}

SX_API sx_status sx_kv_clear_seq(sx_context *c, int32_t s) { return sx_kv_truncate_seq(c, s, 0); }

SX_API sx_status sx_kv_truncate_seq(sx_context *c, int32_t s, int32_t keep) {
    if (!c || s < 0 || s >= c->params.n_seq_max) return sx_set_error(SX_ERR_ARGUMENT, "sx_kv_truncate_seq: bad sequence id %d", s);
    sx_seq *q = &c->seqs[s];
    if (keep < 0) keep = 0;
    if (keep < q->len) q->len = keep;
    release_blocks(c, q, (q->len + c->params.kv_block_size - 1) / c->params.kv_block_size);
    return SX_OK;
}

SX_API int32_t sx_kv_seq_len(const sx_context *c, int32_t s) {
    return c && s >= 0 && s < c->params.n_seq_max ? c->seqs[s].len : -1;
}

SX_API int32_t sx_kv_free_blocks(const sx_context *c) { return c ? c->n_free + c->n_lru : 0; }

SX_API void sx_kv_clear_all(sx_context *c) {
    if (!c) return;
    for (int32_t s = 0; s < c->params.n_seq_max; s++) sx_kv_clear_seq(c, s);
}

/* ---- backend registry ---- */

static const sx_backend *cuda_backend;
static const char *(*cuda_last_error)(void); /* the CUDA backend keeps its own message (it cannot call into us) */

/* After a backend call failed: carry a dlopened backend's own message into our sticky error. */
sx_status sx_backend_error(const sx_backend *be, sx_status s, const char *what) {
    if (be && be == cuda_backend && cuda_last_error) {
        const char *m = cuda_last_error();
        if (m && *m) return sx_set_error(s, "%s: %s", what, m);
    }
    return s;
}
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;

sx_status sx_backend_get(sx_backend_kind kind, const sx_backend **out) {
    if (kind == SX_BACKEND_CPU) { *out = sx_backend_cpu(); return SX_OK; }
    if (kind != SX_BACKEND_CUDA) return sx_set_error(SX_ERR_ARGUMENT, "unknown backend kind %d", (int)kind);
    pthread_mutex_lock(&reg_mu);
    if (!cuda_backend) {
        /* libsextant_cuda.so sits next to libsextant.so. */
        Dl_info info; char path[4096] = "libsextant_cuda.so";
        if (dladdr((void *)sx_backend_get, &info) && info.dli_fname) {
            const char *slash = strrchr(info.dli_fname, '/');
            if (slash) snprintf(path, sizeof path, "%.*s/libsextant_cuda.so", (int)(slash - info.dli_fname), info.dli_fname);
        }
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) h = dlopen("libsextant_cuda.so", RTLD_NOW | RTLD_LOCAL);
        if (!h) { pthread_mutex_unlock(&reg_mu); return sx_set_error(SX_ERR_BACKEND, "CUDA backend unavailable: %s", dlerror()); }
        const sx_backend *(*get)(void) = (const sx_backend *(*)(void))dlsym(h, "sx_backend_cuda");
        const sx_backend *be = get ? get() : NULL;
        if (!be || be->abi_version != SX_BACKEND_ABI) {
            pthread_mutex_unlock(&reg_mu);
            return sx_set_error(SX_ERR_BACKEND, "CUDA backend in %s: missing sx_backend_cuda or ABI mismatch", path);
        }
        cuda_backend = be;
        cuda_last_error = (const char *(*)(void))dlsym(h, "sx_cuda_last_error");
    }
    pthread_mutex_unlock(&reg_mu);
    *out = cuda_backend;
    return SX_OK;
}
