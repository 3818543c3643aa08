/* sx_bench — native timing of one engine step shape, for kernel work without Java.
 * usage: sx_bench model threads n_seqs prompt_len decode_steps [kv: f16 (default), f32, q8_0]
 * SX_BENCH_RANDOM=1: token ids spread over the whole vocabulary (as random prompts have them) instead of small ones.
 * SX_BENCH_SCATTER=1: the cache's blocks handed out interleaved (as after earlier sequences grew side by side), not in order.
 * SX_BENCH_BS=n: KV block size (default 16).
 * SX_BENCH_PACK=p: p sequences' prompts per prefill call (the server's steps when a burst of requests arrives:
 *   512-token steps of four 128-token prompts are SX_BENCH_PACK=4 with prompt_len 128); n_seqs a multiple of p.
 * Prefills n_seqs sequences of prompt_len tokens (one call each, or p per call), then times decode steps where every
 * sequence adds one token (n_seqs rows per step, all producing logits), and one prefill call of prompt_len. */
#include "sextant.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* FNV-1a over the logits of the last call: equal hashes = bit-identical results (kernel comparisons). */
static unsigned long long logits_hash(const sx_context *c, int n_rows, int n_vocab) {
    const unsigned char *p = (const unsigned char *)sx_logits(c); unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < (size_t)n_rows * n_vocab * sizeof(float); i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
/* CPU time of the process: on a machine shared with other work, threads=1 runs compare kernels by this. */
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

/* Token of sequence s at position i: small ids in a regular pattern, or with SX_BENCH_RANDOM=1 ids spread over the
 * whole vocabulary as a random prompt would have them (ServingBenchmark's prompts). */
static int random_tokens, n_vocab_tokens = 300;
static int32_t tok_at(int s, int i) {
    if (!random_tokens) return 1 + (s * 31 + i * 7) % 300;
    unsigned long long h = (unsigned long long)(s + 1) * 0x9E3779B97F4A7C15ULL ^ (unsigned long long)(i + 1) * 0xC2B2AE3D27D4EB4FULL;
    h ^= h >> 31; h *= 0xBF58476D1CE4E5B9ULL; h ^= h >> 29;
    return 3 + (int32_t)(h % (unsigned long long)(n_vocab_tokens - 3));
}

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: %s model threads n_seqs prompt_len decode_steps\n", argv[0]); return 2; }
    const int threads = atoi(argv[2]), n_seqs = atoi(argv[3]), plen = atoi(argv[4]), steps = atoi(argv[5]);
    const int pack = getenv("SX_BENCH_PACK") ? atoi(getenv("SX_BENCH_PACK")) : 1;
    if (pack < 1 || n_seqs % pack) { fprintf(stderr, "SX_BENCH_PACK must divide n_seqs\n"); return 2; }
    sx_model *m; sx_context *c;
    if (sx_model_load(argv[1], NULL, &m)) { fprintf(stderr, "load: %s\n", sx_last_error()); return 1; }
    sx_context_params cp = sx_context_default_params();
    cp.n_threads = threads; cp.n_seq_max = n_seqs + 1; cp.n_ctx = (n_seqs + 1) * (plen + steps + 16);
    cp.n_batch_max = plen * pack > n_seqs ? plen * pack : n_seqs; cp.n_out_max = cp.n_batch_max;
    if (getenv("SX_BENCH_BS")) cp.kv_block_size = atoi(getenv("SX_BENCH_BS"));
    if (argc > 6) cp.kv_type = strcmp(argv[6], "q8_0") == 0 ? SX_Q8_0 : strcmp(argv[6], "f32") == 0 ? SX_F32 : SX_F16;
    if (sx_context_init(m, &cp, &c)) { fprintf(stderr, "ctx: %s\n", sx_last_error()); return 1; }
    { sx_model_info mi; sx_model_get_info(m, &mi); n_vocab_tokens = mi.n_vocab; const char *r = getenv("SX_BENCH_RANDOM"); random_tokens = r && *r == '1'; }
    int32_t *tok = calloc(cp.n_batch_max, 4), *pos = calloc(cp.n_batch_max, 4), *seq = calloc(cp.n_batch_max, 4), *next = calloc(cp.n_batch_max, 4);
    int8_t *out = calloc(cp.n_batch_max, 1);
    if (getenv("SX_BENCH_SCATTER") && *getenv("SX_BENCH_SCATTER") == '1') {
        /* a long-running server's cache: sequences that grew side by side (a block each in turn) and were freed, so that
         * the blocks the next sequences get are not consecutive */
        sx_context_params got; sx_context_get_params(c, &got);
        const int bs = got.kv_block_size, slots = got.n_seq_max;
        for (int r = 0; sx_kv_free_blocks(c) >= slots; r++)
            for (int q = 0; q < slots; q++) {
                for (int i = 0; i < bs; i++) { tok[i] = 1; pos[i] = r * bs + i; seq[i] = q; }
                sx_batch fb = { bs, tok, pos, seq, NULL };
                if (sx_decode(c, &fb, next)) { fprintf(stderr, "scatter: %s\n", sx_last_error()); return 1; }
            }
        for (int q = 0; q < slots; q++) sx_kv_clear_seq(c, q);
    }
    double tp = 0, tpc = 0;
    for (int s = 0; s <= n_seqs; s += s == 0 ? 1 : pack) {
        const int np = s == 0 ? 1 : pack; /* sequence 0 alone: the first call warms up */
        for (int q = 0; q < np; q++)
            for (int i = 0; i < plen; i++) { tok[q * plen + i] = tok_at(s + q, i); pos[q * plen + i] = i; seq[q * plen + i] = s + q; }
        sx_batch b = { np * plen, tok, pos, seq, NULL };
        double t0 = now(), c0 = cpu();
        if (sx_decode(c, &b, next)) { fprintf(stderr, "prefill: %s\n", sx_last_error()); return 1; }
        if (s > 0) { tp += now() - t0; tpc += cpu() - c0; } /* the first call warms up */
    }
    sx_model_info info; sx_model_get_info(m, &info);
    printf("features %s, threads %d, kv cache %s\n", sx_cpu_features(), threads, cp.kv_type == SX_Q8_0 ? "q8_0" : cp.kv_type == SX_F32 ? "f32" : "f16");
    printf("prefill logits hash %016llx\n", logits_hash(c, 1, info.n_vocab));
    printf("prefill %d tokens: %.2f ms/call, %.1f tok/s, %.2f cpu-ms/call\n", plen * pack, tp / (n_seqs / pack) * 1e3, plen * n_seqs / tp,
           tpc / (n_seqs / pack) * 1e3);
    double best = 1e9, total = 0, total_cpu = 0;
    for (int st = 0; st < steps; st++) {
        for (int s = 0; s < n_seqs; s++) { tok[s] = random_tokens ? tok_at(s + 1, plen + st) : 1 + (s * 13 + st) % 300; pos[s] = plen + st; seq[s] = s + 1; out[s] = 1; }
        sx_batch b = { n_seqs, tok, pos, seq, out };
        double t0 = now(), c0 = cpu();
        if (sx_decode(c, &b, next)) { fprintf(stderr, "decode: %s\n", sx_last_error()); return 1; }
        double dt = now() - t0; total += dt; total_cpu += cpu() - c0; if (dt < best) best = dt;
    }
    printf("decode logits hash %016llx\n", logits_hash(c, n_seqs, info.n_vocab));
    printf("decode %d rows: %.2f ms/step mean, %.2f best, %.1f tok/s, %.2f cpu-ms/step\n", n_seqs, total / steps * 1e3, best * 1e3,
           n_seqs * steps / total, total_cpu / steps * 1e3);
    sx_context_free(c); sx_model_free(m);
    return 0;
}
