/* model.c — model lifecycle, tensor binding by name and shape validation (shared by GGUF and safetensors). */
#include "model.h"
#include "backend.h"
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/mman.h>
#include <sys/stat.h>

void *sx_model_own(sx_model *m, size_t bytes) {
    if (m->n_owned == m->cap_owned) {
        int32_t cap = m->cap_owned ? m->cap_owned * 2 : 64;
        void **o = realloc(m->owned, sizeof(void *) * (size_t)cap);
        if (!o) return NULL;
        m->owned = o; m->cap_owned = cap;
    }
    void *p = calloc(1, bytes ? bytes : 1);
    if (p) m->owned[m->n_owned++] = p;
    return p;
}

sx_tensor *sx_model_find(sx_model *m, const char *name) {
    for (int32_t i = 0; i < m->n_tensors; i++) if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}

static int is_float(sx_dtype t) { return t == SX_F32 || t == SX_F16 || t == SX_BF16; }

/* Binds a tensor of shape (ne0, ne1) (ne1 = 1 for vectors); required unless optional. */
static sx_status bind(sx_model *m, sx_tensor **out, const char *name, int64_t ne0, int64_t ne1, int optional) {
    sx_tensor *t = sx_model_find(m, name);
    *out = t;
    if (!t) return optional ? SX_OK : sx_set_error(SX_ERR_FORMAT, "%s: missing tensor '%s'", m->path, name);
    int64_t n1 = 1; for (int k = 1; k < SX_MAX_DIMS; k++) n1 *= t->ne[k];
    if (t->ne[0] != ne0 || n1 != ne1)
        return sx_set_error(SX_ERR_FORMAT, "%s: tensor shape mismatch: '%s' is [%lld, %lld], expected [%lld, %lld]",
                            m->path, name, (long long)t->ne[0], (long long)n1, (long long)ne0, (long long)ne1);
    if (ne1 == 1 && !is_float(t->type))
        return sx_set_error(SX_ERR_UNSUPPORTED, "%s: tensor '%s' is a vector of type %s (only F32/F16/BF16 vectors)", m->path, name, sx_dtype_name(t->type));
    return SX_OK;
}

sx_status sx_model_finish(sx_model *m) {
    sx_hparams *hp = &m->hp;
    if (hp->n_embd <= 0 || hp->n_layer <= 0 || hp->n_head <= 0 || hp->n_head_kv <= 0 || hp->n_ff <= 0 || hp->head_dim <= 0
        || hp->n_head % hp->n_head_kv || (hp->head_dim & 1) || hp->n_layer > 4096)
        return sx_set_error(SX_ERR_FORMAT, "%s: inconsistent hyper-parameters: dim %d, layers %d, heads %d, kv heads %d, ffn %d, head dim %d",
                            m->path, hp->n_embd, hp->n_layer, hp->n_head, hp->n_head_kv, hp->n_ff, hp->head_dim);
    sx_status st;
    sx_tensor *emb = sx_model_find(m, "token_embd.weight");
    if (!emb) return sx_set_error(SX_ERR_FORMAT, "%s: missing tensor 'token_embd.weight'", m->path);
    if (hp->n_vocab <= 0) hp->n_vocab = (int32_t)emb->ne[1];
    int64_t dim = hp->n_embd, q_dim = (int64_t)hp->n_head * hp->head_dim, kv_dim = (int64_t)hp->n_head_kv * hp->head_dim;
    if ((st = bind(m, &m->tok_embd, "token_embd.weight", dim, hp->n_vocab, 0))) return st;
    if ((st = bind(m, &m->output_norm, "output_norm.weight", dim, 1, 0))) return st;
    if ((st = bind(m, &m->output, "output.weight", dim, hp->n_vocab, 1))) return st;
    if (!m->output) m->output = m->tok_embd; /* tied embeddings */
    m->layers = sx_model_own(m, sizeof(sx_layer) * (size_t)hp->n_layer);
    if (!m->layers) return sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory", m->path);
    char n[128];
#define B(field, nm, a, b, opt) snprintf(n, sizeof n, "blk.%d." nm, l); if ((st = bind(m, &L->field, n, a, b, opt))) return st
    for (int l = 0; l < hp->n_layer; l++) {
        sx_layer *L = &m->layers[l];
        B(attn_norm, "attn_norm.weight", dim, 1, 0);
        B(wq, "attn_q.weight", dim, q_dim, 0);
        B(wk, "attn_k.weight", dim, kv_dim, 0);
        B(wv, "attn_v.weight", dim, kv_dim, 0);
        B(bq, "attn_q.bias", q_dim, 1, 1);
        B(bk, "attn_k.bias", kv_dim, 1, 1);
        B(bv, "attn_v.bias", kv_dim, 1, 1);
        B(wo, "attn_output.weight", q_dim, dim, 0);
        B(ffn_norm, "ffn_norm.weight", dim, 1, 0);
        B(w_gate, "ffn_gate.weight", dim, hp->n_ff, 0);
        B(w_up, "ffn_up.weight", dim, hp->n_ff, 0);
        B(w_down, "ffn_down.weight", hp->n_ff, dim, 0);
    }
#undef B
    /* RoPE inverse frequencies: theta^(-2i/d), divided by rope_freqs (GGUF llama3) or llama3 scaling from config. */
    int half = hp->head_dim / 2;
    m->inv_freq = sx_model_own(m, sizeof(float) * (size_t)half);
    if (!m->inv_freq) return sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory", m->path);
    sx_tensor *rf = NULL;
    if ((st = bind(m, &rf, "rope_freqs.weight", half, 1, 1))) return st;
    for (int i = 0; i < half; i++) {
        double f = pow((double)hp->rope_theta, -2.0 * i / hp->head_dim);
        if (rf) {
            float fac = rf->type == SX_F32 ? ((float *)rf->data)[i] : rf->type == SX_F16 ? sx_fp16_to_fp32(((uint16_t *)rf->data)[i]) : sx_bf16_to_fp32(((uint16_t *)rf->data)[i]);
            f /= fac;
        } else if (hp->rope_scale_factor > 0) {
            double lo_wl = hp->rope_orig_ctx / hp->rope_low_freq_factor, hi_wl = hp->rope_orig_ctx / hp->rope_high_freq_factor;
            double wl = 2 * M_PI / f;
            if (wl > lo_wl) f /= hp->rope_scale_factor;
            else if (wl >= hi_wl) {
                double smooth = (hp->rope_orig_ctx / wl - hp->rope_low_freq_factor) / (hp->rope_high_freq_factor - hp->rope_low_freq_factor);
                f = (1 - smooth) * f / hp->rope_scale_factor + smooth * f;
            }
        }
        m->inv_freq[i] = (float)(f / hp->rope_linear_scale);
    }
    return SX_OK;
}

SX_API sx_model_params sx_model_default_params(void) { sx_model_params p = { SX_BACKEND_CPU, 0 }; return p; }

SX_API void sx_model_free(sx_model *m) {
    if (!m) return;
    if (m->backend && m->backend->model_free) m->backend->model_free(m);
    for (int32_t i = 0; i < m->n_maps; i++) munmap(m->maps[i].addr, m->maps[i].size);
    for (int32_t i = 0; i < m->n_owned; i++) free(m->owned[i]);
    free(m->owned);
    free(m);
}

SX_API sx_status sx_model_load(const char *path, const sx_model_params *params, sx_model **out) {
    if (!path || !out) return sx_set_error(SX_ERR_ARGUMENT, "sx_model_load: null argument");
    *out = NULL;
    sx_model_params p = params ? *params : sx_model_default_params();
    sx_model *m = calloc(1, sizeof *m);
    if (!m) return sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory", path);
    snprintf(m->path, sizeof m->path, "%s", path);
    struct stat st;
    sx_status s;
    if (stat(path, &st) != 0) s = sx_set_error(SX_ERR_IO, "%s: no such file or directory", path);
    else if (S_ISDIR(st.st_mode)) s = sx_safetensors_load(m, path);
    else s = sx_gguf_load(m, path);
    if (s == SX_OK) s = sx_model_finish(m);
    const sx_backend *be = NULL;
    if (s == SX_OK) s = sx_backend_get(p.backend, &be);
    if (s == SX_OK) {
        s = be->model_init ? be->model_init(m, p.device) : SX_OK;
        if (s != SX_OK) s = sx_backend_error(be, s, path);
        else m->backend = be; /* only an initialised backend is asked to free the model */
    }
    if (s != SX_OK) { sx_model_free(m); return s; }
    *out = m;
    return SX_OK;
}

SX_API sx_status sx_model_get_info(const sx_model *m, sx_model_info *o) {
    if (!m || !o) return sx_set_error(SX_ERR_ARGUMENT, "sx_model_get_info: null argument");
    memset(o, 0, sizeof *o);
    const sx_hparams *hp = &m->hp;
    snprintf(o->arch, sizeof o->arch, "%s", hp->arch);
    o->n_vocab = hp->n_vocab; o->n_embd = hp->n_embd; o->n_layer = hp->n_layer; o->n_head = hp->n_head;
    o->n_head_kv = hp->n_head_kv; o->head_dim = hp->head_dim; o->n_ff = hp->n_ff; o->n_ctx_train = hp->n_ctx_train;
    o->rope_theta = hp->rope_theta; o->norm_eps = hp->norm_eps;
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const sx_tensor *t = &m->tensors[i];
        int64_t n = 1; for (int k = 0; k < SX_MAX_DIMS; k++) n *= t->ne[k];
        o->n_params += n; o->weight_bytes += (int64_t)t->nbytes;
    }
    return SX_OK;
}
