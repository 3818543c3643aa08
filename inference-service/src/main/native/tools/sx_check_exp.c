/* sx_check_exp — checks that the AVX2 expf (kernels_avx2.c: expsub_avx2, silu_mul_avx2, which take the AVX-512 variant
 * where the CPU has it, so that is the one checked there) gives libm's bits, on every
 * float (or every STRIDE-th one), so that attention's softmax and SwiGLU stay bit-identical to the scalar kernels.
 * Build and run from src/main/native (about a minute on one core for all 2^32 inputs):
 *   gcc -O2 -Iinclude -Isrc tools/sx_check_exp.c src/cpu/kernels_scalar.c src/cpu/kernels_vnni.c src/common.c -lm -lpthread \
 *       -o /tmp/sx_check_exp && /tmp/sx_check_exp [STRIDE]
 * Prints the number of differing results per function; exits 1 on any. */
#include "../src/cpu/kernels_avx2.c"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (!sx_cpu()->avx2 || !sx_cpu()->fma) { printf("no AVX2/FMA here: nothing to check\n"); return 0; }
    const uint64_t stride = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    enum { B = 4096 };
    static float x[B], e[B], g[B], u[B], ref_e[B], ref_g[B];
    uint64_t n = 0, bad_exp = 0, bad_silu = 0;
    for (uint64_t base = 0; base < (1ull << 32); base += (uint64_t)B * stride) {
        int m = 0;
        for (uint64_t v = base; v < base + (uint64_t)B * stride && v < (1ull << 32); v += stride) {
            uint32_t bits = (uint32_t)v; memcpy(&x[m], &bits, 4); m++;
        }
        for (int i = 0; i < m; i++) { e[i] = x[i]; g[i] = x[i]; u[i] = 1.0f + (float)(i & 7) * 0.375f; }
        memcpy(ref_e, e, sizeof(float) * m); memcpy(ref_g, g, sizeof(float) * m);
        expsub_avx2(e, m, 0.0f);
        expsub_scalar(ref_e, m, 0.0f);
        silu_mul_avx2(g, u, m);
        for (int i = 0; i < m; i++) ref_g[i] = ref_g[i] / (1.0f + expf(-ref_g[i])) * u[i];
        for (int i = 0; i < m; i++) {
            if (memcmp(&e[i], &ref_e[i], 4) && !(e[i] != e[i] && ref_e[i] != ref_e[i])) {
                if (bad_exp++ < 5) printf("expf(%a): %a, libm %a\n", x[i], e[i], ref_e[i]);
            }
            if (memcmp(&g[i], &ref_g[i], 4) && !(g[i] != g[i] && ref_g[i] != ref_g[i])) {
                if (bad_silu++ < 5) printf("silu(%a) * %a: %a, scalar %a\n", x[i], u[i], g[i], ref_g[i]);
            }
        }
        n += (uint64_t)m;
    }
    printf("%llu inputs: expf %llu differ, silu_mul %llu differ\n", (unsigned long long)n, (unsigned long long)bad_exp,
           (unsigned long long)bad_silu);
    return bad_exp || bad_silu;
}
