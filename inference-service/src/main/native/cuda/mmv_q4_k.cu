/* mmv_q4_k.cu — matvec.cuh kernels for Q4_K weights (one translation unit per dtype keeps builds parallel). */
#include "matvec_impl.cuh"

cudaError_t sx_mv_launch_q4_k(const sx_mv_args &a, int ep, bool norm, cudaStream_t st) { return mv_launch_t<T_Q4_K>(a, ep, norm, st); }
