/* threadpool.h — one pool of worker threads per context; the calling thread takes part as thread 0. */
#ifndef SX_THREADPOOL_H
#define SX_THREADPOOL_H

typedef void (*sx_task_fn)(void *arg, int ith, int nth);
typedef struct sx_pool sx_pool;

sx_pool *sx_pool_create(int n_threads); /* n_threads includes the caller */
void sx_pool_free(sx_pool *p);
int sx_pool_size(const sx_pool *p);
/* Runs fn(arg, i, nth) for i in 0..nth-1 on nth threads (nth <= size) and waits for all. */
void sx_pool_run(sx_pool *p, sx_task_fn fn, void *arg, int nth);

#endif
