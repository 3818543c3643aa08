/* cublas_dl.cu — see cublas_dl.cuh. */
#include "cublas_dl.cuh"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>

static sx_cublas_api g_api;
static const sx_cublas_api *g_ok;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void load(void) {
    const char *env = getenv("SEXTANT_CUBLAS");
    const char *names[] = { env, "libcublas.so.13", "libcublas.so.12", "libcublas.so", "/usr/local/cuda/lib64/libcublas.so.13",
                            "/usr/local/cuda/lib64/libcublas.so.12", "/usr/local/cuda/lib64/libcublas.so" };
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!names[i] || !names[i][0]) continue;
        void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!h) continue;
        *(void **)&g_api.create = dlsym(h, "cublasCreate_v2");
        *(void **)&g_api.destroy = dlsym(h, "cublasDestroy_v2");
        *(void **)&g_api.set_stream = dlsym(h, "cublasSetStream_v2");
        *(void **)&g_api.gemm_ex = dlsym(h, "cublasGemmEx");
        if (g_api.create && g_api.destroy && g_api.set_stream && g_api.gemm_ex) {
            snprintf(g_api.path, sizeof g_api.path, "%s", names[i]);
            g_ok = &g_api;
            return;
        }
        dlclose(h);
    }
}

const sx_cublas_api *sx_cublas(void) { pthread_once(&g_once, load); return g_ok; }
