/* mmv_q6_k.cu — matvec.cuh kernels for Q6_K weights (one translation unit per dtype keeps builds parallel). */
#include "matvec_impl.cuh"

cudaError_t sx_mv_launch_q6_k(const sx_mv_args &a, int ep, bool norm, cudaStream_t st) { return mv_launch_t<T_Q6_K>(a, ep, norm, st); }
