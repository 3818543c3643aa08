/* mmv_bf16.cu — matvec.cuh kernels for BF16 weights (one translation unit per dtype keeps builds parallel). */
#include "matvec_impl.cuh"

cudaError_t sx_mv_launch_bf16(const sx_mv_args &a, int ep, bool norm, cudaStream_t st) { return mv_launch_t<T_BF16>(a, ep, norm, st); }
