/* mmv_f32.cu — matvec.cuh kernels for F32 weights (one translation unit per dtype keeps builds parallel). */
#include "matvec_impl.cuh"

cudaError_t sx_mv_launch_f32(const sx_mv_args &a, int ep, bool norm, cudaStream_t st) { return mv_launch_t<T_F32>(a, ep, norm, st); }
