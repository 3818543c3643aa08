/* threadpool.c — worker pool where helpers join a job only while it is open: the caller never waits for a
 * worker that has not started (on a loaded machine a sleeping worker may take milliseconds to run), it just
 * does the work itself. Jobs hand out work through their own atomic counters, so any subset of threads can
 * finish a job and results do not depend on which threads took part. Workers spin briefly, then sleep. */
#include "threadpool.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sched.h>

struct sx_pool {
    int n;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint generation;   /* bumped for each job */
    atomic_int open;          /* 1 while helpers may join the current job */
    atomic_int active;        /* helpers inside the current job */
    atomic_int next_id;       /* thread index handed to joining helpers */
    atomic_int sleepers;
    sx_task_fn fn;
    void *arg;
    int nth;
    atomic_int stop;
};

typedef struct { sx_pool *p; } worker_arg;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *worker(void *a) {
    sx_pool *p = ((worker_arg *)a)->p; free(a);
    unsigned seen = atomic_load(&p->generation);
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load(&p->generation)) == seen && !atomic_load(&p->stop)) {
            if (++spins < 4096) { cpu_relax(); continue; }
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = g;
        atomic_fetch_add(&p->active, 1);
        /* Join only the job we were woken for, and only while it is open. */
        if (atomic_load(&p->open) && atomic_load(&p->generation) == g) {
            int id = atomic_fetch_add(&p->next_id, 1);
            if (id < p->nth) p->fn(p->arg, id, p->nth);
        }
        atomic_fetch_sub(&p->active, 1);
    }
}

sx_pool *sx_pool_create(int n) {
    if (n < 1) n = 1;
    sx_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->threads = calloc((size_t)n, sizeof(pthread_t));
    if (!p->threads) { free(p); return NULL; }
    for (int i = 1; i < n; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa) { p->n = i; break; }
        wa->p = p;
        if (pthread_create(&p->threads[i], NULL, worker, wa) != 0) { free(wa); p->n = i; break; }
    }
    return p;
}

int sx_pool_size(const sx_pool *p) { return p->n; }

void sx_pool_run(sx_pool *p, sx_task_fn fn, void *arg, int nth) {
    if (nth > p->n) nth = p->n;
    if (nth <= 1) { fn(arg, 0, 1); return; }
    p->fn = fn; p->arg = arg; p->nth = nth;
    atomic_store(&p->next_id, 1);
    atomic_store(&p->open, 1);
    atomic_fetch_add(&p->generation, 1);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    fn(arg, 0, nth);
    /* All work is claimed: close the job, then wait only for helpers that already joined. */
    atomic_store(&p->open, 0);
    while (atomic_load(&p->active) > 0) cpu_relax();
}

void sx_pool_free(sx_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}
