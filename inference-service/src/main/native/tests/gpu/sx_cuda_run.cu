/*
 * sx_cuda_run.cu — drives the CUDA backend (libsextant_cuda.so) on a GGUF model, on its own.
 *
 * It reads the GGUF with a minimal reader of its own and builds the sx_model / sx_context structs that the engine
 * core would build, then calls the backend table directly: the GPU check does not depend on the state of the core
 * library. Modes:
 *   golden <model.gguf> <golden.txt>            greedy ids, one sequence at a time and all sequences in one batch
 *   logits <model.gguf> <out.bin> <id>...        logits of every position: one prefill call, then token by token
 *   bench  <model.gguf> <batches> <steps>        decode tokens/s per batch size, copy bandwidth, roofline fraction
 *   api    <libsextant.so> <model.gguf> <golden.txt>   the same greedy check through the engine's public C API
 *   micro                                        streaming-read bandwidth and grid-barrier cost (ceilings)
 *   d1check <model.gguf> <steps>                 single-token steps through the whole-step kernel (decode1.cu) vs the
 *                                               per-op kernels on the same tokens: logits NMSE and greedy agreement
 * golden.txt: one run per line, "prompt ids | expected greedy ids".
 */
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <vector>
#include <string>
extern "C" {
#include "backend.h"
}
#include "sample.cuh"

extern "C" const sx_backend *sx_backend_cuda(void);
extern "C" const char *sx_cuda_last_error(void);
extern "C" const char *sx_cuda_cublas_path(void);
extern "C" int sx_cuda_profile_report(const sx_context *ctx, char *buf, int cap);
extern "C" int sx_cuda_d1_profile(char *buf, int cap);
extern "C" float sx_cuda_barrier_bench(int iters);
extern "C" sx_status sx_cuda_sample(sx_context *ctx, const uint32_t *masks, const sx_sample_params *params, int32_t *out);

static void die(const char *fmt, const char *a) { fprintf(stderr, fmt, a); fprintf(stderr, "\n"); exit(2); }

/* ---- minimal GGUF v3 reader ---- */

static size_t row_bytes(int type, int64_t n) {
    switch (type) { case 0: return n * 4; case 1: case 30: return n * 2; case 8: return n / 32 * 34; case 2: return n / 32 * 18;
                    case 12: return n / 256 * 144; case 14: return n / 256 * 210; default: return 0; }
}

struct rd { const uint8_t *p, *end; };
static uint64_t ru(rd &r, int n) { if (r.p + n > r.end) die("%s", "gguf: truncated"); uint64_t v = 0; memcpy(&v, r.p, n); r.p += n; return v; }
static std::string rs(rd &r) { uint64_t n = ru(r, 8); if (r.p + n > r.end) die("%s", "gguf: truncated"); std::string s((const char *)r.p, n); r.p += n; return s; }
static int tsize(uint32_t t) { switch (t) { case 0: case 1: case 7: return 1; case 2: case 3: return 2; case 4: case 5: case 6: return 4; case 10: case 11: case 12: return 8; } return 0; }
static double rnum(rd &r, uint32_t t) {
    switch (t) {
    case 0: return (double)(uint8_t)ru(r, 1); case 1: return (double)(int8_t)ru(r, 1); case 2: return (double)(uint16_t)ru(r, 2); case 3: return (double)(int16_t)ru(r, 2);
    case 4: return (double)(uint32_t)ru(r, 4); case 5: return (double)(int32_t)ru(r, 4);
    case 6: { uint32_t b = (uint32_t)ru(r, 4); float f; memcpy(&f, &b, 4); return f; }
    case 7: return (double)ru(r, 1); case 10: return (double)ru(r, 8); case 11: return (double)(int64_t)ru(r, 8);
    case 12: { uint64_t b = ru(r, 8); double d; memcpy(&d, &b, 8); return d; }
    }
    return 0;
}
static void skip(rd &r, uint32_t t) {
    if (t == 8) { rs(r); return; }
    if (t == 9) { uint32_t at = (uint32_t)ru(r, 4); uint64_t n = ru(r, 8); for (uint64_t i = 0; i < n; i++) skip(r, at); return; }
    r.p += tsize(t);
}

static sx_model *load_gguf(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) die("cannot open %s", path);
    struct stat st; fstat(fd, &st);
    uint8_t *base = (uint8_t *)mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) die("mmap failed: %s", path);
    rd r = { base, base + st.st_size };
    if (ru(r, 4) != 0x46554747u) die("%s: not a GGUF file", path);
    if (ru(r, 4) != 3) die("%s: GGUF version != 3", path);
    uint64_t nt = ru(r, 8), nkv = ru(r, 8);
    sx_model *m = (sx_model *)calloc(1, sizeof *m);
    snprintf(m->path, sizeof m->path, "%s", path);
    sx_hparams *hp = &m->hp;
    std::string arch = "llama";
    double align = 32, theta = 10000, eps = 1e-5, key_len = 0;
    for (uint64_t i = 0; i < nkv; i++) {
        std::string k = rs(r); uint32_t t = (uint32_t)ru(r, 4);
        if (t == 8) { std::string v = rs(r); if (k == "general.architecture") arch = v; continue; }
        if (t == 9) { skip(r, t); continue; }
        double v = rnum(r, t);
        std::string suf = k.find('.') != std::string::npos ? k.substr(k.find('.') + 1) : k;
        if (k == "general.alignment") align = v;
        else if (suf == "block_count") hp->n_layer = (int)v;
        else if (suf == "embedding_length") hp->n_embd = (int)v;
        else if (suf == "feed_forward_length") hp->n_ff = (int)v;
        else if (suf == "attention.head_count") hp->n_head = (int)v;
        else if (suf == "attention.head_count_kv") hp->n_head_kv = (int)v;
        else if (suf == "rope.freq_base") theta = v;
        else if (suf == "attention.layer_norm_rms_epsilon") eps = v;
        else if (suf == "attention.key_length") key_len = v;
        else if (suf == "context_length") hp->n_ctx_train = (int)v;
    }
    snprintf(hp->arch, sizeof hp->arch, "%s", arch.c_str());
    if (!hp->n_head_kv) hp->n_head_kv = hp->n_head;
    hp->head_dim = key_len > 0 ? (int)key_len : hp->n_embd / hp->n_head;
    hp->norm_eps = (float)eps; hp->rope_theta = (float)theta; hp->rope_linear_scale = 1.f;
    hp->rope_kind = arch == "qwen2" ? SX_ROPE_NEOX : SX_ROPE_NORM;
    m->n_tensors = (int)nt;
    m->tensors = (sx_tensor *)calloc(nt, sizeof(sx_tensor));
    std::vector<uint64_t> offs(nt);
    for (uint64_t i = 0; i < nt; i++) {
        sx_tensor *t = &m->tensors[i];
        t->name = strdup(rs(r).c_str());
        t->n_dims = (int)ru(r, 4);
        for (int d = 0; d < SX_MAX_DIMS; d++) t->ne[d] = 1;
        for (int d = 0; d < t->n_dims; d++) t->ne[d] = (int64_t)ru(r, 8);
        t->type = (sx_dtype)ru(r, 4);
        offs[i] = ru(r, 8);
        int64_t rows = t->ne[1] * t->ne[2] * t->ne[3];
        t->nbytes = row_bytes(t->type, t->ne[0]) * rows;
    }
    size_t hdr = (size_t)(r.p - base), a = (size_t)align, data = (hdr + a - 1) / a * a;
    for (uint64_t i = 0; i < nt; i++) m->tensors[i].data = base + data + offs[i];
    auto find = [&](const char *name) -> sx_tensor * { for (int i = 0; i < m->n_tensors; i++) if (!strcmp(m->tensors[i].name, name)) return &m->tensors[i]; return (sx_tensor *)NULL; };
    m->tok_embd = find("token_embd.weight"); m->output_norm = find("output_norm.weight"); m->output = find("output.weight");
    if (!m->output) m->output = m->tok_embd;
    if (!m->tok_embd || !m->output_norm) die("%s: missing token_embd/output_norm", path);
    hp->n_vocab = (int)m->tok_embd->ne[1];
    m->layers = (sx_layer *)calloc(hp->n_layer, sizeof(sx_layer));
    char n[128];
    for (int l = 0; l < hp->n_layer; l++) {
        sx_layer *L = &m->layers[l];
#define B(f, nm) snprintf(n, sizeof n, "blk.%d." nm, l); L->f = find(n);
        B(attn_norm, "attn_norm.weight") B(wq, "attn_q.weight") B(wk, "attn_k.weight") B(wv, "attn_v.weight")
        B(bq, "attn_q.bias") B(bk, "attn_k.bias") B(bv, "attn_v.bias") B(wo, "attn_output.weight")
        B(ffn_norm, "ffn_norm.weight") B(w_gate, "ffn_gate.weight") B(w_up, "ffn_up.weight") B(w_down, "ffn_down.weight")
#undef B
        if (!L->attn_norm || !L->wq || !L->wk || !L->wv || !L->wo || !L->ffn_norm || !L->w_gate || !L->w_up || !L->w_down) die("%s: a layer tensor is missing", path);
    }
    m->inv_freq = (float *)calloc(hp->head_dim / 2, sizeof(float));
    for (int i = 0; i < hp->head_dim / 2; i++) m->inv_freq[i] = (float)pow((double)hp->rope_theta, -2.0 * i / hp->head_dim);
    return m;
}

/* ---- contexts built the way the core builds them: paged blocks, interleaved so tables are not contiguous ---- */

static sx_context *make_ctx(sx_model *m, int n_seq, int max_len, int bs, int n_batch, int n_out) {
    sx_context *c = (sx_context *)calloc(1, sizeof *c);
    c->model = m;
    c->params.n_threads = 1; c->params.n_seq_max = n_seq; c->params.kv_block_size = bs;
    c->params.n_batch_max = n_batch; c->params.n_out_max = n_out;
    c->max_blocks_per_seq = (max_len + bs - 1) / bs;
    c->n_blocks = n_seq * c->max_blocks_per_seq;
    c->params.n_ctx = c->n_blocks * bs;
    c->seqs = (sx_seq *)calloc(n_seq, sizeof(sx_seq));
    for (int s = 0; s < n_seq; s++) {
        c->seqs[s].blocks = (int32_t *)malloc(sizeof(int32_t) * c->max_blocks_per_seq);
        c->seqs[s].n_blocks = c->max_blocks_per_seq;
        for (int j = 0; j < c->max_blocks_per_seq; j++) c->seqs[s].blocks[j] = j * n_seq + (n_seq - 1 - s);
    }
    c->logits = (float *)malloc(sizeof(float) * (size_t)n_out * m->hp.n_vocab);
    c->cells = (int32_t *)malloc(sizeof(int32_t) * n_batch);
    c->out_rows = (int32_t *)malloc(sizeof(int32_t) * n_out);
    sx_status s = sx_backend_cuda()->context_init(c);
    if (s != SX_OK) die("context_init: %s", sx_cuda_last_error());
    return c;
}

static void step(sx_context *c, int n, const int *tok, const int *pos, const int *seq, const int8_t *out) {
    int bs = c->params.kv_block_size, k = 0;
    for (int i = 0; i < n; i++) {
        c->cells[i] = c->seqs[seq[i]].blocks[pos[i] / bs] * bs + pos[i] % bs;
        if (out[i]) c->out_rows[k++] = i;
        if (pos[i] + 1 > c->seqs[seq[i]].len) c->seqs[seq[i]].len = pos[i] + 1;
    }
    c->n_outputs = k;
    sx_batch b = { n, tok, pos, seq, out };
    sx_status s = sx_backend_cuda()->decode(c, &b);
    if (s != SX_OK) die("decode: %s", sx_cuda_last_error());
}

static int argmax(const float *l, int n) { int b = 0; for (int i = 1; i < n; i++) if (l[i] > l[b]) b = i; return b; }
static double now() { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

struct run { std::vector<int> prompt, expect; };
static std::vector<run> read_golden(const char *path) {
    FILE *f = fopen(path, "r"); if (!f) die("cannot open %s", path);
    std::vector<run> runs; char line[1 << 16];
    while (fgets(line, sizeof line, f)) {
        run r; bool second = false;
        for (char *p = strtok(line, " \t\n"); p; p = strtok(NULL, " \t\n")) { if (!strcmp(p, "|")) second = true; else (second ? r.expect : r.prompt).push_back(atoi(p)); }
        if (!r.prompt.empty()) runs.push_back(r);
    }
    fclose(f);
    return runs;
}

static int mode_golden(sx_model *m, const char *gpath) {
    std::vector<run> runs = read_golden(gpath);
    const int V = m->hp.n_vocab, R = (int)runs.size();
    int fails = 0;
    /* one sequence at a time: prefill in one call, then greedy decode */
    for (int ri = 0; ri < R; ri++) {
        const run &r = runs[ri];
        sx_context *c = make_ctx(m, 1, 1024, 16, 1024, 1);
        int n = (int)r.prompt.size();
        std::vector<int> pos(n), seq(n, 0); std::vector<int8_t> out(n, 0); out[n - 1] = 1;
        for (int i = 0; i < n; i++) pos[i] = i;
        step(c, n, r.prompt.data(), pos.data(), seq.data(), out.data());
        std::vector<int> got;
        int p = n;
        for (size_t i = 0; i < r.expect.size(); i++) {
            int t = argmax(c->logits, V); got.push_back(t);
            int8_t o = 1; int s0 = 0;
            step(c, 1, &t, &p, &s0, &o); p++;
        }
        int ok = got == r.expect;
        if (!ok) fails++;
        printf("golden run %d (prompt %d tokens, %zu generated, one sequence): %s\n", ri, n, got.size(), ok ? "ids match" : "MISMATCH");
        if (!ok) { printf("  got:"); for (int t : got) printf(" %d", t); printf("\n  exp:"); for (int t : r.expect) printf(" %d", t); printf("\n"); }
        sx_backend_cuda()->context_free(c);
    }
    /* all runs as concurrent sequences: one mixed prefill batch, then lockstep decode batches */
    {
        sx_context *c = make_ctx(m, R, 1024, 16, 1024, R);
        std::vector<int> tok, pos, seq; std::vector<int8_t> out;
        for (int ri = 0; ri < R; ri++) for (size_t i = 0; i < runs[ri].prompt.size(); i++) {
            tok.push_back(runs[ri].prompt[i]); pos.push_back((int)i); seq.push_back(ri); out.push_back(i + 1 == runs[ri].prompt.size());
        }
        step(c, (int)tok.size(), tok.data(), pos.data(), seq.data(), out.data());
        std::vector<std::vector<int>> got(R);
        size_t maxn = 0; for (auto &r : runs) maxn = std::max(maxn, r.expect.size());
        for (size_t i = 0; i < maxn; i++) {
            tok.clear(); pos.clear(); seq.clear(); out.clear();
            for (int ri = 0; ri < R; ri++) {
                int t = argmax(c->logits + (size_t)ri * V, V); got[ri].push_back(t);
                tok.push_back(t); pos.push_back((int)(runs[ri].prompt.size() + i)); seq.push_back(ri); out.push_back(1);
            }
            step(c, R, tok.data(), pos.data(), seq.data(), out.data());
        }
        int bad = 0;
        for (int ri = 0; ri < R; ri++) { got[ri].resize(runs[ri].expect.size()); if (got[ri] != runs[ri].expect) bad++; }
        printf("golden batched: %d sequences in one batch (mixed prefill, then decode): %s\n", R, bad ? "MISMATCH" : "ids match");
        fails += bad;
        sx_backend_cuda()->context_free(c);
    }
    printf("golden: %s\n", fails ? "FAIL" : "PASS");
    return fails ? 1 : 0;
}

static int mode_logits(sx_model *m, const char *outp, int n, char **ids) {
    const int V = m->hp.n_vocab;
    std::vector<int> tok(n), pos(n), seq(n, 0); std::vector<int8_t> out(n, 1);
    for (int i = 0; i < n; i++) { tok[i] = atoi(ids[i]); pos[i] = i; }
    sx_context *c = make_ctx(m, 2, 512, 16, n, n);
    step(c, n, tok.data(), pos.data(), seq.data(), out.data());
    std::vector<float> pre(c->logits, c->logits + (size_t)n * V), inc((size_t)n * V);
    for (int i = 0; i < n; i++) { int s1 = 1; int8_t o = 1; step(c, 1, &tok[i], &pos[i], &s1, &o); memcpy(&inc[(size_t)i * V], c->logits, sizeof(float) * V); }
    FILE *f = fopen(outp, "wb"); if (!f) die("cannot write %s", outp);
    int hdr[2] = { n, V }; fwrite(hdr, sizeof hdr, 1, f); fwrite(pre.data(), sizeof(float), pre.size(), f); fwrite(inc.data(), sizeof(float), inc.size(), f); fclose(f);
    printf("logits: %d positions x %d written to %s (prefill of %d tokens in one call + one token at a time)\n", n, V, outp, n);
    sx_backend_cuda()->context_free(c);
    return 0;
}

static double copy_bandwidth() {
    size_t bytes = (size_t)2 << 30; void *a, *b;
    if (cudaMalloc(&a, bytes) != cudaSuccess || cudaMalloc(&b, bytes) != cudaSuccess) { bytes = (size_t)256 << 20; cudaMalloc(&a, bytes); cudaMalloc(&b, bytes); }
    cudaMemset(a, 1, bytes); cudaMemset(b, 0, bytes);
    cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
    for (int i = 0; i < 3; i++) cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
    const int reps = 20;
    cudaEventRecord(e0);
    for (int i = 0; i < reps; i++) cudaMemcpyAsync(i & 1 ? a : b, i & 1 ? b : a, bytes, cudaMemcpyDeviceToDevice);
    cudaEventRecord(e1); cudaEventSynchronize(e1);
    float ms; cudaEventElapsedTime(&ms, e0, e1);
    cudaFree(a); cudaFree(b);
    return 2.0 * bytes * reps / (ms * 1e-3); /* read + write bytes per second */
}

static int mode_bench(sx_model *m, const char *batches, int steps) {
    const int V = m->hp.n_vocab;
    cudaDeviceProp p; cudaGetDeviceProperties(&p, 0);
    double bw = copy_bandwidth();
    /* bytes read per decode token: every layer tensor + output norm + the output matrix + one embedding row */
    double wbytes = 0;
    for (int i = 0; i < m->n_tensors; i++) if (&m->tensors[i] != m->tok_embd) wbytes += m->tensors[i].nbytes;
    if (m->output == m->tok_embd) wbytes += m->tok_embd->nbytes; else wbytes += m->tok_embd->nbytes / m->hp.n_vocab;
    printf("bench: device %s, copy bandwidth %.1f GB/s (cudaMemcpy D2D, read+write), weight bytes per token %.3f GB, cuBLAS %s\n",
           p.name, bw / 1e9, wbytes / 1e9, sx_cuda_cublas_path()[0] ? sx_cuda_cublas_path() : "not loaded");
    printf("bench: roofline at batch 1 = %.1f tok/s\n", bw / wbytes);
    char buf[256]; snprintf(buf, sizeof buf, "%s", batches);
    for (char *tk = strtok(buf, ","); tk; tk = strtok(NULL, ",")) {
        int B = atoi(tk), P = 8;
        sx_context *c = make_ctx(m, B, P + steps + 32, 16, B * P, B);
        std::vector<int> tok, pos, seq; std::vector<int8_t> out;
        srand(42);
        for (int b = 0; b < B; b++) for (int i = 0; i < P; i++) { tok.push_back(1 + rand() % (V - 1)); pos.push_back(i); seq.push_back(b); out.push_back(i == P - 1); }
        step(c, B * P, tok.data(), pos.data(), seq.data(), out.data());
        std::vector<int32_t> next(B);
        tok.assign(B, 0); pos.assign(B, 0); seq.resize(B); out.assign(B, 1);
        for (int b = 0; b < B; b++) seq[b] = b;
        int cur = P;
        auto one = [&]() {
            if (sx_cuda_sample(c, NULL, NULL, next.data()) != SX_OK) die("sample: %s", sx_cuda_last_error());
            for (int b = 0; b < B; b++) { tok[b] = next[b]; pos[b] = cur; }
            step(c, B, tok.data(), pos.data(), seq.data(), out.data()); cur++;
        };
        for (int i = 0; i < 4; i++) one(); /* warm-up: first sighting runs eagerly, second captures the graph */
        double t0 = now();
        for (int i = 0; i < steps; i++) one();
        double dt = now() - t0;
        double tps = (double)B * steps / dt;
        printf("bench: batch %d: %d decode steps in %.3f s: %.1f tok/s (%.3f ms/step, logits to host and device greedy sampling included)",
               B, steps, dt, tps, dt / steps * 1e3);
        if (B == 1) printf(", roofline fraction %.3f", wbytes * tps / bw);
        printf("\n");
        if (getenv("SEXTANT_CUDA_PROFILE")) { char pr[2048]; sx_cuda_profile_report(c, pr, sizeof pr); printf("profile batch %d: %s\n", B, pr); }
        if (B == 1 && getenv("SEXTANT_CUDA_D1_PROF")) { char pr[2048]; sx_cuda_d1_profile(pr, sizeof pr); printf("d1 profile: %s\n", pr); }
        printf("BENCH_JSON {\"batch\": %d, \"tok_s\": %.2f, \"ms_step\": %.4f, \"copy_bw\": %.4e, \"weight_bytes\": %.4e}\n", B, tps, dt / steps * 1e3, bw, wbytes);
        sx_backend_cuda()->context_free(c);
    }
    return 0;
}

/* Whole-step decode kernel vs per-op kernels: the same prompt and the same fed tokens (the per-op run's greedy
   choices) through two contexts; SEXTANT_CUDA_MEGAKERNEL is read when a context is made. Fails on NMSE > 1e-5 or
   when fewer than 95% of the greedy ids agree (near-ties on random weights may flip a few). */
static int mode_d1check(sx_model *m, int steps) {
    const int V = m->hp.n_vocab, P = 8;
    setenv("SEXTANT_CUDA_MEGAKERNEL", "0", 1);
    sx_context *ref = make_ctx(m, 1, P + steps + 16, 16, P, 1);
    setenv("SEXTANT_CUDA_MEGAKERNEL", "1", 1);
    sx_context *d1 = make_ctx(m, 1, P + steps + 16, 16, P, 1);
    std::vector<int> tok(P), pos(P), seq(P, 0); std::vector<int8_t> out(P, 0); out[P - 1] = 1;
    srand(7);
    for (int i = 0; i < P; i++) { tok[i] = 1 + rand() % (V - 1); pos[i] = i; }
    step(ref, P, tok.data(), pos.data(), seq.data(), out.data());
    step(d1, P, tok.data(), pos.data(), seq.data(), out.data());
    double worst = 0, sum_nmse = 0; int agree = 0;
    for (int i = 0; i < steps; i++) {
        int t = argmax(ref->logits, V), t1 = argmax(d1->logits, V);
        agree += t == t1;
        int p = P + i, s0 = 0; int8_t o = 1;
        step(ref, 1, &t, &p, &s0, &o);
        step(d1, 1, &t, &p, &s0, &o);
        double num = 0, den = 0;
        for (int v = 0; v < V; v++) { double d = (double)d1->logits[v] - ref->logits[v]; num += d * d; den += (double)ref->logits[v] * ref->logits[v]; }
        double nmse = den > 0 ? num / den : num;
        sum_nmse += nmse; if (nmse > worst) worst = nmse;
    }
    int ok = worst <= 1e-5 && agree >= (int)(0.95 * steps);
    printf("d1check: %d single-token steps (positions %d..%d): logits NMSE mean %.3g max %.3g, greedy ids agree %d/%d: %s\n",
           steps, P, P + steps - 1, sum_nmse / steps, worst, agree, steps, ok ? "PASS" : "FAIL");
    sx_backend_cuda()->context_free(ref); sx_backend_cuda()->context_free(d1);
    unsetenv("SEXTANT_CUDA_MEGAKERNEL");
    return ok ? 0 : 1;
}

/* Two ceilings for the single-token kernels: a plain streaming read of 2 GB (16-byte loads, 8 in flight per
   thread) and the cost of one grid-wide barrier. */
__global__ void stream_read_kernel(const uint4 *p, size_t n, unsigned *out) {
    unsigned acc = 0;
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += 8 * stride) {
        uint4 v[8];
#pragma unroll
        for (int u = 0; u < 8; u++) if (i + u * stride < n) v[u] = __ldcs(p + i + u * stride); else v[u] = make_uint4(0, 0, 0, 0);
#pragma unroll
        for (int u = 0; u < 8; u++) acc ^= v[u].x ^ v[u].y ^ v[u].z ^ v[u].w;
    }
    if (acc == 0x12345678u) *out = acc;
}

/* Probe of batch-1 matrix-vector bandwidth (BF16 weights, x staged in shared memory): R rows per warp, U 16-byte
   loads per row and lane in flight before the arithmetic, grid = the blocks resident at once. Not a kernel of the
   backend: it tells which shape of kernel can approach the copy bandwidth. */
__device__ __forceinline__ float probe_dot8(uint4 u, const float *x) {
    const uint32_t v[4] = { u.x, u.y, u.z, u.w };
    float s = 0.f;
#pragma unroll
    for (int i = 0; i < 4; i++) s += __uint_as_float(v[i] << 16) * x[2 * i] + __uint_as_float(v[i] & 0xffff0000u) * x[2 * i + 1];
    return s;
}
template <int R, int U>
__global__ void mv_probe_kernel(const uint4 *w, int rows, int K, const float *x, float *y) {
    extern __shared__ float xs[];
    for (int i = threadIdx.x; i < K; i += blockDim.x) xs[i] = x[i];
    __syncthreads();
    const int lane = threadIdx.x & 31, nw = blockDim.x >> 5, gw = (threadIdx.x >> 5) * gridDim.x + blockIdx.x, NW = gridDim.x * nw;
    const int nch = K / 8;
    for (int r0 = gw * R; r0 < rows; r0 += NW * R) {
        float acc[R];
#pragma unroll
        for (int r = 0; r < R; r++) acc[r] = 0.f;
        for (int c = lane; c < nch; c += 32 * U) {
            uint4 v[R][U];
#pragma unroll
            for (int r = 0; r < R; r++)
#pragma unroll
                for (int u = 0; u < U; u++) if (c + 32 * u < nch && r0 + r < rows) v[r][u] = __ldcs(w + (size_t)(r0 + r) * nch + c + 32 * u);
#pragma unroll
            for (int r = 0; r < R; r++)
#pragma unroll
                for (int u = 0; u < U; u++) if (c + 32 * u < nch && r0 + r < rows) acc[r] += probe_dot8(v[r][u], xs + (c + 32 * u) * 8);
        }
#pragma unroll
        for (int r = 0; r < R; r++) {
            float t = acc[r];
            for (int o = 16; o > 0; o >>= 1) t += __shfl_xor_sync(0xffffffffu, t, o);
            if (lane == 0 && r0 + r < rows) y[r0 + r] = t;
        }
    }
}

template <int R, int U>
static void probe_mv(const char *name, int rows, int K, int threads, const uint8_t *pool, size_t pool_bytes, const float *x, float *y, int n_sm) {
    auto k = mv_probe_kernel<R, U>;
    int occ = 0;
    cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, k, threads, sizeof(float) * K);
    const size_t mb = (size_t)rows * K * 2, copies = pool_bytes / mb;
    cudaStream_t st; cudaStreamCreate(&st);
    cudaGraph_t g; cudaGraphExec_t ge;
    const int reps = 40;
    cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal);
    for (int i = 0; i < reps; i++) k<<<occ * n_sm, threads, sizeof(float) * K, st>>>((const uint4 *)(pool + (i % copies) * mb), rows, K, x, y);
    cudaStreamEndCapture(st, &g);
    if (cudaGraphInstantiate(&ge, g, 0) != cudaSuccess) { printf("micro: %s: graph failed\n", name); cudaGetLastError(); return; }
    cudaGraphLaunch(ge, st);
    cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
    cudaEventRecord(e0, st); cudaGraphLaunch(ge, st); cudaEventRecord(e1, st); cudaEventSynchronize(e1);
    float ms = 0; cudaEventElapsedTime(&ms, e0, e1);
    cudaError_t err = cudaGetLastError();
    const double us = ms * 1e3 / reps;
    printf("micro: matvec probe %-22s R=%d U=%-2d %3d threads x %d blocks/SM: %7.2f us  %5.0f GB/s%s\n", name, R, U, threads, occ, us,
           mb / (us * 1e-6) / 1e9, err == cudaSuccess ? "" : cudaGetErrorString(err));
    cudaGraphExecDestroy(ge); cudaGraphDestroy(g); cudaStreamDestroy(st); cudaEventDestroy(e0); cudaEventDestroy(e1);
}

static int mode_micro() {
    size_t bytes = (size_t)2 << 30; uint4 *p; unsigned *o;
    if (cudaMalloc(&p, bytes) != cudaSuccess || cudaMalloc(&o, 4) != cudaSuccess) die("%s", "micro: cudaMalloc");
    cudaMemset(p, 1, bytes);
    int n_sm = 0; cudaDeviceGetAttribute(&n_sm, cudaDevAttrMultiProcessorCount, 0);
    cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
    for (int bps = 1; bps <= 8; bps *= 2) {
        stream_read_kernel<<<n_sm * bps, 256>>>(p, bytes / 16, o);
        cudaEventRecord(e0);
        for (int r = 0; r < 5; r++) stream_read_kernel<<<n_sm * bps, 256>>>(p, bytes / 16, o);
        cudaEventRecord(e1); cudaEventSynchronize(e1);
        float ms; cudaEventElapsedTime(&ms, e0, e1);
        printf("micro: streaming read, %d x 256-thread blocks per SM, 8 x 16 B in flight per thread: %.0f GB/s\n", bps, 5.0 * bytes / (ms * 1e-3) / 1e9);
    }
    printf("micro: grid-wide barrier, one 512-thread block per SM (%d): %.2f us\n", n_sm, sx_cuda_barrier_bench(2000));
    /* the 0.85B Llama's matrices, weights cycling through the 2 GB buffer (cold in L2), filled with 0x3c bytes */
    cudaMemset(p, 0x3c, bytes);
    float *x, *y; cudaMalloc(&x, sizeof(float) * 8192); cudaMalloc(&y, sizeof(float) * 32768);
    cudaMemset(x, 0x3c, sizeof(float) * 8192);
    struct { const char *name; int rows, K; } sh[] = { { "gate|up 11264x2048", 11264, 2048 }, { "down 2048x5632", 2048, 5632 },
                                                       { "qkv 3072x2048", 3072, 2048 }, { "o 2048x2048", 2048, 2048 } };
    for (auto &m : sh) {
        const uint8_t *pb = (const uint8_t *)p;
        probe_mv<1, 4>(m.name, m.rows, m.K, 256, pb, bytes, x, y, n_sm);
        probe_mv<1, 8>(m.name, m.rows, m.K, 256, pb, bytes, x, y, n_sm);
        probe_mv<1, 16>(m.name, m.rows, m.K, 256, pb, bytes, x, y, n_sm);
        probe_mv<2, 4>(m.name, m.rows, m.K, 256, pb, bytes, x, y, n_sm);
        probe_mv<2, 8>(m.name, m.rows, m.K, 256, pb, bytes, x, y, n_sm);
        probe_mv<1, 8>(m.name, m.rows, m.K, 512, pb, bytes, x, y, n_sm);
        probe_mv<2, 8>(m.name, m.rows, m.K, 512, pb, bytes, x, y, n_sm);
    }
    cudaFree(x); cudaFree(y);
    cudaFree(p); cudaFree(o);
    return 0;
}

/* ---- the engine's public API (libsextant + dlopened libsextant_cuda), when the core is ready ---- */

typedef sx_status (*load_fn)(const char *, const sx_model_params *, sx_model **);
typedef sx_context_params (*cdef_fn)(void);
typedef sx_status (*cinit_fn)(sx_model *, const sx_context_params *, sx_context **);
typedef sx_status (*dec_fn)(sx_context *, const sx_batch *, int32_t *);
typedef const char *(*err_fn)(void);

static int mode_api(const char *lib, const char *model, const char *gpath) {
    void *h = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
    if (!h) { printf("api: cannot open %s: %s\n", lib, dlerror()); return 3; }
    load_fn load = (load_fn)dlsym(h, "sx_model_load"); cdef_fn cdef = (cdef_fn)dlsym(h, "sx_context_default_params");
    cinit_fn cinit = (cinit_fn)dlsym(h, "sx_context_init"); dec_fn dec = (dec_fn)dlsym(h, "sx_decode"); err_fn err = (err_fn)dlsym(h, "sx_last_error");
    if (!load || !cdef || !cinit || !dec || !err) { printf("api: %s lacks sx_model_load/sx_context_init/sx_decode/sx_last_error\n", lib); return 3; }
    sx_model_params mp = { SX_BACKEND_CUDA, 0 };
    sx_model *m;
    if (load(model, &mp, &m) != SX_OK) { printf("api: sx_model_load(cuda): %s\n", err()); return 3; }
    std::vector<run> runs = read_golden(gpath);
    int fails = 0;
    for (size_t ri = 0; ri < runs.size(); ri++) {
        sx_context_params cp = cdef(); cp.n_seq_max = 1; cp.n_ctx = 1024; cp.n_batch_max = 256; cp.n_out_max = 1;
        sx_context *c;
        if (cinit(m, &cp, &c) != SX_OK) { printf("api: sx_context_init: %s\n", err()); return 3; }
        const run &r = runs[ri];
        int n = (int)r.prompt.size();
        std::vector<int> pos(n), seq(n, 0); for (int i = 0; i < n; i++) pos[i] = i;
        sx_batch b = { n, r.prompt.data(), pos.data(), seq.data(), NULL };
        int32_t next;
        if (dec(c, &b, &next) != SX_OK) { printf("api: sx_decode: %s\n", err()); return 3; }
        std::vector<int> got;
        for (size_t i = 0; i < r.expect.size(); i++) {
            got.push_back(next);
            int t = next, p = n + (int)i, s0 = 0;
            sx_batch b1 = { 1, &t, &p, &s0, NULL };
            if (dec(c, &b1, &next) != SX_OK) { printf("api: sx_decode: %s\n", err()); return 3; }
        }
        bool ok = got == r.expect; if (!ok) fails++;
        printf("api golden run %zu: %s\n", ri, ok ? "ids match" : "MISMATCH");
    }
    printf("api: %s\n", fails ? "FAIL" : "PASS");
    return fails ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "micro")) return mode_micro();
    if (argc < 3) { fprintf(stderr, "usage: sx-cuda-run golden|logits|bench|api|d1check|micro ...\n"); return 2; }
    const char *mode = argv[1];
    if (!strcmp(mode, "api")) return argc < 5 ? 2 : mode_api(argv[2], argv[3], argv[4]);
    sx_model *m = load_gguf(argv[2]);
    double t0 = now();
    if (sx_backend_cuda()->model_init(m, 0) != SX_OK) die("model_init: %s", sx_cuda_last_error());
    printf("%s: %d layers, dim %d, heads %d/%d, ffn %d, vocab %d, uploaded in %.2f s\n", argv[2], m->hp.n_layer, m->hp.n_embd,
           m->hp.n_head, m->hp.n_head_kv, m->hp.n_ff, m->hp.n_vocab, now() - t0);
    int rc = 2;
    if (!strcmp(mode, "golden") && argc >= 4) rc = mode_golden(m, argv[3]);
    else if (!strcmp(mode, "logits") && argc >= 5) rc = mode_logits(m, argv[3], argc - 4, argv + 4);
    else if (!strcmp(mode, "bench") && argc >= 5) rc = mode_bench(m, argv[3], atoi(argv[4]));
    else if (!strcmp(mode, "d1check") && argc >= 4) rc = mode_d1check(m, atoi(argv[3]));
    sx_backend_cuda()->model_free(m);
    return rc;
}
