/* gguf.c — GGUF v2/v3 reader: mmaps the file, validates every read against its size, builds sx_tensors. */
#include "model.h"
#include "backend.h"
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <math.h>

enum { GT_U8, GT_I8, GT_U16, GT_I16, GT_U32, GT_I32, GT_F32, GT_BOOL, GT_STR, GT_ARR, GT_U64, GT_I64, GT_F64 };

typedef struct { const uint8_t *p, *end; const char *path; } rd;

static sx_status rd_bytes(rd *r, void *dst, size_t n, const char *what) {
    if ((size_t)(r->end - r->p) < n) return sx_set_error(SX_ERR_FORMAT, "%s: truncated file while reading %s", r->path, what);
    memcpy(dst, r->p, n); r->p += n; return SX_OK;
}

static sx_status rd_str(rd *r, const char **s, uint64_t *len, const char *what) {
    sx_status st = rd_bytes(r, len, 8, what); if (st) return st;
    if (*len > (uint64_t)(r->end - r->p)) return sx_set_error(SX_ERR_FORMAT, "%s: truncated file: string of %llu bytes in %s", r->path, (unsigned long long)*len, what);
    *s = (const char *)r->p; r->p += *len; return SX_OK;
}

static size_t gt_size(uint32_t t) {
    switch (t) { case GT_U8: case GT_I8: case GT_BOOL: return 1; case GT_U16: case GT_I16: return 2;
    case GT_U32: case GT_I32: case GT_F32: return 4; case GT_U64: case GT_I64: case GT_F64: return 8; default: return 0; }
}

/* Metadata we keep: scalar numbers and strings by key, plus array lengths. */
typedef struct { char key[96]; uint32_t type; double num; const char *str; uint64_t slen; uint64_t arr_n; uint32_t arr_type; const uint8_t *arr_data; } kv;

static sx_status skip_value(rd *r, uint32_t t, kv *out, int depth) {
    if (depth > 2) return sx_set_error(SX_ERR_FORMAT, "%s: nested metadata arrays too deep", r->path);
    size_t sz = gt_size(t);
    if (sz) {
        uint8_t b[8] = {0}; sx_status st = rd_bytes(r, b, sz, "a metadata value"); if (st) return st;
        if (out) {
            double v = 0;
            switch (t) {
            case GT_U8: case GT_BOOL: v = b[0]; break; case GT_I8: v = (int8_t)b[0]; break;
            case GT_U16: { uint16_t x; memcpy(&x, b, 2); v = x; } break; case GT_I16: { int16_t x; memcpy(&x, b, 2); v = x; } break;
            case GT_U32: { uint32_t x; memcpy(&x, b, 4); v = x; } break; case GT_I32: { int32_t x; memcpy(&x, b, 4); v = x; } break;
            case GT_F32: { float x; memcpy(&x, b, 4); v = x; } break; case GT_U64: { uint64_t x; memcpy(&x, b, 8); v = (double)x; } break;
            case GT_I64: { int64_t x; memcpy(&x, b, 8); v = (double)x; } break; case GT_F64: memcpy(&v, b, 8); break;
            }
            out->num = v;
        }
        return SX_OK;
    }
    if (t == GT_STR) { const char *s = NULL; uint64_t n = 0; sx_status st = rd_str(r, &s, &n, "a metadata string"); if (st) return st; if (out) { out->str = s; out->slen = n; } return SX_OK; }
    if (t == GT_ARR) {
        uint32_t et = 0; uint64_t n = 0; sx_status st = rd_bytes(r, &et, 4, "an array type"); if (st) return st;
        if ((st = rd_bytes(r, &n, 8, "an array length"))) return st;
        if (out) { out->arr_n = n; out->arr_type = et; out->arr_data = r->p; }
        size_t es = gt_size(et);
        if (es) {
            if (n > (uint64_t)(r->end - r->p) / es) return sx_set_error(SX_ERR_FORMAT, "%s: truncated file: array of %llu elements", r->path, (unsigned long long)n);
            r->p += n * es; return SX_OK;
        }
        if (et != GT_STR && et != GT_ARR) return sx_set_error(SX_ERR_FORMAT, "%s: unknown metadata array element type %u", r->path, et);
        for (uint64_t i = 0; i < n; i++) if ((st = skip_value(r, et, NULL, depth + 1))) return st;
        return SX_OK;
    }
    return sx_set_error(SX_ERR_FORMAT, "%s: unknown metadata value type %u", r->path, t);
}

static const kv *find_kv(const kv *kvs, int n, const char *key) {
    for (int i = 0; i < n; i++) if (strcmp(kvs[i].key, key) == 0) return &kvs[i];
    return NULL;
}

static double num_or(const kv *kvs, int n, const char *arch, const char *suffix, double dflt) {
    char k[160]; snprintf(k, sizeof k, "%s.%s", arch, suffix);
    const kv *e = find_kv(kvs, n, k);
    return e && e->type != GT_STR && e->type != GT_ARR ? e->num : dflt;
}

sx_status sx_gguf_load(sx_model *m, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return sx_set_error(SX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat stt;
    if (fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) { close(fd); return sx_set_error(SX_ERR_IO, "%s: not a regular file", path); }
    size_t size = (size_t)stt.st_size;
    if (size < 24) { close(fd); return sx_set_error(SX_ERR_FORMAT, "%s: truncated file: %zu bytes is shorter than a GGUF header", path, size); }
    void *addr = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (addr == MAP_FAILED) return sx_set_error(SX_ERR_IO, "%s: mmap failed: %s", path, strerror(errno));
    m->maps[m->n_maps].addr = addr; m->maps[m->n_maps].size = size; m->n_maps++;

    rd r = { addr, (const uint8_t *)addr + size, path };
    uint32_t magic = 0, version = 0; uint64_t n_tensors = 0, n_kv = 0;
    rd_bytes(&r, &magic, 4, "magic");
    if (magic != 0x46554747u) return sx_set_error(SX_ERR_FORMAT, "%s: wrong magic 0x%08x: not a GGUF file", path, magic);
    rd_bytes(&r, &version, 4, "version");
    if (version < 2 || version > 3) return sx_set_error(SX_ERR_UNSUPPORTED, "%s: unsupported GGUF version %u (2 and 3 are supported)", path, version);
    sx_status st;
    if ((st = rd_bytes(&r, &n_tensors, 8, "tensor count")) || (st = rd_bytes(&r, &n_kv, 8, "metadata count"))) return st;
    if (n_tensors > size / 24 || n_kv > size / 12)
        return sx_set_error(SX_ERR_FORMAT, "%s: truncated or corrupt header: %llu tensors, %llu metadata entries in %zu bytes",
                            path, (unsigned long long)n_tensors, (unsigned long long)n_kv, size);

    kv *kvs = sx_model_own(m, sizeof(kv) * (n_kv + 1));
    if (!kvs) return sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory for metadata", path);
    for (uint64_t i = 0; i < n_kv; i++) {
        const char *key = NULL; uint64_t klen = 0;
        if ((st = rd_str(&r, &key, &klen, "a metadata key"))) return st;
        if ((st = rd_bytes(&r, &kvs[i].type, 4, "a metadata type"))) return st;
        size_t kl = klen < sizeof kvs[i].key - 1 ? klen : sizeof kvs[i].key - 1;
        memcpy(kvs[i].key, key, kl); kvs[i].key[kl] = 0;
        if ((st = skip_value(&r, kvs[i].type, &kvs[i], 0))) return st;
    }
    int nk = (int)n_kv;
    const kv *archkv = find_kv(kvs, nk, "general.architecture");
    if (!archkv || archkv->type != GT_STR) return sx_set_error(SX_ERR_FORMAT, "%s: missing general.architecture", path);
    char arch[32]; size_t al = archkv->slen < 31 ? archkv->slen : 31; memcpy(arch, archkv->str, al); arch[al] = 0;
    if (strcmp(arch, "llama") && strcmp(arch, "mistral") && strcmp(arch, "qwen2"))
        return sx_set_error(SX_ERR_UNSUPPORTED, "%s: unknown architecture '%s' (supported: llama, mistral, qwen2)", path, arch);
    uint32_t alignment = (uint32_t)num_or(kvs, nk, "general", "alignment", 32);
    if (alignment == 0 || (alignment & (alignment - 1))) return sx_set_error(SX_ERR_FORMAT, "%s: bad general.alignment %u", path, alignment);

    m->tensors = sx_model_own(m, sizeof(sx_tensor) * (n_tensors + 1));
    uint64_t *offs = sx_model_own(m, 8 * (n_tensors + 1));
    if (!m->tensors || !offs) return sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory for tensor table", path);
    m->n_tensors = (int32_t)n_tensors;
    for (uint64_t i = 0; i < n_tensors; i++) {
        sx_tensor *t = &m->tensors[i];
        const char *name = NULL; uint64_t nlen = 0; uint32_t nd = 0, type = 0;
        if ((st = rd_str(&r, &name, &nlen, "a tensor name"))) return st;
        char *nm = sx_model_own(m, nlen + 1); if (!nm) return sx_set_error(SX_ERR_NO_MEMORY, "%s: out of memory", path);
        memcpy(nm, name, nlen); t->name = nm;
        if ((st = rd_bytes(&r, &nd, 4, "tensor dimensions"))) return st;
        if (nd == 0 || nd > SX_MAX_DIMS) return sx_set_error(SX_ERR_FORMAT, "%s: tensor '%s' has %u dimensions", path, nm, nd);
        t->n_dims = (int32_t)nd;
        int64_t nel = 1;
        for (int k = 0; k < SX_MAX_DIMS; k++) t->ne[k] = 1;
        for (uint32_t k = 0; k < nd; k++) {
            uint64_t d = 0; if ((st = rd_bytes(&r, &d, 8, "a tensor shape"))) return st;
            if (d == 0 || d > (1ull << 40) || (uint64_t)nel > (1ull << 42) / d) return sx_set_error(SX_ERR_FORMAT, "%s: tensor '%s' has bad dimension %llu", path, nm, (unsigned long long)d);
            t->ne[k] = (int64_t)d; nel *= (int64_t)d;
        }
        if ((st = rd_bytes(&r, &type, 4, "a tensor type")) || (st = rd_bytes(&r, &offs[i], 8, "a tensor offset"))) return st;
        if (!sx_dtype_block((int)type)) return sx_set_error(SX_ERR_UNSUPPORTED, "%s: tensor '%s' has unknown or unsupported dtype %u (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)", path, nm, type);
        t->type = (sx_dtype)type;
        if (t->ne[0] % sx_dtype_block((int)type)) return sx_set_error(SX_ERR_FORMAT, "%s: tensor '%s' row of %lld is not a multiple of the %s block", path, nm, (long long)t->ne[0], sx_dtype_name(type));
        t->nbytes = sx_row_bytes((int)type, t->ne[0]) * (size_t)(nel / t->ne[0]);
    }
    size_t data_start = ((size_t)(r.p - (const uint8_t *)addr) + alignment - 1) / alignment * alignment;
    for (uint64_t i = 0; i < n_tensors; i++) {
        sx_tensor *t = &m->tensors[i];
        if (offs[i] % alignment) return sx_set_error(SX_ERR_FORMAT, "%s: tensor '%s' offset %llu is not aligned to %u", path, t->name, (unsigned long long)offs[i], alignment);
        if (data_start > size || offs[i] > size - data_start || t->nbytes > size - data_start - offs[i])
            return sx_set_error(SX_ERR_FORMAT, "%s: truncated file: tensor '%s' (%zu bytes at %llu) ends past the end of the %zu-byte file",
                                path, t->name, t->nbytes, (unsigned long long)(data_start + offs[i]), size);
        t->data = (uint8_t *)addr + data_start + offs[i];
    }

    sx_hparams *hp = &m->hp;
    memcpy(hp->arch, arch, al + 1);
    hp->n_embd = (int32_t)num_or(kvs, nk, arch, "embedding_length", 0);
    hp->n_layer = (int32_t)num_or(kvs, nk, arch, "block_count", 0);
    hp->n_ff = (int32_t)num_or(kvs, nk, arch, "feed_forward_length", 0);
    hp->n_head = (int32_t)num_or(kvs, nk, arch, "attention.head_count", 0);
    hp->n_head_kv = (int32_t)num_or(kvs, nk, arch, "attention.head_count_kv", hp->n_head);
    hp->n_ctx_train = (int32_t)num_or(kvs, nk, arch, "context_length", 2048);
    hp->norm_eps = (float)num_or(kvs, nk, arch, "attention.layer_norm_rms_epsilon", 1e-5);
    hp->rope_theta = (float)num_or(kvs, nk, arch, "rope.freq_base", 10000.0);
    hp->head_dim = hp->n_head ? (int32_t)num_or(kvs, nk, arch, "attention.key_length", hp->n_embd / hp->n_head) : 0;
    hp->rope_kind = strcmp(arch, "qwen2") == 0 ? SX_ROPE_NEOX : SX_ROPE_NORM;
    hp->rope_linear_scale = 1.0f;
    char k[160]; snprintf(k, sizeof k, "%s.rope.scaling.type", arch);
    const kv *sc = find_kv(kvs, nk, k);
    if (sc && sc->type == GT_STR && sc->slen == 6 && memcmp(sc->str, "linear", 6) == 0) {
        double f = num_or(kvs, nk, arch, "rope.scaling.factor", 1.0);
        if (f > 0) hp->rope_linear_scale = (float)f;
    }
    const kv *tok = find_kv(kvs, nk, "tokenizer.ggml.tokens");
    hp->n_vocab = (int32_t)num_or(kvs, nk, arch, "vocab_size", tok ? (double)tok->arr_n : 0);
    return SX_OK;
}
