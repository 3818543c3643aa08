/* sx_run — a small C driver: greedy generation from token ids, for debugging without Java.
 * usage: sx_run model.gguf n_predict threads [token ids...] */
#include "sextant.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s model n_predict threads [ids...]\n", argv[0]); return 2; }
    sx_model *m; sx_context *c;
    if (sx_model_load(argv[1], NULL, &m)) { fprintf(stderr, "load: %s\n", sx_last_error()); return 1; }
    sx_context_params cp = sx_context_default_params();
    cp.n_threads = atoi(argv[3]); cp.n_ctx = 1024;
    if (sx_context_init(m, &cp, &c)) { fprintf(stderr, "ctx: %s\n", sx_last_error()); return 1; }
    int n_prompt = argc - 4 > 0 ? argc - 4 : 1, n_pred = atoi(argv[2]);
    int32_t toks[1024], pos[1024], seq[1024];
    for (int i = 0; i < n_prompt; i++) { toks[i] = argc > 4 ? atoi(argv[4 + i]) : 1; pos[i] = i; seq[i] = 0; }
    sx_batch b = { n_prompt, toks, pos, seq, NULL };
    int32_t next;
    struct timespec t0, t1, c0, c1; clock_gettime(CLOCK_MONOTONIC, &t0);
    if (sx_decode(c, &b, &next)) { fprintf(stderr, "decode: %s\n", sx_last_error()); return 1; }
    printf("features %s\n", sx_cpu_features());
    const float *lg = sx_logits(c); printf("logit[0..3] %.5f %.5f %.5f\n", lg[0], lg[1], lg[2]);
    int p = n_prompt;
    clock_gettime(CLOCK_MONOTONIC, &t0); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    for (int i = 0; i < n_pred; i++) {
        printf("%d ", next); fflush(stdout);
        toks[0] = next; pos[0] = p++; b.n_tokens = 1;
        if (sx_decode(c, &b, &next)) { fprintf(stderr, "decode: %s\n", sx_last_error()); return 1; }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    printf("\n%.1f tok/s wall, %.1f tok per cpu-second\n", n_pred / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9),
           n_pred / ((c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) * 1e-9));
    sx_context_free(c); sx_model_free(m);
    return 0;
}
