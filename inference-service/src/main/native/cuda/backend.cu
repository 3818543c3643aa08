/*
 * backend.cu — the CUDA backend (libsextant_cuda.so): fills the sx_backend table of ../src/backend.h.
 *
 * Weights are uploaded once into one device allocation (q|k|v and gate|up stacked when their dtypes agree, so one
 * launch computes them); each context owns one more allocation for the f16 paged KV cache and all scratch. A step:
 *   embed → per layer [QKV(+RMSNorm, +RoPE, → KV cache) → attention → O(+residual) → gate|up(+RMSNorm, SwiGLU)
 *   → down(+residual)] → output RMSNorm → logits → host.
 * Single-token steps run the fused matvec kernels (5 launches per layer); up to 8 tokens per tile otherwise;
 * 16+ tokens with F32/F16/BF16 weights go through cuBLAS. Steps without cuBLAS are captured once per shape
 * (tokens, outputs, attention splits) into a CUDA graph and replayed.
 */
#include "common.cuh"
#include "matvec.cuh"
#include "norm.cuh"
#include "rope.cuh"
#include "swiglu.cuh"
#include "attention.cuh"
#include "decode1.cuh"
#include "get_rows.cuh"
#include "sample.cuh"
#include "cublas_dl.cuh"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <math.h>

extern "C" {
#include "backend.h"
}

#define SX_CUDA_API extern "C" __attribute__((visibility("default")))

static __thread char g_err[512];
static sx_status cu_err(sx_status s, const char *fmt, ...) {
    va_list ap; va_start(ap, fmt); vsnprintf(g_err, sizeof g_err, fmt, ap); va_end(ap);
    return s;
}
/* The last error of this library on the calling thread (the core reads it through dlsym). */
SX_CUDA_API const char *sx_cuda_last_error(void) { return g_err; }

#define CK(call, what) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) \
    return cu_err(e_ == cudaErrorMemoryAllocation ? SX_ERR_NO_MEMORY : SX_ERR_BACKEND, "cuda: %s: %s", what, cudaGetErrorString(e_)); } while (0)

typedef struct cu_mat { const uint8_t *d; int type, rows, K; size_t row_bytes; } cu_mat;
typedef struct cu_layer {
    cu_mat qkv, q, k, v;   /* qkv valid when qkv_fused */
    cu_mat gu, gate, up;   /* gu valid when gu_fused */
    cu_mat o, down;
    int qkv_fused, gu_fused;
    float *attn_norm, *ffn_norm, *bqkv;
} cu_layer;

typedef struct cu_model {
    int device;
    uint8_t *pool; size_t pool_size, pool_used;
    cu_layer *L;
    cu_mat emb, out;
    float *out_norm, *inv_freq;
    int blas_type;         /* common float dtype of all layer matrices, or -1 */
    int d1_type;           /* dtype of every layer matrix when the whole-step decode kernel can run them, or -1 */
    sx_d1_layer *d1_layers; /* device: its per-layer table */
} cu_model;

#define SX_MAX_GRAPHS 24
typedef struct cu_graph { int n, n_out, n_split; cudaGraphExec_t exec; int seen; } cu_graph;

enum { PF_EMBED, PF_QKV, PF_ATTN, PF_O, PF_FFN_UP, PF_DOWN, PF_OUT, PF_COPY, PF_LAYERS, PF_N };
static const char *pf_name[PF_N] = { "embed", "qkv(+norm,rope,kv)", "attention", "o(+resid)", "gate|up(+norm,swiglu)", "down(+resid)", "output(norm,lm_head)", "logits to host", "all layers (whole-step kernel)" };
typedef struct cu_ctx {
    cudaStream_t st;
    sx_cublas_handle blas;
    uint8_t *pool; size_t pool_size;
    __half *kc, *vc;       /* (n_layer, cells, kv_dim) */
    size_t layer_cells;    /* cells * kv_dim */
    float *x, *xn, *qkv, *q, *att, *gu, *h, *logits, *part_o, *part_ml;
    void *xb;              /* cuBLAS inputs in the weights' float dtype */
    int ld;                /* row stride (floats) of the scratch rows, >= max(dim, qkv width, 2 n_ff), multiple of 8 */
    int *d_in, *h_in;      /* device / pinned host: tokens, pos, seq, cells, out_rows, block table */
    int n_in;
    int max_ctx;           /* positions per sequence */
    cu_graph graphs[SX_MAX_GRAPHS];
    int use_graphs, use_pdl, mv_persistent;
    int use_d1;            /* single-token steps through the whole-step kernel (decode1.cu) */
    unsigned *d1_bar;      /* its barrier words */
    int logits_pinned;     /* ctx->logits registered with cudaHostRegister */
    uint32_t *d_masks; sx_sample_params *d_sparams; int32_t *d_sampled; /* device sampling scratch (n_out_max rows) */
    /* SEXTANT_CUDA_PROFILE=1: eager steps with events between the parts of a step, summed per part */
    int prof, nev;
    cudaEvent_t ev[512]; int evl[512];
    double prof_ms[PF_N]; long prof_steps;
} cu_ctx;

static void prof_mark(cu_ctx *c, int label) { if (c->prof && c->nev < 512) { cudaEventRecord(c->ev[c->nev], c->st); c->evl[c->nev++] = label; } }

static size_t al(size_t v) { return (v + 255) & ~(size_t)255; }
static int up8(int v) { return (v + 7) & ~7; }

static float *tensor_to_f32(const sx_tensor *t, int64_t n) {
    float *f = (float *)malloc(sizeof(float) * (size_t)n);
    if (!f) return NULL;
    for (int64_t i = 0; i < n; i++) {
        if (t->type == SX_F32) f[i] = ((const float *)t->data)[i];
        else if (t->type == SX_F16) { __half_raw r; r.x = ((const uint16_t *)t->data)[i]; f[i] = __half2float(__half(r)); }
        else { uint32_t b = (uint32_t)((const uint16_t *)t->data)[i] << 16; memcpy(&f[i], &b, 4); }
    }
    return f;
}

/* ---- model ---- */

static uint8_t *pool_take(cu_model *cm, size_t bytes) { uint8_t *p = cm->pool + cm->pool_used; cm->pool_used += al(bytes); return p; }

static sx_status upload_mat(cu_model *cm, cu_mat *m, const sx_tensor *t0, const sx_tensor *t1, const sx_tensor *t2) {
    const sx_tensor *ts[3] = { t0, t1, t2 };
    int rows = 0;
    for (int i = 0; i < 3; i++) if (ts[i]) rows += (int)(ts[i]->ne[1] * (ts[i]->n_dims > 2 ? ts[i]->ne[2] : 1));
    m->type = t0->type; m->K = (int)t0->ne[0]; m->rows = rows; m->row_bytes = sx_cu_row_bytes(t0->type, t0->ne[0]);
    uint8_t *d = pool_take(cm, m->row_bytes * rows);
    m->d = d;
    for (int i = 0; i < 3; i++) if (ts[i]) { CK(cudaMemcpy(d, ts[i]->data, ts[i]->nbytes, cudaMemcpyHostToDevice), "upload"); d += ts[i]->nbytes; }
    return SX_OK;
}

static sx_status upload_vec(cu_model *cm, float **dst, const sx_tensor *t, int64_t n, int64_t pad) {
    float *f = tensor_to_f32(t, n);
    if (!f) return cu_err(SX_ERR_NO_MEMORY, "cuda: host out of memory");
    *dst = (float *)pool_take(cm, sizeof(float) * (size_t)(n + pad));
    cudaError_t e = cudaMemcpy(*dst, f, sizeof(float) * (size_t)n, cudaMemcpyHostToDevice);
    free(f);
    CK(e, "upload");
    return SX_OK;
}

static void cu_model_free(sx_model *model) {
    cu_model *cm = (cu_model *)model->backend_state;
    if (!cm) return;
    cudaSetDevice(cm->device);
    cudaFree(cm->pool);
    free(cm->L);
    free(cm);
    model->backend_state = NULL;
}

static int same_type3(const sx_tensor *a, const sx_tensor *b, const sx_tensor *c) { return a->type == b->type && (!c || b->type == c->type); }

static sx_status cu_model_init(sx_model *model, int device) {
    const sx_hparams *hp = &model->hp;
    int n_dev = 0;
    cudaError_t e = cudaGetDeviceCount(&n_dev);
    if (e != cudaSuccess || n_dev == 0)
        return cu_err(SX_ERR_BACKEND, "cuda: no usable GPU (%s)", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
    if (device < 0 || device >= n_dev) return cu_err(SX_ERR_ARGUMENT, "cuda: device %d out of range (0..%d)", device, n_dev - 1);
    CK(cudaSetDevice(device), "set device");
    if (hp->head_dim % 8) return cu_err(SX_ERR_UNSUPPORTED, "%s: cuda backend needs head_dim % 8 == 0 (got %d)", model->path, hp->head_dim);
    /* every matrix dtype must be supported and quantized rows whole blocks */
    size_t total = 0;
    for (int i = 0; i < model->n_tensors; i++) {
        const sx_tensor *t = &model->tensors[i];
        if (!sx_cu_supported(t->type)) return cu_err(SX_ERR_UNSUPPORTED, "%s: tensor '%s': dtype %d not supported by the cuda backend", model->path, t->name, (int)t->type);
        if ((t->type == SX_F16 || t->type == SX_BF16) && t->ne[1] > 1 && t->ne[0] % 8)
            return cu_err(SX_ERR_UNSUPPORTED, "%s: tensor '%s': F16/BF16 rows of %lld elements (the cuda backend needs a multiple of 8)", model->path, t->name, (long long)t->ne[0]);
        if (t->type == SX_F32 && t->ne[1] > 1 && t->ne[0] % 4)
            return cu_err(SX_ERR_UNSUPPORTED, "%s: tensor '%s': F32 rows of %lld elements (the cuda backend needs a multiple of 4)", model->path, t->name, (long long)t->ne[0]);
        total += al(t->nbytes) + al((size_t)t->ne[0] * 4 * 2);
    }
    total += al(sizeof(float) * hp->head_dim) + (size_t)hp->n_layer * 4 * 256 + al(sizeof(sx_d1_layer) * (size_t)hp->n_layer) + (1 << 20);
    cu_model *cm = (cu_model *)calloc(1, sizeof *cm);
    if (!cm) return cu_err(SX_ERR_NO_MEMORY, "cuda: host out of memory");
    cm->device = device;
    cm->L = (cu_layer *)calloc((size_t)hp->n_layer, sizeof(cu_layer));
    e = cudaMalloc(&cm->pool, total);
    if (e != cudaSuccess || !cm->L) {
        free(cm->L); free(cm);
        return cu_err(SX_ERR_NO_MEMORY, "%s: cuda: out of device memory for the weights (%.2f GiB): %s", model->path, total / 1073741824.0, cudaGetErrorString(e));
    }
    cm->pool_size = total;
    model->backend_state = cm;
    sx_status s;
#define TRY(x) if ((s = (x)) != SX_OK) { cu_model_free(model); return s; }
    int blas_type = -2;
    for (int l = 0; l < hp->n_layer; l++) {
        const sx_layer *L = &model->layers[l];
        cu_layer *C = &cm->L[l];
        C->qkv_fused = same_type3(L->wq, L->wk, L->wv);
        if (C->qkv_fused) { TRY(upload_mat(cm, &C->qkv, L->wq, L->wk, L->wv)); }
        else { TRY(upload_mat(cm, &C->q, L->wq, NULL, NULL)); TRY(upload_mat(cm, &C->k, L->wk, NULL, NULL)); TRY(upload_mat(cm, &C->v, L->wv, NULL, NULL)); }
        C->gu_fused = same_type3(L->w_gate, L->w_up, NULL);
        if (C->gu_fused) { TRY(upload_mat(cm, &C->gu, L->w_gate, L->w_up, NULL)); }
        else { TRY(upload_mat(cm, &C->gate, L->w_gate, NULL, NULL)); TRY(upload_mat(cm, &C->up, L->w_up, NULL, NULL)); }
        TRY(upload_mat(cm, &C->o, L->wo, NULL, NULL));
        TRY(upload_mat(cm, &C->down, L->w_down, NULL, NULL));
        TRY(upload_vec(cm, &C->attn_norm, L->attn_norm, hp->n_embd, 0));
        TRY(upload_vec(cm, &C->ffn_norm, L->ffn_norm, hp->n_embd, 0));
        if (L->bq && L->bk && L->bv) {
            int qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim;
            float *b = (float *)malloc(sizeof(float) * (size_t)(qd + 2 * kvd));
            float *b0 = tensor_to_f32(L->bq, qd), *b1 = tensor_to_f32(L->bk, kvd), *b2 = tensor_to_f32(L->bv, kvd);
            if (!b || !b0 || !b1 || !b2) { free(b); free(b0); free(b1); free(b2); cu_model_free(model); return cu_err(SX_ERR_NO_MEMORY, "cuda: host out of memory"); }
            memcpy(b, b0, sizeof(float) * qd); memcpy(b + qd, b1, sizeof(float) * kvd); memcpy(b + qd + kvd, b2, sizeof(float) * kvd);
            C->bqkv = (float *)pool_take(cm, sizeof(float) * (size_t)(qd + 2 * kvd));
            cudaError_t ce = cudaMemcpy(C->bqkv, b, sizeof(float) * (size_t)(qd + 2 * kvd), cudaMemcpyHostToDevice);
            free(b); free(b0); free(b1); free(b2);
            if (ce != cudaSuccess) { cu_model_free(model); return cu_err(SX_ERR_BACKEND, "cuda: upload: %s", cudaGetErrorString(ce)); }
        }
        const sx_tensor *mats[7] = { L->wq, L->wk, L->wv, L->wo, L->w_gate, L->w_up, L->w_down };
        for (int i = 0; i < 7; i++) {
            int t = mats[i]->type, f = t == SX_F32 || t == SX_F16 || t == SX_BF16;
            if (blas_type == -2) blas_type = f ? t : -1;
            else if (blas_type != t) blas_type = -1;
        }
    }
    cm->blas_type = blas_type < 0 ? -1 : blas_type;
    /* the whole-step decode kernel: every layer matrix in one dtype it reads, q|k|v and gate|up stacked */
    cm->d1_type = -1;
    {
        const int t0 = cm->L[0].qkv_fused ? cm->L[0].qkv.type : -1;
        int ok = t0 >= 0 && sx_decode1_supported(t0) && hp->head_dim <= 256 && hp->n_embd % 4 == 0 && hp->n_ff % 4 == 0;
        for (int l = 0; ok && l < hp->n_layer; l++) {
            const cu_layer *C = &cm->L[l];
            ok = C->qkv_fused && C->gu_fused && C->qkv.type == t0 && C->o.type == t0 && C->gu.type == t0 && C->down.type == t0;
        }
        if (ok) {
            sx_d1_layer *h = (sx_d1_layer *)calloc((size_t)hp->n_layer, sizeof *h);
            if (!h) { cu_model_free(model); return cu_err(SX_ERR_NO_MEMORY, "cuda: host out of memory"); }
            for (int l = 0; l < hp->n_layer; l++) {
                const cu_layer *C = &cm->L[l];
                h[l].qkv = C->qkv.d; h[l].o = C->o.d; h[l].gu = C->gu.d; h[l].down = C->down.d;
                h[l].attn_norm = C->attn_norm; h[l].ffn_norm = C->ffn_norm; h[l].bqkv = C->bqkv;
            }
            cm->d1_layers = (sx_d1_layer *)pool_take(cm, sizeof(sx_d1_layer) * (size_t)hp->n_layer);
            e = cudaMemcpy(cm->d1_layers, h, sizeof(sx_d1_layer) * (size_t)hp->n_layer, cudaMemcpyHostToDevice);
            free(h);
            if (e != cudaSuccess) { cu_model_free(model); return cu_err(SX_ERR_BACKEND, "cuda: upload: %s", cudaGetErrorString(e)); }
            cm->d1_type = t0;
        }
    }
    TRY(upload_mat(cm, &cm->emb, model->tok_embd, NULL, NULL));
    if (model->output == model->tok_embd) cm->out = cm->emb;
    else TRY(upload_mat(cm, &cm->out, model->output, NULL, NULL));
    TRY(upload_vec(cm, &cm->out_norm, model->output_norm, hp->n_embd, 0));
    cm->inv_freq = (float *)pool_take(cm, sizeof(float) * (size_t)hp->head_dim);
    e = cudaMemcpy(cm->inv_freq, model->inv_freq, sizeof(float) * (size_t)(hp->head_dim / 2), cudaMemcpyHostToDevice);
    if (e != cudaSuccess) { cu_model_free(model); return cu_err(SX_ERR_BACKEND, "cuda: upload: %s", cudaGetErrorString(e)); }
    if (cm->pool_used > cm->pool_size) { cu_model_free(model); return cu_err(SX_ERR_INTERNAL, "cuda: weight pool overflow"); }
#undef TRY
    return SX_OK;
}

/* ---- context ---- */

static void cu_context_free(sx_context *ctx) {
    cu_ctx *c = (cu_ctx *)ctx->backend_state;
    if (!c) return;
    for (int i = 0; i < SX_MAX_GRAPHS; i++) if (c->graphs[i].exec) cudaGraphExecDestroy(c->graphs[i].exec);
    if (c->prof) for (int i = 0; i < 512; i++) cudaEventDestroy(c->ev[i]);
    if (c->logits_pinned) cudaHostUnregister(ctx->logits);
    if (c->blas) sx_cublas()->destroy(c->blas);
    if (c->st) cudaStreamDestroy(c->st);
    cudaFree(c->pool);
    cudaFreeHost(c->h_in);
    free(c);
    ctx->backend_state = NULL;
}

static sx_status cu_context_init(sx_context *ctx) {
    const sx_model *m = ctx->model;
    const cu_model *cm = (const cu_model *)m->backend_state;
    const sx_hparams *hp = &m->hp;
    if (ctx->params.kv_type == SX_Q8_0) /* F32/F16 both mean the device's F16 cache; there is no Q8_0 cache here */
        return cu_err(SX_ERR_ARGUMENT, "cuda: the KV cache on the GPU is F16; a Q8_0 KV cache is CPU-only");
    CK(cudaSetDevice(cm->device), "set device");
    cu_ctx *c = (cu_ctx *)calloc(1, sizeof *c);
    if (!c) return cu_err(SX_ERR_NO_MEMORY, "cuda: host out of memory");
    ctx->backend_state = c;
    const int B = ctx->params.n_batch_max, O = ctx->params.n_out_max > 0 ? ctx->params.n_out_max : B;
    const int qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim;
    int ld = hp->n_embd; if (qd + 2 * kvd > ld) ld = qd + 2 * kvd; if (2 * hp->n_ff > ld) ld = 2 * hp->n_ff;
    c->ld = up8(ld);
    const size_t cells = (size_t)ctx->n_blocks * ctx->params.kv_block_size;
    c->layer_cells = cells * kvd;
    c->max_ctx = ctx->max_blocks_per_seq * ctx->params.kv_block_size;
    /* attention partials: decode-sized steps split by 64 positions, larger ones by 256 */
    const int Bd = B < 64 ? B : 64;
    size_t rs1 = (size_t)Bd * ((c->max_ctx + SX_ATTN_CHUNK_DECODE - 1) / SX_ATTN_CHUNK_DECODE);
    size_t rs2 = (size_t)B * ((c->max_ctx + SX_ATTN_CHUNK_PREFILL - 1) / SX_ATTN_CHUNK_PREFILL);
    const size_t row_splits = rs1 > rs2 ? rs1 : rs2;
    const int words = (hp->n_vocab + 31) / 32;
    c->n_in = 4 * B + O + ctx->params.n_seq_max * ctx->max_blocks_per_seq;
    const size_t rowb = sizeof(float) * (size_t)B * c->ld;
    size_t sizes[] = {
        sizeof(__half) * c->layer_cells * hp->n_layer, sizeof(__half) * c->layer_cells * hp->n_layer, /* kc, vc */
        rowb, rowb, rowb, rowb, rowb, rowb, rowb,                           /* x xn qkv q att gu h */
        sizeof(float) * (size_t)O * hp->n_vocab,                            /* logits */
        sizeof(float) * row_splits * hp->n_head * hp->head_dim,             /* part_o */
        sizeof(float) * row_splits * hp->n_head * 2,                        /* part_ml */
        rowb,                                                               /* xb */
        sizeof(int) * (size_t)c->n_in,
        sizeof(uint32_t) * (size_t)O * words, sizeof(sx_sample_params) * (size_t)O, sizeof(int32_t) * (size_t)O,
        sizeof(unsigned) * (size_t)sx_decode1_bar_words(hp->n_head),      /* d1_bar */
    };
    const int ns = (int)(sizeof sizes / sizeof sizes[0]);
    size_t total = 0; for (int i = 0; i < ns; i++) total += al(sizes[i]);
    cudaError_t e = cudaMalloc(&c->pool, total);
    if (e != cudaSuccess) {
        cu_context_free(ctx);
        return cu_err(SX_ERR_NO_MEMORY, "cuda: out of device memory for the KV cache and scratch (%.2f GiB for %zu cells): %s",
                      total / 1073741824.0, cells, cudaGetErrorString(e));
    }
    c->pool_size = total;
    void **ptrs[] = { (void **)&c->kc, (void **)&c->vc, (void **)&c->x, (void **)&c->xn, (void **)&c->qkv, (void **)&c->q,
                      (void **)&c->att, (void **)&c->gu, (void **)&c->h, (void **)&c->logits, (void **)&c->part_o,
                      (void **)&c->part_ml, (void **)&c->xb, (void **)&c->d_in, (void **)&c->d_masks, (void **)&c->d_sparams,
                      (void **)&c->d_sampled, (void **)&c->d1_bar };
    size_t off = 0;
    for (int i = 0; i < ns; i++) { *ptrs[i] = c->pool + off; off += al(sizes[i]); }
    CK(cudaMemset(c->pool, 0, total), "memset");
    CK(cudaMallocHost(&c->h_in, sizeof(int) * (size_t)c->n_in), "pinned staging");
    CK(cudaStreamCreateWithFlags(&c->st, cudaStreamNonBlocking), "stream");
    if (cm->blas_type >= 0 || cm->out.type == SX_F32 || cm->out.type == SX_F16 || cm->out.type == SX_BF16) {
        const sx_cublas_api *cb = sx_cublas(); /* absent: the matvec kernels serve every batch */
        if (cb && cb->create(&c->blas) == 0) cb->set_stream(c->blas, c->st);
        else c->blas = NULL;
    }
    const char *g = getenv("SEXTANT_CUDA_GRAPHS"), *pe = getenv("SEXTANT_CUDA_PROFILE");
    c->use_graphs = !(g && g[0] == '0');
    const char *pm = getenv("SEXTANT_CUDA_MV_PERSISTENT");
    c->mv_persistent = !(pm && pm[0] == '0');
    const char *pd = getenv("SEXTANT_CUDA_PDL");
    int major = 0; cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, cm->device);
    /* H200, 0.85B BF16, batch 1, with the resident-size matvec grids: 1059-1063 tok/s with PDL, 979 without */
    c->use_pdl = major >= 9 && !(pd && pd[0] == '0');
    /* opt-in until it is faster: on an H200 (0.85B BF16, batch 1) its first version ran 761 tok/s against 1055 for the
       per-op kernels in a CUDA graph, with identical greedy ids (scripts/gpu/kernel-lab.sh has the next experiments) */
    const char *mk = getenv("SEXTANT_CUDA_MEGAKERNEL");
    c->use_d1 = cm->d1_type >= 0 && mk && mk[0] == '1';
    if (pe && pe[0] == '1') { c->prof = 1; c->use_graphs = 0; for (int i = 0; i < 512; i++) cudaEventCreate(&c->ev[i]); }
    /* pinned logits: the per-step copy to the host runs at DMA speed */
    if (cudaHostRegister(ctx->logits, sizeof(float) * (size_t)O * hp->n_vocab, cudaHostRegisterDefault) == cudaSuccess) c->logits_pinned = 1;
    else cudaGetLastError();
    return SX_OK;
}

/* ---- one step ---- */

typedef struct step {
    const sx_model *m; const cu_model *cm; cu_ctx *c;
    int n, n_out, n_split, blas;
    int d1;                /* through the whole-step decode kernel */
    int *tok, *pos, *seq, *cells, *out_rows, *bt;
    int max_blocks, bs;
} step;

static cudaDataType_t cuda_type(int t) { return t == SX_F32 ? CUDA_R_32F : t == SX_F16 ? CUDA_R_16F : CUDA_R_16BF; }

/* C[t][r] (ldc) = beta * C + W · X[t], X in W's float dtype with row stride ldx. */
static cudaError_t gemm(const step *s, const cu_mat *w, const void *x, int ldx, int n, float *C, int ldc, float beta) {
    const float alpha = 1.f;
    int r = sx_cublas()->gemm_ex(s->c->blas, SX_CUBLAS_OP_T, SX_CUBLAS_OP_N, w->rows, n, w->K, &alpha, w->d, cuda_type(w->type), w->K,
                                 x, cuda_type(w->type), ldx, &beta, C, CUDA_R_32F, ldc, SX_CUBLAS_COMPUTE_32F, SX_CUBLAS_GEMM_DEFAULT);
    return r == 0 ? cudaSuccess : cudaErrorUnknown;
}

/* Matrix × the n rows of x (row stride ldx) in tiles of 8 with an epilogue. */
static cudaError_t mv(const step *s, const cu_mat *w, int ep, const float *x, int ldx, const int *x_rows, float *y, int ldy,
                      const float *norm_w, const cu_layer *L, int layer, int n) {
    const sx_hparams *hp = &s->m->hp;
    sx_mv_args a;
    memset(&a, 0, sizeof a);
    a.w = w->d; a.row_bytes = w->row_bytes; a.type = w->type; a.K = w->K; a.rows = w->rows;
    a.n_pairs = sx_mv_pairs(ep, w->rows);
    a.x_stride = ldx; a.y_stride = ldy; a.norm_w = norm_w; a.eps = hp->norm_eps;
    a.q_dim = hp->n_head * hp->head_dim; a.kv_dim = hp->n_head_kv * hp->head_dim; a.head_dim = hp->head_dim;
    a.rope_neox = hp->rope_kind == SX_ROPE_NEOX; a.inv_freq = s->cm->inv_freq; a.bias = L ? L->bqkv : NULL;
    if (ep == EP_QKV) { a.kc = s->c->kc + (size_t)layer * s->c->layer_cells; a.vc = s->c->vc + (size_t)layer * s->c->layer_cells; }
    /* K split so that at least ~4 warps per SM-slot are busy on small matrices */
    a.ks = a.n_pairs >= 1024 ? 2 : a.n_pairs >= 256 ? 4 : 8; /* measured on H200: K split 2 is best from 2K rows up */
    a.pdl = s->c->use_pdl;
    a.prefetch = a.persistent = s->c->mv_persistent;
    for (int t0 = 0; t0 < n; t0 += 8) {
        a.n_tok = n - t0 < 8 ? n - t0 : 8;
        if (n == 1) a.n_tok = 1;
        a.x = x_rows ? x : x + (size_t)t0 * ldx;
        a.x_rows = x_rows ? x_rows + t0 : NULL;
        a.y = y + (size_t)t0 * ldy;
        a.pos = s->pos + t0; a.cells = s->cells + t0;
        cudaError_t e = sx_mv_launch(a, ep, norm_w != NULL, s->c->st);
        if (e != cudaSuccess) return e;
    }
    return cudaSuccess;
}

#define CE(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) return e_; } while (0)

static cudaError_t forward(const step *s) {
    const sx_model *m = s->m; const cu_model *cm = s->cm; cu_ctx *c = s->c; const sx_hparams *hp = &m->hp;
    const int n = s->n, ld = c->ld, dim = hp->n_embd, qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim;
    const int width = qd + 2 * kvd, nff = hp->n_ff, bt = cm->blas_type;
    cudaStream_t st = c->st;
    if (s->d1) { /* one token: embed, every layer in one kernel, then the output rows */
        CE(sx_get_rows(cm->emb.d, cm->emb.type, cm->emb.row_bytes, dim, s->tok, 1, c->x, st));
        prof_mark(c, PF_EMBED);
        sx_d1_args d;
        memset(&d, 0, sizeof d);
        d.layers = cm->d1_layers; d.n_layer = hp->n_layer; d.type = cm->d1_type;
        d.rb_dim = sx_cu_row_bytes(d.type, dim); d.rb_q = sx_cu_row_bytes(d.type, qd); d.rb_ff = sx_cu_row_bytes(d.type, nff);
        d.dim = dim; d.n_ff = nff; d.n_head = hp->n_head; d.n_head_kv = hp->n_head_kv; d.head_dim = hp->head_dim;
        d.q_dim = qd; d.kv_dim = kvd; d.rope_neox = hp->rope_kind == SX_ROPE_NEOX;
        d.eps = hp->norm_eps; d.scale = 1.f / sqrtf((float)hp->head_dim); d.inv_freq = cm->inv_freq;
        d.kc = c->kc; d.vc = c->vc; d.layer_cells = c->layer_cells;
        d.pos = s->pos; d.seq = s->seq; d.cell = s->cells; d.block_table = s->bt; d.max_blocks = s->max_blocks; d.block_size = s->bs;
        d.x = c->x; d.q = c->q; d.att = c->att; d.h = c->h; d.part_o = c->part_o; d.part_ml = c->part_ml;
        d.max_split = (c->max_ctx + SX_D1_CHUNK - 1) / SX_D1_CHUNK;
        d.bar = c->d1_bar;
        CE(sx_decode1(d, st));
        prof_mark(c, PF_LAYERS);
        if (s->n_out == 0) return cudaSuccess;
        return mv(s, &cm->out, EP_STORE, c->x, ld, s->out_rows, c->logits, hp->n_vocab, cm->out_norm, NULL, 0, 1);
    }
    CE(sx_get_rows(cm->emb.d, cm->emb.type, cm->emb.row_bytes, dim, s->tok, n, c->xn, st));
    /* the residual stream x has row stride ld; get_rows wrote dense rows into xn: spread them */
    CE(cudaMemcpy2DAsync(c->x, sizeof(float) * ld, c->xn, sizeof(float) * dim, sizeof(float) * dim, n, cudaMemcpyDeviceToDevice, st));
    prof_mark(c, PF_EMBED);
    sx_attn_args aa;
    memset(&aa, 0, sizeof aa);
    aa.q = c->q; aa.pos = s->pos; aa.seq = s->seq; aa.block_table = s->bt; aa.max_blocks = s->max_blocks; aa.block_size = s->bs;
    aa.n = n; aa.n_head = hp->n_head; aa.n_head_kv = hp->n_head_kv; aa.head_dim = hp->head_dim;
    aa.scale = 1.f / sqrtf((float)hp->head_dim); aa.chunk = sx_attn_chunk(n); aa.n_split = s->n_split; aa.part_o = c->part_o; aa.part_ml = c->part_ml; aa.out = c->att;
    for (int l = 0; l < hp->n_layer; l++) {
        const cu_layer *L = &cm->L[l];
        __half *kc = c->kc + (size_t)l * c->layer_cells, *vc = c->vc + (size_t)l * c->layer_cells;
        /* attention block */
        if (n == 1 && L->qkv_fused) {
            CE(mv(s, &L->qkv, EP_QKV, c->x, ld, NULL, c->q, qd, L->attn_norm, L, l, 1));
        } else if (s->blas) {
            CE(sx_rmsnorm(c->x, ld, NULL, n, dim, L->attn_norm, hp->norm_eps, c->xb, ld, bt, st));
            if (L->qkv_fused) CE(gemm(s, &L->qkv, c->xb, ld, n, c->qkv, width, 0.f));
            else { CE(gemm(s, &L->q, c->xb, ld, n, c->qkv, width, 0.f)); CE(gemm(s, &L->k, c->xb, ld, n, c->qkv + qd, width, 0.f)); CE(gemm(s, &L->v, c->xb, ld, n, c->qkv + qd + kvd, width, 0.f)); }
            CE(sx_rope_kv(c->qkv, n, qd, kvd, hp->head_dim, hp->rope_kind == SX_ROPE_NEOX, cm->inv_freq, L->bqkv, s->pos, s->cells, c->q, kc, vc, st));
        } else {
            CE(sx_rmsnorm(c->x, ld, NULL, n, dim, L->attn_norm, hp->norm_eps, c->xn, ld, SX_F32, st));
            if (L->qkv_fused) CE(mv(s, &L->qkv, EP_QKV, c->xn, ld, NULL, c->q, qd, NULL, L, l, n));
            else {
                CE(mv(s, &L->q, EP_STORE, c->xn, ld, NULL, c->qkv, width, NULL, L, l, n));
                CE(mv(s, &L->k, EP_STORE, c->xn, ld, NULL, c->qkv + qd, width, NULL, L, l, n));
                CE(mv(s, &L->v, EP_STORE, c->xn, ld, NULL, c->qkv + qd + kvd, width, NULL, L, l, n));
                CE(sx_rope_kv(c->qkv, n, qd, kvd, hp->head_dim, hp->rope_kind == SX_ROPE_NEOX, cm->inv_freq, L->bqkv, s->pos, s->cells, c->q, kc, vc, st));
            }
        }
        prof_mark(c, PF_QKV);
        aa.kc = kc; aa.vc = vc;
        CE(sx_attention(aa, st));
        prof_mark(c, PF_ATTN);
        if (s->blas) {
            CE(sx_convert_rows(c->att, n, qd, c->xb, bt, st));
            CE(gemm(s, &L->o, c->xb, qd, n, c->x, ld, 1.f));
        } else CE(mv(s, &L->o, EP_RESID, c->att, qd, NULL, c->x, ld, NULL, L, l, n));
        prof_mark(c, PF_O);
        /* feed-forward block */
        if (n == 1 && L->gu_fused) {
            CE(mv(s, &L->gu, EP_SWIGLU, c->x, ld, NULL, c->h, ld, L->ffn_norm, L, l, 1));
        } else if (s->blas) {
            CE(sx_rmsnorm(c->x, ld, NULL, n, dim, L->ffn_norm, hp->norm_eps, c->xb, ld, bt, st));
            if (L->gu_fused) CE(gemm(s, &L->gu, c->xb, ld, n, c->gu, 2 * nff, 0.f));
            else { CE(gemm(s, &L->gate, c->xb, ld, n, c->gu, 2 * nff, 0.f)); CE(gemm(s, &L->up, c->xb, ld, n, c->gu + nff, 2 * nff, 0.f)); }
            CE(sx_swiglu(c->gu, n, nff, c->xb, nff, bt, st));
            prof_mark(c, PF_FFN_UP);
            CE(gemm(s, &L->down, c->xb, nff, n, c->x, ld, 1.f));
            prof_mark(c, PF_DOWN);
            continue;
        } else {
            CE(sx_rmsnorm(c->x, ld, NULL, n, dim, L->ffn_norm, hp->norm_eps, c->xn, ld, SX_F32, st));
            if (L->gu_fused) CE(mv(s, &L->gu, EP_SWIGLU, c->xn, ld, NULL, c->h, ld, NULL, L, l, n));
            else {
                CE(mv(s, &L->gate, EP_STORE, c->xn, ld, NULL, c->gu, 2 * nff, NULL, L, l, n));
                CE(mv(s, &L->up, EP_STORE, c->xn, ld, NULL, c->gu + nff, 2 * nff, NULL, L, l, n));
                CE(sx_swiglu(c->gu, n, nff, c->h, ld, SX_F32, st));
            }
        }
        prof_mark(c, PF_FFN_UP);
        CE(mv(s, &L->down, EP_RESID, c->h, ld, NULL, c->x, ld, NULL, L, l, n));
        prof_mark(c, PF_DOWN);
    }
    /* output rows */
    if (s->n_out == 0) return cudaSuccess;
    const cu_mat *out = &cm->out;
    if (s->n_out == 1) return mv(s, out, EP_STORE, c->x, ld, s->out_rows, c->logits, hp->n_vocab, cm->out_norm, NULL, 0, 1);
    int obl = c->blas && s->n_out >= 16 && (out->type == SX_F32 || out->type == SX_F16 || out->type == SX_BF16);
    if (obl) {
        CE(sx_rmsnorm(c->x, ld, s->out_rows, s->n_out, dim, cm->out_norm, hp->norm_eps, c->xb, ld, out->type, st));
        return gemm(s, out, c->xb, ld, s->n_out, c->logits, hp->n_vocab, 0.f);
    }
    CE(sx_rmsnorm(c->x, ld, s->out_rows, s->n_out, dim, cm->out_norm, hp->norm_eps, c->xn, ld, SX_F32, st));
    return mv(s, out, EP_STORE, c->xn, ld, NULL, c->logits, hp->n_vocab, NULL, NULL, 0, s->n_out);
}

static sx_status cu_decode(sx_context *ctx, const sx_batch *batch) {
    const sx_model *m = ctx->model;
    const cu_model *cm = (const cu_model *)m->backend_state;
    cu_ctx *c = (cu_ctx *)ctx->backend_state;
    const int n = batch->n_tokens, n_out = ctx->n_outputs;
    const int B = ctx->params.n_batch_max, O = ctx->params.n_out_max > 0 ? ctx->params.n_out_max : B;
    if (n <= 0) return SX_OK;
    if (n > B || n_out > O) return cu_err(SX_ERR_CAPACITY, "cuda: batch of %d tokens / %d outputs exceeds the context's %d / %d", n, n_out, B, O);
    CK(cudaSetDevice(cm->device), "set device");
    /* stage inputs: tokens, pos, seq, cells (capacity B each), out rows (O), block tables */
    int *h = c->h_in, maxpos = 0;
    const int mb = ctx->max_blocks_per_seq;
    for (int i = 0; i < n; i++) {
        h[i] = batch->tokens[i]; h[B + i] = batch->pos[i]; h[2 * B + i] = batch->seq_id[i]; h[3 * B + i] = ctx->cells[i];
        if (batch->pos[i] > maxpos) maxpos = batch->pos[i];
    }
    for (int k = 0; k < n_out; k++) h[4 * B + k] = ctx->out_rows[k];
    int *hbt = h + 4 * B + O;
    for (int sq = 0; sq < ctx->params.n_seq_max; sq++) {
        const sx_seq *q = &ctx->seqs[sq];
        if (q->n_blocks > 0) memcpy(hbt + (size_t)sq * mb, q->blocks, sizeof(int) * (size_t)q->n_blocks);
    }
    CK(cudaMemcpyAsync(c->d_in, h, sizeof(int) * (size_t)c->n_in, cudaMemcpyHostToDevice, c->st), "input upload");
    step s;
    s.m = m; s.cm = cm; s.c = c; s.n = n; s.n_out = n_out;
    const int chunk = sx_attn_chunk(n);
    s.n_split = (maxpos + chunk) / chunk;
    s.blas = cm->blas_type >= 0 && c->blas && n >= 16;
    s.d1 = n == 1 && n_out <= 1 && c->use_d1;
    if (s.d1) s.n_split = 0; /* the kernel splits attention itself: one graph serves every position */
    s.tok = c->d_in; s.pos = c->d_in + B; s.seq = c->d_in + 2 * B; s.cells = c->d_in + 3 * B; s.out_rows = c->d_in + 4 * B; s.bt = c->d_in + 4 * B + O;
    s.max_blocks = mb; s.bs = ctx->params.kv_block_size;
    cudaError_t e = cudaSuccess;
    cu_graph *g = NULL;
    if (c->use_graphs && !s.blas && !(n_out >= 16 && c->blas)) {
        int free_i = -1;
        for (int i = 0; i < SX_MAX_GRAPHS; i++) {
            cu_graph *gi = &c->graphs[i];
            if (gi->seen && gi->n == n && gi->n_out == n_out && gi->n_split == s.n_split) { g = gi; break; }
            if (!gi->seen && free_i < 0) free_i = i;
        }
        if (!g && free_i >= 0) { g = &c->graphs[free_i]; g->seen = 1; g->n = n; g->n_out = n_out; g->n_split = s.n_split; g->exec = NULL; }
        else if (g && !g->exec) { /* second sighting of this shape: capture it */
            cudaGraph_t graph;
            e = cudaStreamBeginCapture(c->st, cudaStreamCaptureModeThreadLocal);
            if (e == cudaSuccess) {
                cudaError_t fe = forward(&s);
                e = cudaStreamEndCapture(c->st, &graph);
                if (fe != cudaSuccess) e = fe;
                if (e == cudaSuccess) { e = cudaGraphInstantiate(&g->exec, graph, 0); cudaGraphDestroy(graph); }
            }
            if (e != cudaSuccess) { cudaGetLastError(); g->exec = NULL; c->use_graphs = 0; e = cudaSuccess; }
        }
    }
    c->nev = 0;
    prof_mark(c, PF_EMBED);
    if (g && g->exec) e = cudaGraphLaunch(g->exec, c->st);
    else e = forward(&s);
    if (e != cudaSuccess && s.d1) { /* the whole-step kernel could not launch here (e.g. not all blocks fit): the per-op path from now on */
        fprintf(stderr, "sextant cuda: whole-step decode kernel unavailable (%s); using per-op kernels\n", cudaGetErrorString(e));
        cudaGetLastError();
        c->use_d1 = 0; s.d1 = 0; s.n_split = (maxpos + chunk) / chunk;
        for (int i = 0; i < SX_MAX_GRAPHS; i++) if (c->graphs[i].n == 1 && c->graphs[i].n_split == 0) {
            if (c->graphs[i].exec) cudaGraphExecDestroy(c->graphs[i].exec);
            memset(&c->graphs[i], 0, sizeof c->graphs[i]);
        }
        c->nev = 0;
        prof_mark(c, PF_EMBED);
        e = forward(&s);
    }
    if (e != cudaSuccess) return cu_err(SX_ERR_BACKEND, "cuda: step of %d tokens failed: %s", n, cudaGetErrorString(e));
    prof_mark(c, PF_OUT);
    if (n_out > 0)
        CK(cudaMemcpyAsync(ctx->logits, c->logits, sizeof(float) * (size_t)n_out * m->hp.n_vocab, cudaMemcpyDeviceToHost, c->st), "logits download");
    prof_mark(c, PF_COPY);
    CK(cudaStreamSynchronize(c->st), "step");
    if (c->prof) {
        for (int i = 1; i < c->nev; i++) { float ms = 0; cudaEventElapsedTime(&ms, c->ev[i - 1], c->ev[i]); c->prof_ms[c->evl[i]] += ms; }
        c->prof_steps++;
    }
    return SX_OK;
}

static sx_status cu_kv_copy_block(sx_context *ctx, int32_t src, int32_t dst) {
    cu_ctx *c = (cu_ctx *)ctx->backend_state;
    const sx_hparams *hp = &ctx->model->hp;
    size_t blk = (size_t)ctx->params.kv_block_size * hp->n_head_kv * hp->head_dim;
    for (int l = 0; l < hp->n_layer; l++) {
        __half *k = c->kc + (size_t)l * c->layer_cells, *v = c->vc + (size_t)l * c->layer_cells;
        CK(cudaMemcpyAsync(k + dst * blk, k + src * blk, blk * sizeof(__half), cudaMemcpyDeviceToDevice, c->st), "kv copy");
        CK(cudaMemcpyAsync(v + dst * blk, v + src * blk, blk * sizeof(__half), cudaMemcpyDeviceToDevice, c->st), "kv copy");
    }
    CK(cudaStreamSynchronize(c->st), "kv copy");
    return SX_OK;
}

static const sx_backend g_cuda = {
    SX_BACKEND_ABI, "cuda", cu_model_init, cu_model_free, cu_context_init, cu_context_free, cu_decode, cu_kv_copy_block,
};

SX_CUDA_API const sx_backend *sx_backend_cuda(void) { return &g_cuda; }

/* With SEXTANT_CUDA_PROFILE=1: the mean time per step of each part of a step, as text. */
SX_CUDA_API int sx_cuda_profile_report(const sx_context *ctx, char *buf, int cap) {
    const cu_ctx *c = (const cu_ctx *)ctx->backend_state;
    int k = 0;
    if (!c || !c->prof || !c->prof_steps) return snprintf(buf, cap, "(no profile: set SEXTANT_CUDA_PROFILE=1)");
    double tot = 0; for (int i = 0; i < PF_N; i++) tot += c->prof_ms[i];
    for (int i = 0; i < PF_N && k < cap; i++)
        if (c->prof_ms[i] > 0)
            k += snprintf(buf + k, cap - k, "%s%s %.1f us (%.0f%%)", k ? ", " : "", pf_name[i], c->prof_ms[i] * 1e3 / c->prof_steps, 100 * c->prof_ms[i] / tot);
    if (k < cap) k += snprintf(buf + k, cap - k, "; total %.1f us per step over %ld eager steps", tot * 1e3 / c->prof_steps, c->prof_steps);
    return k;
}

/* SEXTANT_CUDA_D1_PROF=1: the whole-step kernel's time per phase (work and barrier wait), as text. */
SX_CUDA_API int sx_cuda_d1_profile(char *buf, int cap) { return sx_decode1_profile(buf, cap); }
/* µs per grid-wide barrier of the whole-step kernel's grid (GPU check). */
SX_CUDA_API float sx_cuda_barrier_bench(int iters) { return sx_decode1_barrier_bench(iters); }

/* Where cuBLAS was loaded from, or "" when it was not (prefill then runs on the matvec kernels). */
SX_CUDA_API const char *sx_cuda_cublas_path(void) { const sx_cublas_api *a = sx_cublas(); return a ? a->path : ""; }

/* Device sampling over the logits of the last step's output rows (see sample.cuh); masks and params on the host. */
SX_CUDA_API sx_status sx_cuda_sample(sx_context *ctx, const uint32_t *masks, const sx_sample_params *params, int32_t *out) {
    cu_ctx *c = (cu_ctx *)ctx->backend_state;
    const int n = ctx->n_outputs, V = ctx->model->hp.n_vocab, words = (V + 31) / 32;
    if (n <= 0) return SX_OK;
    size_t mb = masks ? sizeof(uint32_t) * (size_t)n * words : 0, pb = params ? sizeof(sx_sample_params) * (size_t)n : 0;
    uint32_t *dm = masks ? c->d_masks : NULL;
    sx_sample_params *dp = params ? c->d_sparams : NULL;
    if (masks) CK(cudaMemcpyAsync(dm, masks, mb, cudaMemcpyHostToDevice, c->st), "mask upload");
    if (params) CK(cudaMemcpyAsync(dp, params, pb, cudaMemcpyHostToDevice, c->st), "params upload");
    CK(sx_sample_rows(c->logits, n, V, dm, dp, c->d_sampled, c->st), "sample");
    CK(cudaMemcpyAsync(out, c->d_sampled, sizeof(int32_t) * n, cudaMemcpyDeviceToHost, c->st), "sample download");
    CK(cudaStreamSynchronize(c->st), "sample");
    return SX_OK;
}
