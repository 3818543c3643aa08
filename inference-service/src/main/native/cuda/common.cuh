/*
 * common.cuh — shared pieces of the CUDA backend: error checks, half/bfloat conversions, GGML block layouts,
 * warp reductions and the per-dtype "chunk" dequantizers used by every kernel that reads weights.
 *
 * A chunk is the unit one lane dequantizes in registers: 8 elements for F32/F16/BF16 (one or two 16-byte loads),
 * 32 for the quantized types (one Q8_0/Q4_0 block, one Q4_K/Q6_K sub-block).
 */
#ifndef SX_CUDA_COMMON_CUH
#define SX_CUDA_COMMON_CUH

#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

#define SX_QK8_0 32
#define SX_QK4_0 32
#define SX_QK_K 256

/* GGML type ids (same values as sx_dtype in sextant.h). */
enum { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q8_0 = 8, T_Q4_K = 12, T_Q6_K = 14, T_BF16 = 30 };

struct blk_q8_0 { uint16_t d; int8_t qs[SX_QK8_0]; };                                  /* 34 bytes */
struct blk_q4_0 { uint16_t d; uint8_t qs[SX_QK4_0 / 2]; };                             /* 18 bytes */
struct blk_q4_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[SX_QK_K / 2]; };    /* 144 bytes */
struct blk_q6_K { uint8_t ql[SX_QK_K / 2]; uint8_t qh[SX_QK_K / 4]; int8_t scales[SX_QK_K / 16]; uint16_t d; }; /* 210 */

__device__ __forceinline__ float h2f(uint16_t h) { return __half2float(__ushort_as_half(h)); }
__device__ __forceinline__ float bf2f(uint16_t h) { return __uint_as_float((uint32_t)h << 16); }

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

/* Block-wide sum in a fixed order (warp sums, then warp 0 over the partials): batch-invariant. */
__device__ __forceinline__ float block_sum(float v, float *red /* >= 32 floats of shared memory */) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) red[w] = v;
    __syncthreads();
    float s = lane < nw ? red[lane] : 0.f;
    s = warp_sum(s);
    return s;
}
__device__ __forceinline__ float block_max(float v, float *red) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) red[w] = v;
    __syncthreads();
    float s = lane < nw ? red[lane] : -INFINITY;
    return warp_max(s);
}

/* ---- per-dtype chunk dequantization: Deq<T>::CH elements of chunk c of a row, into w[] ---- */

template <int T> struct Deq;

template <> struct Deq<T_F32> {
    static constexpr int CH = 8;
    __device__ __forceinline__ static void load(const uint8_t *row, int c, float *w) {
        const float4 *p = (const float4 *)(row) + 2 * c;
        float4 a = __ldg(p), b = __ldg(p + 1);
        w[0] = a.x; w[1] = a.y; w[2] = a.z; w[3] = a.w; w[4] = b.x; w[5] = b.y; w[6] = b.z; w[7] = b.w;
    }
};
template <> struct Deq<T_F16> {
    static constexpr int CH = 8;
    __device__ __forceinline__ static void load(const uint8_t *row, int c, float *w) {
        uint4 u = __ldg((const uint4 *)row + c);
        const __half2 *h = (const __half2 *)&u;
#pragma unroll
        for (int i = 0; i < 4; i++) { float2 f = __half22float2(h[i]); w[2 * i] = f.x; w[2 * i + 1] = f.y; }
    }
};
template <> struct Deq<T_BF16> {
    static constexpr int CH = 8;
    __device__ __forceinline__ static void load(const uint8_t *row, int c, float *w) {
        uint4 u = __ldg((const uint4 *)row + c);
        uint32_t v[4] = { u.x, u.y, u.z, u.w };
#pragma unroll
        for (int i = 0; i < 4; i++) { w[2 * i] = __uint_as_float(v[i] << 16); w[2 * i + 1] = __uint_as_float(v[i] & 0xffff0000u); }
    }
};
template <> struct Deq<T_Q8_0> {
    static constexpr int CH = 32;
    __device__ __forceinline__ static void load(const uint8_t *row, int c, float *w) {
        const uint16_t *b = (const uint16_t *)(row + (size_t)c * 34); /* 2-byte aligned */
        float d = h2f(__ldg(b));
#pragma unroll
        for (int i = 0; i < 16; i++) {
            uint16_t q = __ldg(b + 1 + i);
            w[2 * i] = d * (float)(int8_t)(q & 0xff); w[2 * i + 1] = d * (float)(int8_t)(q >> 8);
        }
    }
};
template <> struct Deq<T_Q4_0> {
    static constexpr int CH = 32;
    __device__ __forceinline__ static void load(const uint8_t *row, int c, float *w) {
        const uint16_t *b = (const uint16_t *)(row + (size_t)c * 18);
        float d = h2f(__ldg(b));
#pragma unroll
        for (int i = 0; i < 8; i++) {
            uint16_t q = __ldg(b + 1 + i);
            int q0 = q & 0xff, q1 = q >> 8;
            w[2 * i] = d * (float)((q0 & 0xF) - 8); w[2 * i + 1] = d * (float)((q1 & 0xF) - 8);
            w[2 * i + 16] = d * (float)((q0 >> 4) - 8); w[2 * i + 17] = d * (float)((q1 >> 4) - 8);
        }
    }
};
template <> struct Deq<T_Q4_K> {
    static constexpr int CH = 32;
    __device__ __forceinline__ static void load(const uint8_t *row, int c, float *w) {
        const uint8_t *b = row + (size_t)(c >> 3) * 144;
        int j = c & 7;
        const uint16_t *dd = (const uint16_t *)b;
        float d = h2f(__ldg(dd)), dmin = h2f(__ldg(dd + 1));
        const uint8_t *sc = b + 4;
        int s, m;
        if (j < 4) { s = __ldg(sc + j) & 63; m = __ldg(sc + j + 4) & 63; }
        else { s = (__ldg(sc + j + 4) & 0xF) | ((__ldg(sc + j - 4) >> 6) << 4); m = (__ldg(sc + j + 4) >> 4) | ((__ldg(sc + j) >> 6) << 4); }
        float ds = d * (float)s, dm = dmin * (float)m;
        const uint32_t *q = (const uint32_t *)(b + 16 + 32 * (j >> 1));
        int sh = (j & 1) * 4;
#pragma unroll
        for (int i = 0; i < 8; i++) {
            uint32_t v = __ldg(q + i) >> sh;
#pragma unroll
            for (int k = 0; k < 4; k++) w[4 * i + k] = ds * (float)((v >> (8 * k)) & 0xF) - dm;
        }
    }
};
template <> struct Deq<T_Q6_K> {
    static constexpr int CH = 32;
    __device__ __forceinline__ static void load(const uint8_t *row, int c, float *w) {
        const uint8_t *b = row + (size_t)(c >> 3) * 210;
        int j = c & 7, half = j >> 2, k = j & 3;
        float d = h2f(__ldg((const uint16_t *)(b + 208)));
        const uint8_t *ql = b + 64 * half + ((k & 1) ? 32 : 0);
        const uint8_t *qh = b + 128 + 32 * half;
        const int8_t *sc = (const int8_t *)(b + 192) + 8 * half + 2 * k;
        float d0 = d * (float)__ldg(sc), d1 = d * (float)__ldg(sc + 1);
        int lsh = (k & 2) ? 4 : 0, hsh = 2 * k;
        /* ql/qh offsets are multiples of 32 from a 2-byte aligned block start: read 16-bit words. */
        const uint16_t *ql16 = (const uint16_t *)ql, *qh16 = (const uint16_t *)qh;
#pragma unroll
        for (int i = 0; i < 16; i++) {
            uint16_t lo = __ldg(ql16 + i), hi = __ldg(qh16 + i);
#pragma unroll
            for (int e = 0; e < 2; e++) {
                int l = 2 * i + e;
                int q = (((lo >> (8 * e)) >> lsh) & 0xF) | ((((hi >> (8 * e)) >> hsh) & 3) << 4);
                w[l] = (l < 16 ? d0 : d1) * (float)(q - 32);
            }
        }
    }
};

/* Element i of a row of a float dtype (tails of rows whose length is not a multiple of the chunk). */
template <int T> __device__ __forceinline__ float elem_at(const uint8_t *row, int i) {
    if (T == T_F32) return ((const float *)row)[i];
    if (T == T_F16) return h2f(((const uint16_t *)row)[i]);
    if (T == T_BF16) return bf2f(((const uint16_t *)row)[i]);
    return 0.f; /* quantized rows are whole blocks */
}

/* Bytes of one row of n elements of a dtype (n a multiple of the block size). */
static inline size_t sx_cu_row_bytes(int type, int64_t n) {
    switch (type) {
    case T_F32: return (size_t)n * 4;
    case T_F16: case T_BF16: return (size_t)n * 2;
    case T_Q8_0: return (size_t)(n / 32) * 34;
    case T_Q4_0: return (size_t)(n / 32) * 18;
    case T_Q4_K: return (size_t)(n / 256) * 144;
    case T_Q6_K: return (size_t)(n / 256) * 210;
    default: return 0;
    }
}
/* Elements per chunk of a dtype (see Deq). */
static inline int sx_cu_chunk(int type) { return (type == T_F32 || type == T_F16 || type == T_BF16) ? 8 : 32; }
static inline int sx_cu_supported(int type) { return sx_cu_row_bytes(type, 256) != 0; }

/* Dispatch a functor template over the supported weight types: F::template run<T>(args...). */
#define SX_DISPATCH_TYPE(type, CALL)                          \
    switch (type) {                                           \
    case T_F32: { constexpr int TT = T_F32; CALL; } break;    \
    case T_F16: { constexpr int TT = T_F16; CALL; } break;    \
    case T_BF16: { constexpr int TT = T_BF16; CALL; } break;  \
    case T_Q8_0: { constexpr int TT = T_Q8_0; CALL; } break;  \
    case T_Q4_0: { constexpr int TT = T_Q4_0; CALL; } break;  \
    case T_Q4_K: { constexpr int TT = T_Q4_K; CALL; } break;  \
    case T_Q6_K: { constexpr int TT = T_Q6_K; CALL; } break;  \
    default: break;                                           \
    }

#endif
