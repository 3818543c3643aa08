/* model.h — in-memory model: hyper-parameters and weight tensors (pointers into the mapped file). */
#ifndef SX_MODEL_H
#define SX_MODEL_H

#include "sextant.h"
#include <stdint.h>
#include <stddef.h>

#define SX_MAX_DIMS 4
#define SX_MAX_FILES 64

typedef struct sx_tensor {
    const char *name;
    sx_dtype type;
    int32_t n_dims;
    int64_t ne[SX_MAX_DIMS]; /* ne[0] = row length (contiguous), ne[1] = rows (GGML order) */
    void *data;              /* inside a mapping, or owned (see sx_model.owned) */
    size_t nbytes;
} sx_tensor;

typedef enum sx_rope_kind { SX_ROPE_NORM = 0 /* adjacent pairs (llama GGUF) */, SX_ROPE_NEOX = 2 /* halves */ } sx_rope_kind;

typedef struct sx_hparams {
    char arch[32];
    int32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx_train;
    float norm_eps;
    float rope_theta;
    sx_rope_kind rope_kind;
    /* llama3 rope scaling (HF rope_scaling.rope_type "llama3"; GGUF carries rope_freqs.weight); factor 0 = none */
    float rope_scale_factor, rope_low_freq_factor, rope_high_freq_factor;
    int32_t rope_orig_ctx;
    /* linear rope scaling: positions divided by this (1 = none) */
    float rope_linear_scale;
} sx_hparams;

typedef struct sx_layer {
    sx_tensor *attn_norm; /* (dim) */
    sx_tensor *wq;        /* (n_head*head_dim rows, dim) */
    sx_tensor *wk;        /* (n_head_kv*head_dim rows, dim) */
    sx_tensor *wv;        /* (n_head_kv*head_dim rows, dim) */
    sx_tensor *bq, *bk, *bv; /* optional biases (qwen2): (n_head*head_dim), (kv_dim), (kv_dim) */
    sx_tensor *wo;        /* (dim rows, n_head*head_dim) */
    sx_tensor *ffn_norm;  /* (dim) */
    sx_tensor *w_gate;    /* (n_ff rows, dim) */
    sx_tensor *w_up;      /* (n_ff rows, dim) */
    sx_tensor *w_down;    /* (dim rows, n_ff) */
} sx_layer;

typedef struct sx_mapping {
    void *addr;
    size_t size;
} sx_mapping;

struct sx_backend;

struct sx_model {
    char path[1024];
    sx_hparams hp;
    sx_tensor *tensors;       /* all tensors of the file(s) */
    int32_t n_tensors;
    sx_tensor *tok_embd;      /* (n_vocab rows, dim) */
    sx_tensor *output_norm;   /* (dim) */
    sx_tensor *output;        /* (n_vocab rows, dim); == tok_embd when tied */
    sx_layer *layers;         /* [n_layer] */
    float *inv_freq;          /* (head_dim/2) RoPE inverse frequencies incl. llama3 scaling / rope_freqs */
    sx_mapping maps[SX_MAX_FILES];
    int32_t n_maps;
    void **owned;             /* heap blocks to free (converted tensors, names) */
    int32_t n_owned, cap_owned;
    const struct sx_backend *backend;
    void *backend_state;      /* e.g. device copies of the weights */
};

/* Internal helpers shared by loaders. */
sx_status sx_model_finish(sx_model *m); /* binds layer tensors by name, validates shapes */
void *sx_model_own(sx_model *m, size_t bytes); /* zeroed heap block freed with the model */
sx_tensor *sx_model_find(sx_model *m, const char *name);

sx_status sx_gguf_load(sx_model *m, const char *path);
sx_status sx_safetensors_load(sx_model *m, const char *dir);

#endif
