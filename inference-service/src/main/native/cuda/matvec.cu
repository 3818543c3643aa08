/* matvec.cu — dispatch of the matrix × few-vectors kernels by weight dtype (bodies in mmv_<dtype>.cu). */
#include "matvec.cuh"

cudaError_t sx_mv_launch_f32(const sx_mv_args &, int, bool, cudaStream_t);
cudaError_t sx_mv_launch_f16(const sx_mv_args &, int, bool, cudaStream_t);
cudaError_t sx_mv_launch_bf16(const sx_mv_args &, int, bool, cudaStream_t);
cudaError_t sx_mv_launch_q8_0(const sx_mv_args &, int, bool, cudaStream_t);
cudaError_t sx_mv_launch_q4_0(const sx_mv_args &, int, bool, cudaStream_t);
cudaError_t sx_mv_launch_q4_k(const sx_mv_args &, int, bool, cudaStream_t);
cudaError_t sx_mv_launch_q6_k(const sx_mv_args &, int, bool, cudaStream_t);

cudaError_t sx_mv_launch(const sx_mv_args &a, int ep, bool norm, cudaStream_t st) {
    switch (a.type) {
    case T_F32: return sx_mv_launch_f32(a, ep, norm, st);
    case T_F16: return sx_mv_launch_f16(a, ep, norm, st);
    case T_BF16: return sx_mv_launch_bf16(a, ep, norm, st);
    case T_Q8_0: return sx_mv_launch_q8_0(a, ep, norm, st);
    case T_Q4_0: return sx_mv_launch_q4_0(a, ep, norm, st);
    case T_Q4_K: return sx_mv_launch_q4_k(a, ep, norm, st);
    case T_Q6_K: return sx_mv_launch_q6_k(a, ep, norm, st);
    default: return cudaErrorInvalidValue;
    }
}
