/* cpu_backend.c — the CPU backend: Llama-family forward pass over a paged KV cache.
 * Every output element is computed by one fixed-order kernel call, so results do not depend on the batch
 * composition or the number of threads (batch invariance). The step loop allocates nothing. */
#include "../backend.h"
#include "../common.h"
#include "kernels.h"
#include "threadpool.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <stdint.h>

enum { ACT_F32, ACT_Q8_0, ACT_Q8_K, ACT_Q8_0S, ACT_KINDS };

typedef struct cpu_ctx {
    sx_pool *pool;
    int n_threads;
    int n_cells;       /* KV cells per layer = n_blocks * block size */
    void *k_cache;     /* (layer, block, KV head, position in block, head_dim) of params.kv_type (F16, F32 or Q8_0 blocks):
                          see sx_kv_layout */
    void *v_cache;
    void *k_alloc, *v_alloc; /* the allocations the caches lie in (huge_align) */
    int kv_type;
    size_t cell_bytes; /* bytes of one position's K (or V) in one layer, all KV heads */
    sx_kv_layout lay;  /* where a position's row of a KV head lies within a layer */
    float *x;          /* (n_batch, dim) residual stream */
    float *xb;         /* (n_batch, max(dim, q_dim)) normed input / attention output */
    float *q;          /* (n_batch, q_dim) */
    float *k;          /* (n_batch, kv_dim) */
    float *v;          /* (n_batch, kv_dim) */
    float *hb;         /* (n_batch, n_ff) gate, then SwiGLU output */
    float *hb2;        /* (n_batch, n_ff) up */
    float *out_x;      /* (n_out, dim) final-normed output rows */
    float *rope_cs;    /* (n_batch, head_dim) cos then sin of each row's rotation angles */
    float *scores;     /* (n_threads, att_tile, n_head, max_seq_len) attention scores */
    int att_tile;
    int *tiles;        /* (n_batch + 1) attention tile starts */
    void *act[ACT_KINDS];   /* (n_batch, act row bytes) activations converted for quantized weights */
    int act_ready[ACT_KINDS];
    const float *act_src;
} cpu_ctx;

static int act_kind(sx_dtype t) {
    switch ((int)t) {
    case SX_Q8_0: case SX_Q4_0: return ACT_Q8_0; case SX_Q4_K: case SX_Q6_K: return ACT_Q8_K; case SX_Q8_0X16: return ACT_Q8_0S;
    default: return ACT_F32;
    }
}

static int online_cores(void) { long n = sysconf(_SC_NPROCESSORS_ONLN); return n > 0 ? (int)n : 1; }

/* ---- matmul: y[b][r] = dot(W row r, x row b) (+ bias), up to 3 weights sharing one input ---- */

/* Rows per work item: big enough that each thread streams long contiguous runs of weights (decode is bound by
 * memory bandwidth), small enough that a preempted thread holds little work. */
#ifndef MM_ACT_BLOCK
#define MM_ACT_BLOCK 32
#endif
_Static_assert(MM_ACT_BLOCK % SX_AMX_ROWS == 0, "a block of input rows starts a run of sixteen (the AMX activation layout's unit)");
#ifndef MM_CHUNK_DIV
/* Chunks per thread and weight matrix. 8 took ~5 % longer than 4 for the 16-row decode step of the generated 134M model
 * (session 5, Intel: shorter streams per thread); 2 was within the noise of 4 on AMD Zen 4 (session 6) and faster on
 * the AMX Xeon of session 7 (16-row decode matmuls 6.3-6.4 vs 6.5-6.9 ms, 512-token prefill step 109-110 vs 110-115 ms,
 * batch 1 2.8-3.0 vs 3.0-3.1 ms; fewer tile configurations and pipeline starts per product). */
#define MM_CHUNK_DIV 2
#endif
#ifndef MM_CHUNK_MIN
#define MM_CHUNK_MIN 16
#endif

typedef struct mm_op { const sx_tensor *w; const sx_tensor *bias; float *y; int ldy; } mm_op;

typedef struct mm_job {
    mm_op ops[3];
    int n_ops;
    int k;            /* input length */
    int n;            /* input rows */
    const void *act[3];
    size_t act_stride[3];
    int chunks[4];    /* prefix sums of chunk counts per op */
    int chunk_rows[3];
    atomic_int next;
    const sx_kernels *kern;
} mm_job;

static void mm_task(void *arg, int ith, int nth) {
    mm_job *j = arg;
    const int total = j->chunks[j->n_ops];
    for (;;) {
        int c = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (c >= total) return;
        int o = 0; while (c >= j->chunks[o + 1]) o++;
        const mm_op *op = &j->ops[o];
        const int m = (int)op->w->ne[1];
        const int cr = j->chunk_rows[o];
        const int r0 = (c - j->chunks[o]) * cr, r1 = r0 + cr < m ? r0 + cr : m;
        const size_t rb = sx_row_bytes(op->w->type, j->k);
        const uint8_t *w = op->w->data;
        sx_dot_fn dot = j->kern->dot[op->w->type];
        const float *bias = op->bias ? op->bias->data : NULL; /* biases are converted to F32 at model init */
        const uint8_t *act = j->act[o];
        /* All input rows against this chunk of weight rows: the chunk stays in cache while it is reused. */
        for (int b0 = 0; b0 < j->n; b0 += MM_ACT_BLOCK) /* a block of input rows stays in cache across the weight rows */
            j->kern->gemm[op->w->type](j->k, w + (size_t)r0 * rb, rb, r1 - r0, act + (size_t)b0 * j->act_stride[o], j->act_stride[o],
                                       j->n - b0 < MM_ACT_BLOCK ? j->n - b0 : MM_ACT_BLOCK, op->y + (size_t)b0 * op->ldy + r0, (size_t)op->ldy, dot);
        if (bias)
            for (int b = 0; b < j->n; b++)
                for (int r = r0; r < r1; r++) op->y[(size_t)b * op->ldy + r] += bias[r];
    }
}

/* Activation conversion, rows split over the pool (on the caller alone the other threads spin meanwhile; a 16-row
 * decode step is ~1-2 % faster this way, within the noise of single runs). */
#ifndef QUANT_ROWS
#define QUANT_ROWS 4 /* rows per task */
#endif
#ifndef QUANT_BLOCKS
#define QUANT_BLOCKS 8 /* blocks of a tiled run of sixteen rows per task (AMX layout) */
#endif
typedef struct quant_job {
    sx_quant_fn quant; const sx_kernels *kern; /* kern->quant_tiled for the first `tiled` rows, where set */
    const float *x; uint8_t *y; size_t stride; int k, n, tiled, parts, tiled_units, units; atomic_int next;
} quant_job;

/* Units of work: QUANT_BLOCKS blocks of a tiled run (whole blocks of sixteen rows, so no two threads write one cache
 * line), then QUANT_ROWS rows of the rest. */
static void quant_task(void *arg, int ith, int nth) {
    quant_job *j = arg;
    (void)ith; (void)nth;
    for (;;) {
        const int u = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (u >= j->units) return;
        if (u < j->tiled_units) {
            const int run = u / j->parts, i0 = u % j->parts * QUANT_BLOCKS, nb = j->k / QK8_0;
            j->kern->quant_tiled(j->x + (size_t)run * SX_AMX_ROWS * j->k, j->y + (size_t)run * SX_AMX_ROWS * j->stride, j->k, i0,
                                 i0 + QUANT_BLOCKS < nb ? i0 + QUANT_BLOCKS : nb);
            continue;
        }
        const int b0 = j->tiled + (u - j->tiled_units) * QUANT_ROWS;
        for (int b = b0; b < j->n && b < b0 + QUANT_ROWS; b++) j->quant(j->x + (size_t)b * j->k, j->y + (size_t)b * j->stride, j->k);
    }
}

static void quant_rows(cpu_ctx *c, sx_dtype t, const float *x, int n, int k, void *y, size_t stride) {
    const sx_kernels *kern = sx_kernels_get();
    quant_job j = { .quant = kern->quant[t], .kern = kern, .x = x, .y = y, .stride = stride, .k = k, .n = n };
    if (t == SX_Q8_0X16 && kern->quant_tiled) {
        j.tiled = kern->tiled_rows(n, k);
        j.parts = (k / QK8_0 + QUANT_BLOCKS - 1) / QUANT_BLOCKS;
        j.tiled_units = j.tiled / SX_AMX_ROWS * j.parts;
    }
    j.units = j.tiled_units + (n - j.tiled + QUANT_ROWS - 1) / QUANT_ROWS;
    atomic_init(&j.next, 0);
    sx_pool_run(c->pool, quant_task, &j, j.units >= 2 ? c->n_threads : 1);
}

/* Converts x (n rows of k floats) into the activation formats the ops need, then runs them. */
static void matmul(cpu_ctx *c, const float *x, int n, int k, mm_op *ops, int n_ops) {
    const sx_kernels *kern = sx_kernels_get();
    mm_job j; memset(&j, 0, sizeof j);
    j.n_ops = n_ops; j.k = k; j.n = n; j.kern = kern;
    int ready[ACT_KINDS] = {0};
    double work = 0;
    for (int o = 0; o < n_ops; o++) {
        j.ops[o] = ops[o];
        sx_dtype t = ops[o].w->type; int kind = act_kind(t);
        if (kind == ACT_F32) { j.act[o] = x; j.act_stride[o] = (size_t)k * sizeof(float); }
        else {
            size_t stride = sx_act_row_bytes(t, k);
            if (!ready[kind]) {
                quant_rows(c, t, x, n, k, c->act[kind], stride);
                ready[kind] = 1;
            }
            j.act[o] = c->act[kind]; j.act_stride[o] = stride;
        }
        int m = (int)ops[o].w->ne[1];
        int cr = m / (c->n_threads * MM_CHUNK_DIV);
        cr = cr < MM_CHUNK_MIN ? MM_CHUNK_MIN : (cr + 15) & ~15; /* whole groups of 16 rows for SX_Q8_0X16 */
        j.chunk_rows[o] = cr;
        j.chunks[o + 1] = j.chunks[o] + (m + cr - 1) / cr;
        work += (double)m * k * n;
    }
    atomic_init(&j.next, 0);
    /* Tiny products are cheaper on one thread than the cost of waking the others. */
    int nth = work < 131072 ? 1 : c->n_threads;
    sx_pool_run(c->pool, mm_task, &j, nth);
}

/* ---- element-wise ops (caller thread) ---- */

/* cos and sin of a row's rotation angles, computed once per step and row (the same for every layer and for q and k). */
static void rope_angles(float *cs, int head_dim, int pos, const float *inv_freq) {
    const int half = head_dim / 2;
    for (int i = 0; i < half; i++) { float th = (float)pos * inv_freq[i]; cs[i] = cosf(th); cs[half + i] = sinf(th); }
}

/* Head by head with the pairs inner, so that the compiler vectorizes the pairs (each element's two products and one
 * difference or sum are the same operations, in the same order, as one pair at a time): the rope+kv phase of a
 * 512-token prefill step took 6.2-10.5 ms with the pairs outer, 3.8-7.9 ms this way. */
static void rope(float *restrict v, int n_heads, int head_dim, const float *restrict angles, sx_rope_kind kind) {
    const int half = head_dim / 2;
    const float *restrict cs = angles, *restrict sn = angles + half;
    for (int h = 0; h < n_heads; h++) {
        float *restrict hv = v + h * head_dim;
        if (kind == SX_ROPE_NEOX)
            for (int i = 0; i < half; i++) {
                const float x0 = hv[i], x1 = hv[half + i];
                hv[i] = x0 * cs[i] - x1 * sn[i]; hv[half + i] = x0 * sn[i] + x1 * cs[i];
            }
        else
            for (int i = 0; i < half; i++) {
                const float x0 = hv[2 * i], x1 = hv[2 * i + 1];
                hv[2 * i] = x0 * cs[i] - x1 * sn[i]; hv[2 * i + 1] = x0 * sn[i] + x1 * cs[i];
            }
    }
}

/* ---- attention over the paged cache ---- */

/* Query rows per attention tile: consecutive rows of one sequence (a prefill chunk) share each cache row read. At most
 * ATT_TILE, fewer where a tile's scores (rows x heads x longest sequence) would pass ATT_SCORES_BYTES per thread. */
#define ATT_TILE 8
#define ATT_SCORES_BYTES (4u << 20)

typedef struct att_job {
    sx_context *ctx; cpu_ctx *c; const sx_batch *batch; int layer; int n_tasks; int kv_per_task; int tasks_per_tile;
    const int *tiles; /* tile i = batch rows tiles[i] .. tiles[i + 1] - 1 */
    atomic_int next;
} att_job;

/* A task: one tile of rows and a run of KV heads with all their query heads (GQA groups stay together). */
static void att_task(void *arg, int ith, int nth) {
    att_job *j = arg; sx_context *ctx = j->ctx; cpu_ctx *c = j->c;
    const sx_hparams *hp = &ctx->model->hp;
    const int hd = hp->head_dim, n_head = hp->n_head, n_kv = hp->n_head_kv, group = n_head / n_kv;
    const int bs = ctx->params.kv_block_size, q_dim = n_head * hd;
    const int max_len = ctx->max_blocks_per_seq * bs;
    const float scale = 1.0f / sqrtf((float)hd);
    const sx_kernels *kern = sx_kernels_get();
    float *sc = c->scores + (size_t)ith * c->att_tile * n_head * max_len;
    const size_t layer_off = (size_t)j->layer * c->n_cells * c->cell_bytes;
    for (;;) {
        int t = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (t >= j->n_tasks) return;
        const int tile = t / j->tasks_per_tile, kv0 = (t % j->tasks_per_tile) * j->kv_per_task;
        const int kv1 = kv0 + j->kv_per_task < n_kv ? kv0 + j->kv_per_task : n_kv, h0 = kv0 * group;
        const int b = j->tiles[tile], nt = j->tiles[tile + 1] - b;
        const sx_seq *s = &ctx->seqs[j->batch->seq_id[b]];
        const size_t off = layer_off + (size_t)kv0 * c->lay.head;
        kern->attn(hd, (kv1 - kv0) * group, group, nt, j->batch->pos[b] + 1, c->q + (size_t)b * q_dim + (size_t)h0 * hd, (size_t)q_dim,
                   (const char *)c->k_cache + off, (const char *)c->v_cache + off, c->kv_type, &c->lay, s->blocks, bs, scale,
                   sc, (size_t)max_len, c->xb + (size_t)b * q_dim + (size_t)h0 * hd, (size_t)q_dim);
    }
}

/* ---- row-wise ops, split over rows across the pool (each row's arithmetic is the same on any thread) ---- */

enum { ROWS_ADD_NORM, ROWS_SWIGLU, ROWS_ROPE_KV };

typedef struct rows_job {
    sx_context *ctx; cpu_ctx *c; const sx_batch *batch; int kind; int n;
    const float *add; const sx_tensor *norm; size_t layer_off; atomic_int next;
} rows_job;

static void rows_task(void *arg, int ith, int nth) {
    rows_job *j = arg; cpu_ctx *c = j->c; const sx_model *m = j->ctx->model; const sx_hparams *hp = &m->hp;
    const int dim = hp->n_embd, ff = hp->n_ff, hd = hp->head_dim, q_dim = hp->n_head * hd, kv_dim = hp->n_head_kv * hd;
    const sx_kernels *kern = sx_kernels_get();
    for (;;) {
        const int b = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (b >= j->n) return;
        if (j->kind == ROWS_ADD_NORM) {        /* x += add; xb = rmsnorm(x) */
            kern->add_rmsnorm(j->norm ? c->xb + (size_t)b * dim : NULL, c->x + (size_t)b * dim, j->add ? j->add + (size_t)b * dim : NULL,
                              j->norm ? j->norm->data : NULL, dim, hp->norm_eps); /* norms are converted to F32 at model init */
        } else if (j->kind == ROWS_SWIGLU) {   /* hb = silu(hb) * hb2 */
            float *g = c->hb + (size_t)b * ff; const float *u = c->hb2 + (size_t)b * ff;
            kern->silu_mul(g, u, ff);
        } else {                               /* rotate q and k, store k and v in the row's cache cell */
            const float *angles = c->rope_cs + (size_t)b * hd;
            rope(c->q + (size_t)b * q_dim, hp->n_head, hd, angles, hp->rope_kind);
            rope(c->k + (size_t)b * kv_dim, hp->n_head_kv, hd, angles, hp->rope_kind);
            const size_t at = j->layer_off + sx_kv_cell(&c->lay, j->ctx->params.kv_block_size, j->ctx->cells[b]);
            for (int h = 0; h < hp->n_head_kv; h++) {
                char *kc = (char *)c->k_cache + at + (size_t)h * c->lay.head, *vc = (char *)c->v_cache + at + (size_t)h * c->lay.head;
                const float *kh = c->k + (size_t)b * kv_dim + (size_t)h * hd, *vh = c->v + (size_t)b * kv_dim + (size_t)h * hd;
                if (c->kv_type == SX_F16) {
                    kern->to_f16(kh, (uint16_t *)kc, hd);
                    kern->to_f16(vh, (uint16_t *)vc, hd);
                } else if (c->kv_type == SX_Q8_0) { /* Q8_0 blocks of 32 along the head */
                    kern->quant[SX_Q8_0](kh, kc, hd);
                    kern->quant[SX_Q8_0](vh, vc, hd);
                } else {
                    memcpy(kc, kh, sizeof(float) * (size_t)hd);
                    memcpy(vc, vh, sizeof(float) * (size_t)hd);
                }
            }
        }
    }
}

static void rows(sx_context *ctx, cpu_ctx *c, const sx_batch *batch, int kind, int n, const float *add, const sx_tensor *norm, size_t layer_off,
                 size_t row_work) {
    rows_job j = { ctx, c, batch, kind, n, add, norm, layer_off, 0 };
    atomic_init(&j.next, 0);
    sx_pool_run(c->pool, rows_task, &j, n > 1 && (size_t)n * row_work >= 16384 ? c->n_threads : 1);
}

/* ---- forward ---- */

/* Build with -DSX_PROFILE for wall time per phase of the forward pass, printed to stderr when the context is freed. */
#ifdef SX_PROFILE
#include <stdio.h>
#include <time.h>
enum { PH_EMBED, PH_NORM, PH_QKV, PH_ROPE, PH_ATTN, PH_WO, PH_GATEUP, PH_SWIGLU, PH_DOWN, PH_OUT, PH_N };
static const char *ph_name[PH_N] = { "embed", "add+norm", "qkv", "rope+kv", "attention", "wo", "gate+up", "swiglu", "down", "output" };
/* two sets: decode-only calls (every row produces logits) and the others (prefill or mixed) */
static double ph_time[2][PH_N]; static long ph_calls[2]; static int ph_set;
static double ph_now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
#define PH(id) do { double t_ = ph_now(); ph_time[ph_set][ph_prev] += t_ - ph_t; ph_t = t_; ph_prev = (id); } while (0)
#define PH_BEGIN double ph_t = ph_now(); int ph_prev = PH_EMBED; ph_set = ctx->n_outputs != n; ph_calls[ph_set]++
#define PH_END PH(PH_EMBED)
static void ph_report(void) {
    for (int k = 0; k < 2; k++) {
        if (!ph_calls[k]) continue;
        double tot = 0; for (int i = 0; i < PH_N; i++) tot += ph_time[k][i];
        fprintf(stderr, "profile, %s: %ld calls, %.2f ms/call:", k ? "prefill/mixed" : "decode-only", ph_calls[k], tot / ph_calls[k] * 1e3);
        for (int i = 0; i < PH_N; i++) fprintf(stderr, " %s %.2f", ph_name[i], ph_time[k][i] / ph_calls[k] * 1e3);
        fprintf(stderr, "\n");
    }
    memset(ph_time, 0, sizeof ph_time); memset(ph_calls, 0, sizeof ph_calls);
}
#else
#define PH(id) ((void)0)
#define PH_BEGIN ((void)0)
#define PH_END ((void)0)
#endif

static sx_status cpu_decode(sx_context *ctx, const sx_batch *batch) {
    cpu_ctx *c = ctx->backend_state;
    const sx_model *m = ctx->model;
    const sx_hparams *hp = &m->hp;
    const int n = batch->n_tokens, dim = hp->n_embd, hd = hp->head_dim;
    const int q_dim = hp->n_head * hd, kv_dim = hp->n_head_kv * hd, ff = hp->n_ff;
    const size_t emb_rb = sx_row_bytes(m->tok_embd->type, dim);
    PH_BEGIN;
    for (int b = 0; b < n; b++) rope_angles(c->rope_cs + (size_t)b * hd, hd, batch->pos[b], m->inv_freq);
    for (int b = 0; b < n; b++) {
        if (m->tok_embd->type == SX_Q8_0X16) sx_get_row_q8_0x16(m->tok_embd->data, batch->tokens[b], c->x + (size_t)b * dim, dim);
        else sx_dequant_row(m->tok_embd->type, (const uint8_t *)m->tok_embd->data + (size_t)batch->tokens[b] * emb_rb, c->x + (size_t)b * dim, dim);
    }

    for (int l = 0; l < hp->n_layer; l++) {
        const sx_layer *L = &m->layers[l];
        PH(PH_NORM);
        if (l == 0) rows(ctx, c, batch, ROWS_ADD_NORM, n, NULL, L->attn_norm, 0, (size_t)dim); /* later layers: fused below */
        mm_op qkv[3] = { { L->wq, L->bq, c->q, q_dim }, { L->wk, L->bk, c->k, kv_dim }, { L->wv, L->bv, c->v, kv_dim } };
        PH(PH_QKV);
        matmul(c, c->xb, n, dim, qkv, 3);
        PH(PH_ROPE);
        rows(ctx, c, batch, ROWS_ROPE_KV, n, NULL, NULL, (size_t)l * c->n_cells * c->cell_bytes, (size_t)(q_dim + 3 * kv_dim));
        /* Tiles: runs of up to ATT_TILE rows of one sequence at consecutive positions. Enough tasks for every thread
         * to have two, but whole tiles where there are that many tiles. */
        PH(PH_ATTN);
        int n_tiles = 0;
        for (int b = 0; b < n; b++)
            if (b == 0 || batch->seq_id[b] != batch->seq_id[b - 1] || batch->pos[b] != batch->pos[b - 1] + 1 || b - c->tiles[n_tiles - 1] == c->att_tile)
                c->tiles[n_tiles++] = b;
        c->tiles[n_tiles] = n;
        const int nth2 = 2 * c->n_threads;
        const int per_tile = n_tiles >= nth2 ? 1 : ((nth2 + n_tiles - 1) / n_tiles < hp->n_head_kv ? (nth2 + n_tiles - 1) / n_tiles : hp->n_head_kv);
        const int kv_per = (hp->n_head_kv + per_tile - 1) / per_tile, tasks_per_tile = (hp->n_head_kv + kv_per - 1) / kv_per;
        att_job aj = { ctx, c, batch, l, n_tiles * tasks_per_tile, kv_per, tasks_per_tile, c->tiles, 0 };
        atomic_init(&aj.next, 0);
        int att_work = 0; for (int b = 0; b < n; b++) att_work += (batch->pos[b] + 1) * hp->n_head * hd;
        sx_pool_run(c->pool, att_task, &aj, att_work < 65536 ? 1 : c->n_threads);
        mm_op wo = { L->wo, NULL, c->hb, dim };  /* hb as temporary (n, dim) */
        PH(PH_WO);
        matmul(c, c->xb, n, q_dim, &wo, 1);
        PH(PH_NORM);
        rows(ctx, c, batch, ROWS_ADD_NORM, n, c->hb, L->ffn_norm, 0, (size_t)dim);
        mm_op gu[2] = { { L->w_gate, NULL, c->hb, ff }, { L->w_up, NULL, c->hb2, ff } };
        PH(PH_GATEUP);
        matmul(c, c->xb, n, dim, gu, 2);
        PH(PH_SWIGLU);
        rows(ctx, c, batch, ROWS_SWIGLU, n, NULL, NULL, 0, (size_t)ff * 8);
        mm_op down = { L->w_down, NULL, c->xb, dim };
        PH(PH_DOWN);
        matmul(c, c->hb, n, ff, &down, 1);
        PH(PH_NORM);
        /* x += down output (in xb, read before xb is overwritten row by row), then the next layer's input norm */
        rows(ctx, c, batch, ROWS_ADD_NORM, n, c->xb, l + 1 < hp->n_layer ? m->layers[l + 1].attn_norm : NULL, 0, (size_t)dim);
    }
    PH(PH_OUT);
    for (int k = 0; k < ctx->n_outputs; k++) {
        int b = ctx->out_rows[k];
        sx_kernels_get()->add_rmsnorm(c->out_x + (size_t)k * dim, c->x + (size_t)b * dim, NULL, m->output_norm->data, dim, hp->norm_eps);
    }
    if (ctx->n_outputs > 0) {
        mm_op out = { m->output, NULL, ctx->logits, hp->n_vocab };
        matmul(c, c->out_x, ctx->n_outputs, dim, &out, 1);
    }
    PH_END;
    return SX_OK;
}

/* ---- lifecycle ---- */

/* Norm vectors and biases may be F16/BF16 in the file; the step loop wants F32, so convert once. */
static sx_status to_f32(sx_model *m, sx_tensor *t) {
    if (!t || t->type == SX_F32) return SX_OK;
    int64_t n = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
    float *f = sx_model_own(m, sizeof(float) * (size_t)n);
    if (!f) return sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory", m->path);
    sx_dequant_row(t->type, t->data, f, (int)n);
    t->data = f; t->type = SX_F32; t->nbytes = sizeof(float) * (size_t)n;
    return SX_OK;
}

/* Large arrays every step streams through (repacked weights, the KV cache) are placed on 2 MiB boundaries and marked
 * for transparent huge pages (the kernel's default here is "madvise"): with 4 KiB pages a step touches tens of
 * thousands of pages, each a TLB miss and a stop for the hardware prefetchers, which do not cross pages. calloc of this
 * size maps fresh zero pages, so the advice comes before the first touch. Returns the aligned start in [*base, ...). */
#define HUGE_BYTES ((size_t)2 << 20)
static void *huge_align(void *base, size_t bytes) {
    if (!base) return NULL;
    const long page = sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)base + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
    madvise((void *)a, (bytes + (size_t)page - 1) & ~(size_t)(page - 1), MADV_HUGEPAGE); /* advice: failure is harmless */
    return (void *)a;
}

static int repackable(const sx_tensor *t) {
    return t && t->type == SX_Q8_0 && sx_kernels_get()->quant[SX_Q8_0X16] && t->ne[1] % 16 == 0 && t->ne[0] % QK8_0 == 0;
}

/* Where the CPU has AVX-512 VNNI, Q8_0 matrices take the SX_Q8_0X16 layout (kernels_vnni.c) in memory of our own (the
 * next bytes of the arena, else an allocation of their own); the file's pages are then dropped from this process (the
 * mapping stays, nothing reads those pages again). */
static sx_status repack_q8_0(sx_model *m, sx_tensor *t, uint8_t **arena, size_t *arena_left) {
    if (!repackable(t)) return SX_OK;
    const size_t need = (t->nbytes + 63) & ~(size_t)63;
    void *dst;
    if (*arena && *arena_left >= need) { dst = *arena; *arena += need; *arena_left -= need; }
    else if (!(dst = sx_model_own(m, t->nbytes))) return sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory to repack %s", m->path, t->name);
    sx_repack_q8_0x16(t->data, dst, t->ne[1] * t->ne[2] * t->ne[3], (int)t->ne[0]);
    const long page = sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)t->data + page - 1) & ~(uintptr_t)(page - 1), hi = ((uintptr_t)t->data + t->nbytes) & ~(uintptr_t)(page - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
    t->data = dst; t->type = SX_Q8_0X16;
    return SX_OK;
}

static sx_status cpu_model_init(sx_model *m, int device) {
    sx_kernels_get();
    sx_status st = to_f32(m, m->output_norm);
    /* one arena for every matrix to repack (a tensor listed twice only wastes its size) */
    size_t total = repackable(m->output) ? (m->output->nbytes + 63) & ~(size_t)63 : 0;
    for (int l = 0; l < m->hp.n_layer; l++) {
        sx_layer *L = &m->layers[l];
        sx_tensor *mats[] = { L->wq, L->wk, L->wv, L->wo, L->w_gate, L->w_up, L->w_down };
        for (size_t i = 0; i < sizeof mats / sizeof *mats; i++) if (repackable(mats[i])) total += (mats[i]->nbytes + 63) & ~(size_t)63;
    }
    uint8_t *arena = total ? huge_align(sx_model_own(m, total + HUGE_BYTES), total) : NULL;
    size_t left = arena ? total : 0;
    if (!st) st = repack_q8_0(m, m->output, &arena, &left); /* tied: also the embedding table, read back by sx_get_row_q8_0x16 */
    for (int l = 0; l < m->hp.n_layer && !st; l++) {
        sx_layer *L = &m->layers[l];
        sx_tensor *mats[] = { L->wq, L->wk, L->wv, L->wo, L->w_gate, L->w_up, L->w_down };
        for (size_t i = 0; i < sizeof mats / sizeof *mats && !st; i++) st = repack_q8_0(m, mats[i], &arena, &left);
    }
    for (int l = 0; l < m->hp.n_layer && !st; l++) {
        sx_layer *L = &m->layers[l];
        if ((st = to_f32(m, L->attn_norm)) || (st = to_f32(m, L->ffn_norm)) || (st = to_f32(m, L->bq)) || (st = to_f32(m, L->bk)) || (st = to_f32(m, L->bv))) break;
    }
    return st;
}

static void cpu_context_free(sx_context *ctx) {
    cpu_ctx *c = ctx->backend_state;
    if (!c) return;
#ifdef SX_PROFILE
    ph_report();
#endif
    sx_pool_free(c->pool);
    free(c->k_alloc); free(c->v_alloc); free(c->x); free(c->xb); free(c->q); free(c->k); free(c->v);
    free(c->hb); free(c->hb2); free(c->out_x); free(c->rope_cs); free(c->scores); free(c->tiles);
    for (int i = 0; i < ACT_KINDS; i++) free(c->act[i]);
    free(c);
    ctx->backend_state = NULL;
}

static sx_status cpu_context_init(sx_context *ctx) {
    const sx_hparams *hp = &ctx->model->hp;
    cpu_ctx *c = calloc(1, sizeof *c);
    if (!c) return sx_set_error(SX_ERR_NO_MEMORY, "out of memory for a context");
    ctx->backend_state = c;
    c->n_threads = ctx->params.n_threads > 0 ? ctx->params.n_threads : online_cores();
    c->pool = sx_pool_create(c->n_threads);
    c->n_cells = ctx->n_blocks * ctx->params.kv_block_size;
    const size_t nb = (size_t)ctx->params.n_batch_max, dim = (size_t)hp->n_embd, hd = (size_t)hp->head_dim;
    const size_t q_dim = hp->n_head * hd, kv_dim = hp->n_head_kv * hd, ff = (size_t)hp->n_ff;
    const size_t kmax = dim > q_dim ? (dim > ff ? dim : ff) : (q_dim > ff ? q_dim : ff);
    const size_t max_len = (size_t)ctx->max_blocks_per_seq * ctx->params.kv_block_size;
    c->kv_type = ctx->params.kv_type;
    if (c->kv_type == SX_Q8_0 && hd % QK8_0 != 0) {
        cpu_context_free(ctx);
        return sx_set_error(SX_ERR_ARGUMENT, "a Q8_0 KV cache needs a head dimension that is a multiple of %d; this model's is %d (use F16)",
                            QK8_0, (int)hd);
    }
    c->cell_bytes = c->kv_type == SX_Q8_0 ? kv_dim / QK8_0 * sizeof(block_q8_0) : kv_dim * (c->kv_type == SX_F16 ? 2 : 4);
    const size_t head_bytes = c->cell_bytes / hp->n_head_kv, bsz = (size_t)ctx->params.kv_block_size;
    c->lay = (sx_kv_layout){ .block = bsz * c->cell_bytes, .head = bsz * head_bytes, .pos = head_bytes };
    const size_t kv_bytes = (size_t)hp->n_layer * c->n_cells * c->cell_bytes;
    c->k_cache = huge_align(c->k_alloc = calloc(1, kv_bytes + HUGE_BYTES), kv_bytes);
    c->v_cache = huge_align(c->v_alloc = calloc(1, kv_bytes + HUGE_BYTES), kv_bytes);
    /* Touch the caches now (as a GPU engine allocates its KV pool up front): otherwise the first sequences to reach
     * each 2 MiB page pay for faulting and zeroing it inside a step (~9 ms per 128-token prefill on the generated
     * 134M model, a burst of new streams paying it at once). */
    if (c->k_cache && c->v_cache) { memset(c->k_cache, 0, kv_bytes); memset(c->v_cache, 0, kv_bytes); }
    c->x = malloc(sizeof(float) * nb * dim);
    c->xb = malloc(sizeof(float) * nb * (dim > q_dim ? dim : q_dim));
    c->q = malloc(sizeof(float) * nb * q_dim);
    c->k = malloc(sizeof(float) * nb * kv_dim);
    c->v = malloc(sizeof(float) * nb * kv_dim);
    c->hb = malloc(sizeof(float) * nb * (ff > dim ? ff : dim));
    c->hb2 = malloc(sizeof(float) * nb * ff);
    c->out_x = malloc(sizeof(float) * (size_t)ctx->params.n_out_max * dim);
    c->rope_cs = malloc(sizeof(float) * nb * hd);
    const size_t per_row = sizeof(float) * hp->n_head * max_len;
    c->att_tile = per_row * ATT_TILE <= ATT_SCORES_BYTES ? ATT_TILE : (int)(ATT_SCORES_BYTES / per_row) > 1 ? (int)(ATT_SCORES_BYTES / per_row) : 1;
    c->scores = malloc(per_row * (size_t)c->n_threads * c->att_tile);
    c->tiles = malloc(sizeof(int) * (nb + 1));
    c->act[ACT_Q8_0] = malloc(nb * (kmax / QK8_0 + 1) * sizeof(block_q8_0));
    c->act[ACT_Q8_K] = malloc(nb * (kmax / QK_K + 1) * sizeof(block_q8_K));
    c->act[ACT_Q8_0S] = aligned_alloc(64, (nb * (kmax / QK8_0 + 1) * sizeof(block_q8_0s) + 63) & ~(size_t)63); /* whole lines: AMX tiles */
    if (!c->pool || !c->k_cache || !c->v_cache || !c->x || !c->xb || !c->q || !c->k || !c->v || !c->hb || !c->hb2 || !c->out_x || !c->rope_cs
        || !c->scores || !c->tiles || !c->act[ACT_Q8_0] || !c->act[ACT_Q8_K] || !c->act[ACT_Q8_0S]) {
        cpu_context_free(ctx);
        return sx_set_error(SX_ERR_NO_MEMORY, "out of memory for a context of %d cells", c ? ctx->n_blocks * ctx->params.kv_block_size : 0);
    }
    return SX_OK;
}

static sx_status cpu_kv_copy_block(sx_context *ctx, int32_t src, int32_t dst) {
    cpu_ctx *c = ctx->backend_state; const sx_hparams *hp = &ctx->model->hp;
    const size_t block_bytes = (size_t)ctx->params.kv_block_size * c->cell_bytes;
    for (int l = 0; l < hp->n_layer; l++) {
        const size_t base = (size_t)l * c->n_cells * c->cell_bytes;
        memcpy((char *)c->k_cache + base + dst * block_bytes, (char *)c->k_cache + base + src * block_bytes, block_bytes);
        memcpy((char *)c->v_cache + base + dst * block_bytes, (char *)c->v_cache + base + src * block_bytes, block_bytes);
    }
    return SX_OK;
}

static const sx_backend cpu_backend = {
    SX_BACKEND_ABI, "cpu", cpu_model_init, NULL, cpu_context_init, cpu_context_free, cpu_decode, cpu_kv_copy_block
};

const sx_backend *sx_backend_cpu(void) { return &cpu_backend; }
