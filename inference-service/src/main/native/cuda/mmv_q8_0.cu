/* mmv_q8_0.cu — matvec.cuh kernels for Q8_0 weights (one translation unit per dtype keeps builds parallel). */
#include "matvec_impl.cuh"

cudaError_t sx_mv_launch_q8_0(const sx_mv_args &a, int ep, bool norm, cudaStream_t st) { return mv_launch_t<T_Q8_0>(a, ep, norm, st); }
