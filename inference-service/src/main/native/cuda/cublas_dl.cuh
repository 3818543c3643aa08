/*
 * cublas_dl.cuh — cuBLAS loaded at run time (dlopen), declaring only what the backend calls.
 * The library then builds where the toolkit has no cuBLAS headers (this dev machine) and runs without cuBLAS
 * (matvec kernels for every batch) where libcublas is absent. Values below are cuBLAS's own ABI constants.
 */
#ifndef SX_CUDA_CUBLAS_DL_CUH
#define SX_CUDA_CUBLAS_DL_CUH
#include <cuda_runtime.h>
#include <library_types.h>

typedef struct sx_cublas_ctx *sx_cublas_handle;
enum { SX_CUBLAS_OP_N = 0, SX_CUBLAS_OP_T = 1, SX_CUBLAS_COMPUTE_32F = 68, SX_CUBLAS_GEMM_DEFAULT = -1 };

typedef struct sx_cublas_api {
    int (*create)(sx_cublas_handle *);
    int (*destroy)(sx_cublas_handle);
    int (*set_stream)(sx_cublas_handle, cudaStream_t);
    int (*gemm_ex)(sx_cublas_handle, int transa, int transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype,
                   int lda, const void *B, cudaDataType Btype, int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc,
                   int compute, int algo);
    char path[256];
} sx_cublas_api;

/* The loaded API, or NULL when no libcublas could be opened (SEXTANT_CUBLAS names a file to try first). */
const sx_cublas_api *sx_cublas(void);
#endif
