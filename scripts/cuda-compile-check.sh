#!/usr/bin/env bash
# Compile-only check of the CUDA backend (libsextant_cuda.so) for sm_80 and sm_90 (+ compute_90 PTX), run by
# ./sextant test wherever nvcc exists. Nothing runs here: the GPU checks are scripts/gpu-check.sh on a GPU machine.
# SX_CUDA_ARCHS overrides the architectures (e.g. "90-real" for a faster check).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${SEXTANT_CUDA_BUILD_DIR:-$ROOT/target/cuda-compile-check}"
command -v nvcc >/dev/null || { echo "cuda-compile-check: nvcc not found, nothing to check"; exit 0; }
args=(-S "$ROOT/inference-service/src/main/native/cuda" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release)
[ -n "${SX_CUDA_ARCHS:-}" ] && args+=("-DSX_CUDA_ARCHS=$SX_CUDA_ARCHS")
start=$(date +%s)
cmake "${args[@]}" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
lib="$(find "$BUILD" -name 'libsextant_cuda.so' | head -1)"
[ -n "$lib" ] || { echo "cuda-compile-check: libsextant_cuda.so was not produced"; exit 1; }
echo "cuda-compile-check: $lib ($(du -h "$lib" | cut -f1)) compiled in $(( $(date +%s) - start )) s with $(nvcc --version | tail -1)"
