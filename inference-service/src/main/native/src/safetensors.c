/* safetensors.c — Hugging Face directory loader: config.json + *.safetensors (F32/F16/BF16), sharded via
 * model.safetensors.index.json. Tensors stay in the mapped files; names and shapes are mapped to GGUF's. */
#include "model.h"
#include "backend.h"
#include "common.h"
#include "json.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static sx_status read_text(const char *path, char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return sx_set_error(SX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    if (n < 0 || n > (64L << 20)) { fclose(f); return sx_set_error(SX_ERR_FORMAT, "%s: unreasonable size", path); }
    char *b = malloc((size_t)n + 1);
    if (!b) { fclose(f); return sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory", path); }
    size_t r = fread(b, 1, (size_t)n, f); fclose(f);
    b[r] = 0; *out = b; *len = r;
    return SX_OK;
}

/* HF tensor name → GGUF name; 0 when the tensor is not used (e.g. rotary_emb.inv_freq). */
static int map_name(const char *hf, char *out, size_t n) {
    static const char *pairs[][2] = {
        { "input_layernorm.weight", "attn_norm.weight" }, { "self_attn.q_proj.weight", "attn_q.weight" },
        { "self_attn.k_proj.weight", "attn_k.weight" }, { "self_attn.v_proj.weight", "attn_v.weight" },
        { "self_attn.q_proj.bias", "attn_q.bias" }, { "self_attn.k_proj.bias", "attn_k.bias" },
        { "self_attn.v_proj.bias", "attn_v.bias" }, { "self_attn.o_proj.weight", "attn_output.weight" },
        { "post_attention_layernorm.weight", "ffn_norm.weight" }, { "mlp.gate_proj.weight", "ffn_gate.weight" },
        { "mlp.up_proj.weight", "ffn_up.weight" }, { "mlp.down_proj.weight", "ffn_down.weight" },
    };
    if (!strcmp(hf, "model.embed_tokens.weight")) { snprintf(out, n, "token_embd.weight"); return 1; }
    if (!strcmp(hf, "model.norm.weight")) { snprintf(out, n, "output_norm.weight"); return 1; }
    if (!strcmp(hf, "lm_head.weight")) { snprintf(out, n, "output.weight"); return 1; }
    int layer, off = 0;
    if (sscanf(hf, "model.layers.%d.%n", &layer, &off) == 1 && off > 0) {
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
            if (!strcmp(hf + off, pairs[i][0])) { snprintf(out, n, "blk.%d.%s", layer, pairs[i][1]); return 1; }
    }
    return 0;
}

static sx_status add_file(sx_model *m, const char *path, int *cap) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return sx_set_error(SX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st; fstat(fd, &st);
    size_t size = (size_t)st.st_size;
    if (size < 8) { close(fd); return sx_set_error(SX_ERR_FORMAT, "%s: truncated file: %zu bytes is shorter than a safetensors header", path, size); }
    if (m->n_maps == SX_MAX_FILES) { close(fd); return sx_set_error(SX_ERR_UNSUPPORTED, "%s: more than %d shards", path, SX_MAX_FILES); }
    void *addr = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (addr == MAP_FAILED) return sx_set_error(SX_ERR_IO, "%s: mmap failed: %s", path, strerror(errno));
    m->maps[m->n_maps].addr = addr; m->maps[m->n_maps].size = size; m->n_maps++;
    uint64_t hlen; memcpy(&hlen, addr, 8);
    if (hlen > size - 8) return sx_set_error(SX_ERR_FORMAT, "%s: truncated file: header of %llu bytes in a %zu-byte file", path, (unsigned long long)hlen, size);
    char err[128];
    sx_json *h = sx_json_parse((const char *)addr + 8, (size_t)hlen, err, sizeof err);
    if (!h || h->type != SXJ_OBJ) { sx_json_free(h); return sx_set_error(SX_ERR_FORMAT, "%s: bad safetensors header: %s", path, h ? "not an object" : err); }
    const uint8_t *data = (const uint8_t *)addr + 8 + hlen;
    size_t data_len = size - 8 - (size_t)hlen;
    sx_status s = SX_OK;
    for (int i = 0; i < h->n && s == SX_OK; i++) {
        char gname[128];
        if (!strcmp(h->keys[i], "__metadata__") || !map_name(h->keys[i], gname, sizeof gname)) continue;
        const sx_json *t = &h->kids[i], *shape = sx_json_get(t, "shape"), *offs = sx_json_get(t, "data_offsets");
        const char *dt = sx_json_str(t, "dtype");
        if (!dt || !shape || shape->type != SXJ_ARR || !offs || offs->type != SXJ_ARR || offs->n != 2 || shape->n < 1 || shape->n > SX_MAX_DIMS) {
            s = sx_set_error(SX_ERR_FORMAT, "%s: tensor '%s' has a malformed header entry", path, h->keys[i]); break;
        }
        sx_dtype type;
        if (!strcmp(dt, "F32")) type = SX_F32; else if (!strcmp(dt, "F16")) type = SX_F16; else if (!strcmp(dt, "BF16")) type = SX_BF16;
        else { s = sx_set_error(SX_ERR_UNSUPPORTED, "%s: tensor '%s' has unsupported dtype %s (F32, F16, BF16 are supported)", path, h->keys[i], dt); break; }
        if (m->n_tensors == *cap) {
            int c = *cap ? *cap * 2 : 256;
            sx_tensor *nt = realloc(m->tensors, sizeof(sx_tensor) * (size_t)c);
            if (!nt) { s = sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory", path); break; }
            m->tensors = nt; *cap = c;
        }
        sx_tensor *x = &m->tensors[m->n_tensors];
        memset(x, 0, sizeof *x);
        x->type = type; x->n_dims = shape->n;
        int64_t nel = 1;
        for (int k = 0; k < SX_MAX_DIMS; k++) x->ne[k] = 1;
        for (int k = 0; k < shape->n; k++) {  /* row-major [out, in] → GGML order [in, out] */
            double d = shape->kids[shape->n - 1 - k].num;
            if (d < 1 || d > 1e12) { s = sx_set_error(SX_ERR_FORMAT, "%s: tensor '%s' has a bad shape", path, h->keys[i]); break; }
            x->ne[k] = (int64_t)d; nel *= x->ne[k];
        }
        if (s) break;
        double b0 = offs->kids[0].num, b1 = offs->kids[1].num;
        x->nbytes = (size_t)nel * (type == SX_F32 ? 4 : 2);
        if (b0 < 0 || b1 < b0 || b1 > (double)data_len || (size_t)(b1 - b0) != x->nbytes) {
            s = sx_set_error(SX_ERR_FORMAT, "%s: truncated file or bad offsets: tensor '%s' [%.0f, %.0f) of %zu data bytes, %zu expected",
                             path, h->keys[i], b0, b1, data_len, x->nbytes); break;
        }
        x->data = (void *)(data + (size_t)b0);
        char *nm = sx_model_own(m, strlen(gname) + 1);
        if (!nm) { s = sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory", path); break; }
        strcpy(nm, gname); x->name = nm;
        m->n_tensors++;
    }
    sx_json_free(h);
    return s;
}

static int ends_with(const char *s, const char *suf) { size_t a = strlen(s), b = strlen(suf); return a >= b && !strcmp(s + a - b, suf); }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

sx_status sx_safetensors_load(sx_model *m, const char *dir) {
    char path[2048]; char *text = NULL; size_t len;
    snprintf(path, sizeof path, "%s/config.json", dir);
    struct stat st;
    if (stat(path, &st) != 0) return sx_set_error(SX_ERR_FORMAT, "%s: not a model directory: config.json is missing", dir);
    sx_status s = read_text(path, &text, &len);
    if (s) return s;
    char err[128];
    sx_json *cfg = sx_json_parse(text, len, err, sizeof err);
    free(text);
    if (!cfg || cfg->type != SXJ_OBJ) { sx_json_free(cfg); return sx_set_error(SX_ERR_FORMAT, "%s: bad JSON: %s", path, cfg ? "not an object" : err); }
    const char *mt = sx_json_str(cfg, "model_type");
    if (!mt || (strcmp(mt, "llama") && strcmp(mt, "mistral") && strcmp(mt, "qwen2"))) {
        s = sx_set_error(SX_ERR_UNSUPPORTED, "%s: unknown architecture '%s' (supported model_type: llama, mistral, qwen2)", path, mt ? mt : "(missing model_type)");
        sx_json_free(cfg); return s;
    }
    sx_hparams *hp = &m->hp;
    snprintf(hp->arch, sizeof hp->arch, "%s", mt);
    hp->n_embd = (int32_t)sx_json_num(cfg, "hidden_size", 0);
    hp->n_layer = (int32_t)sx_json_num(cfg, "num_hidden_layers", 0);
    hp->n_head = (int32_t)sx_json_num(cfg, "num_attention_heads", 0);
    hp->n_head_kv = (int32_t)sx_json_num(cfg, "num_key_value_heads", hp->n_head);
    hp->n_ff = (int32_t)sx_json_num(cfg, "intermediate_size", 0);
    hp->n_vocab = (int32_t)sx_json_num(cfg, "vocab_size", 0);
    hp->n_ctx_train = (int32_t)sx_json_num(cfg, "max_position_embeddings", 2048);
    hp->norm_eps = (float)sx_json_num(cfg, "rms_norm_eps", 1e-6);
    hp->rope_theta = (float)sx_json_num(cfg, "rope_theta", 10000.0);
    hp->head_dim = (int32_t)sx_json_num(cfg, "head_dim", hp->n_head ? hp->n_embd / hp->n_head : 0);
    hp->rope_kind = SX_ROPE_NEOX; /* HF checkpoints keep q/k in rotate_half order (GGUF permutes them instead) */
    hp->rope_linear_scale = 1.0f;
    const sx_json *rs = sx_json_get(cfg, "rope_scaling");
    if (rs && rs->type == SXJ_OBJ) {
        const char *rt = sx_json_str(rs, "rope_type"); if (!rt) rt = sx_json_str(rs, "type");
        if (rt && !strcmp(rt, "llama3")) {
            hp->rope_scale_factor = (float)sx_json_num(rs, "factor", 8);
            hp->rope_low_freq_factor = (float)sx_json_num(rs, "low_freq_factor", 1);
            hp->rope_high_freq_factor = (float)sx_json_num(rs, "high_freq_factor", 4);
            hp->rope_orig_ctx = (int32_t)sx_json_num(rs, "original_max_position_embeddings", 8192);
        } else if (rt && !strcmp(rt, "linear")) hp->rope_linear_scale = (float)sx_json_num(rs, "factor", 1);
        else if (rt && strcmp(rt, "default")) {
            s = sx_set_error(SX_ERR_UNSUPPORTED, "%s: unsupported rope_scaling type '%s'", path, rt); sx_json_free(cfg); return s;
        }
    }
    sx_json_free(cfg);

    /* Shards: the index's weight_map when present, otherwise every *.safetensors file. */
    char *files[SX_MAX_FILES]; int nf = 0;
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    if (stat(path, &st) == 0) {
        if ((s = read_text(path, &text, &len))) return s;
        sx_json *idx = sx_json_parse(text, len, err, sizeof err);
        free(text);
        const sx_json *wm = sx_json_get(idx, "weight_map");
        if (!wm || wm->type != SXJ_OBJ) { sx_json_free(idx); return sx_set_error(SX_ERR_FORMAT, "%s: no weight_map%s%s", path, idx ? "" : ": ", idx ? "" : err); }
        for (int i = 0; i < wm->n; i++) {
            if (wm->kids[i].type != SXJ_STR || strchr(wm->kids[i].str, '/')) { sx_json_free(idx); return sx_set_error(SX_ERR_FORMAT, "%s: bad shard name", path); }
            int seen = 0; for (int k = 0; k < nf; k++) if (!strcmp(files[k], wm->kids[i].str)) seen = 1;
            if (!seen) {
                if (nf == SX_MAX_FILES) { sx_json_free(idx); return sx_set_error(SX_ERR_UNSUPPORTED, "%s: more than %d shards", path, SX_MAX_FILES); }
                files[nf] = sx_model_own(m, strlen(wm->kids[i].str) + 1); strcpy(files[nf++], wm->kids[i].str);
            }
        }
        sx_json_free(idx);
    } else {
        DIR *d = opendir(dir);
        if (!d) return sx_set_error(SX_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
        struct dirent *e;
        while ((e = readdir(d)) && nf < SX_MAX_FILES)
            if (ends_with(e->d_name, ".safetensors")) { files[nf] = sx_model_own(m, strlen(e->d_name) + 1); strcpy(files[nf++], e->d_name); }
        closedir(d);
        qsort(files, (size_t)nf, sizeof(char *), cmp_str);
    }
    if (nf == 0) return sx_set_error(SX_ERR_FORMAT, "%s: no *.safetensors files", dir);
    int cap = 0;
    for (int i = 0; i < nf && !s; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        s = add_file(m, path, &cap);
    }
    /* m->tensors came from realloc: hand it to the owned list so sx_model_free releases it. */
    if (m->tensors) {
        void *keep = sx_model_own(m, 1);
        if (keep) { free(keep); m->owned[m->n_owned - 1] = m->tensors; }
    }
    return s;
}
