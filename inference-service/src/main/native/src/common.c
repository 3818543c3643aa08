/* common.c — errors, dtype tables, CPU feature detection. */
#include "common.h"
#include "backend.h"
#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>
#include <cpuid.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

static __thread char sx_err[2048] = "no error";

sx_status sx_set_error(sx_status s, const char *fmt, ...) {
    va_list ap; va_start(ap, fmt); vsnprintf(sx_err, sizeof sx_err, fmt, ap); va_end(ap);
    return s;
}

SX_API const char *sx_last_error(void) { return sx_err; }

SX_API const char *sx_status_name(sx_status s) {
    switch (s) {
    case SX_OK: return "OK";
    case SX_ERR_IO: return "IO";
    case SX_ERR_FORMAT: return "FORMAT";
    case SX_ERR_UNSUPPORTED: return "UNSUPPORTED";
    case SX_ERR_ARGUMENT: return "ARGUMENT";
    case SX_ERR_NO_MEMORY: return "NO_MEMORY";
    case SX_ERR_CAPACITY: return "CAPACITY";
    case SX_ERR_BACKEND: return "BACKEND";
    default: return "INTERNAL";
    }
}

int sx_dtype_block(int type) {
    switch (type) {
    case SX_F32: case SX_F16: case SX_BF16: return 1;
    case SX_Q8_0: case SX_Q8_0X16: case SX_Q4_0: return 32;
    case SX_Q4_K: case SX_Q6_K: return QK_K;
    default: return 0;
    }
}

size_t sx_dtype_block_bytes(int type) {
    switch (type) {
    case SX_F32: return 4;
    case SX_F16: case SX_BF16: return 2;
    case SX_Q8_0: case SX_Q8_0X16: return sizeof(block_q8_0);
    case SX_Q4_0: return sizeof(block_q4_0);
    case SX_Q4_K: return sizeof(block_q4_K);
    case SX_Q6_K: return sizeof(block_q6_K);
    default: return 0;
    }
}

const char *sx_dtype_name(int type) {
    switch (type) {
    case SX_F32: return "F32"; case SX_F16: return "F16"; case SX_BF16: return "BF16";
    case SX_Q8_0: return "Q8_0"; case SX_Q8_0X16: return "Q8_0x16"; case SX_Q4_0: return "Q4_0"; case SX_Q4_K: return "Q4_K"; case SX_Q6_K: return "Q6_K";
    default: return "unknown";
    }
}

size_t sx_row_bytes(int type, int64_t n) { return (size_t)(n / sx_dtype_block(type)) * sx_dtype_block_bytes(type); }

static sx_cpu_caps caps;
static pthread_once_t caps_once = PTHREAD_ONCE_INIT;
static char caps_str[128];

/* Linux lets a process use AMX tile data only after asking (arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA);
 * without that the first tile instruction is SIGILL. Refused (an older kernel, a small signal stack): no AMX. */
static int amx_permitted(void) {
#if defined(__linux__) && defined(SYS_arch_prctl)
    return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0;
#else
    return 0;
#endif
}

static void detect(void) {
    unsigned a, b, c, d;
    caps.l2_bytes = (size_t)1 << 20;
#if defined(_SC_LEVEL2_CACHE_SIZE)
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l2 > 0) caps.l2_bytes = (size_t)l2;
#endif
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    caps.prefetch_l2 = b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163; /* "AuthenticAMD" */
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    caps.fma = (c >> 12) & 1; caps.f16c = (c >> 29) & 1;
    unsigned long long xcr0 = 0;
    if (osxsave) { unsigned lo, hi; __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0)); xcr0 = ((unsigned long long)hi << 32) | lo; }
    int ymm = avx && (xcr0 & 6) == 6, zmm = ymm && (xcr0 & 0xe0) == 0xe0;
    if (!ymm) { caps.fma = caps.f16c = 0; }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        caps.avx2 = ymm && ((b >> 5) & 1);
        caps.avx512f = zmm && ((b >> 16) & 1);
        caps.avx512bw = zmm && ((b >> 30) & 1);
        caps.avx512vl = zmm && ((b >> 31) & 1);
        caps.avx512vnni = zmm && ((c >> 11) & 1);
        caps.amx = zmm && ((d >> 24) & 1) && ((d >> 25) & 1) && (xcr0 & 0x60000) == 0x60000; /* AMX-TILE, AMX-INT8, XTILECFG + XTILEDATA */
    }
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) caps.avx512bf16 = zmm && ((a >> 5) & 1);
    /* Our AVX2 kernels also need FMA and F16C. SEXTANT_CPU=scalar forces the portable path, SEXTANT_CPU=avx2
     * the AVX2 kernels without AVX-512 (tests compare them). */
    const char *force = getenv("SEXTANT_CPU"), *pf = getenv("SEXTANT_PREFETCH");
    if (pf && strcmp(pf, "l1") == 0) caps.prefetch_l2 = 0;
    if (pf && strcmp(pf, "l2") == 0) caps.prefetch_l2 = 1;
    if (force && strcmp(force, "scalar") == 0) caps.avx2 = 0;
    if (force && strcmp(force, "avx2") == 0) caps.avx512f = 0; /* AVX2 kernels only (comparisons in tests) */
    if (force && strcmp(force, "avx512") == 0) caps.amx = 0;   /* AVX-512 without AMX (comparisons in tests) */
    if (!(caps.fma && caps.f16c)) caps.avx2 = 0;
    if (!caps.avx2 || !caps.avx512f) caps.avx512f = caps.avx512bw = caps.avx512vl = caps.avx512vnni = caps.avx512bf16 = 0;
    if (!caps.avx512vnni || !caps.avx512bw || !caps.avx512vl) caps.amx = 0; /* the AMX product lives beside the VNNI one */
    if (caps.amx) caps.amx = amx_permitted();
    snprintf(caps_str, sizeof caps_str, "%s%s%s%s%s%s%s%s", caps.avx2 ? "avx2,fma,f16c" : "scalar",
             caps.avx512f ? ",avx512f" : "", caps.avx512bw ? ",avx512bw" : "", caps.avx512vl ? ",avx512vl" : "",
             caps.avx512vnni ? ",avx512vnni" : "", caps.avx512bf16 ? ",avx512bf16" : "", caps.amx ? ",amx-int8" : "",
             caps.avx2 && caps.prefetch_l2 ? ",prefetch-l2" : "");
}

const sx_cpu_caps *sx_cpu(void) { pthread_once(&caps_once, detect); return &caps; }

SX_API const char *sx_cpu_features(void) { sx_cpu(); return caps_str; }
