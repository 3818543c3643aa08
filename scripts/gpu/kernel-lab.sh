#!/usr/bin/env bash
# Kernel work on a GPU machine inside a short lease (the full check is scripts/gpu-check.sh): builds the CUDA backend,
# prints the ceilings (streaming read, grid barrier, a batch-1 matvec probe over rows-per-warp x loads-in-flight, the
# backend matvec kernels per configuration), checks the whole-step decode kernel against the per-op kernels,
# and times batch-1 decode on the generated 0.85B BF16 Llama for each variant named in SX_LAB_VARIANTS
# ("ENV=V,ENV=V ..." groups separated by spaces; "-" = defaults, i.e. the per-op kernels), plus a per-phase profile
# of the whole-step kernel for each group in SX_LAB_PROFILE. Example:
#   SX_LAB_VARIANTS="- SEXTANT_CUDA_MEGAKERNEL=1 SEXTANT_CUDA_MEGAKERNEL=1,SEXTANT_CUDA_D1_U=8" \
#   SX_LAB_PROFILE="- SEXTANT_CUDA_D1_U=8" scripts/gpu/kernel-lab.sh
# Usage: scripts/gpu/kernel-lab.sh [MODELS_DIR]   (default .carry/models)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODELS=${1:-$ROOT/.carry/models}
OUT=${OUT:-$ROOT/build/kernel-lab}
BUILD=${SX_GPU_BUILD:-/tmp/sx-gpu-build}
mkdir -p "$OUT"
exec > >(tee "$OUT/kernel-lab.log") 2>&1
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,clocks.mem --format=csv,noheader || true
cmake -S "$ROOT/inference-service/src/main/native/cuda" -B "$BUILD" -DSX_CUDA_ARCHS=90-real -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log" 2>&1 \
  && cmake --build "$BUILD" -j"$(nproc)" >>"$OUT/cmake.log" 2>&1 || { tail -30 "$OUT/cmake.log"; exit 1; }
RUN=$BUILD/tests/sx-cuda-run
timeout 90 "$RUN" micro
timeout 60 "$BUILD/tests/sx-test-ops" --bench | grep "bench matvec"
python3 "$ROOT/scripts/gpu/llama_check.py" --bin "$RUN" --out "$OUT" --gguf-only | tail -1
G=/tmp/sextant-llama-bf16.gguf
timeout 60 "$RUN" d1check "$MODELS/stories260K.gguf" 200
timeout 90 "$RUN" d1check $G 300
for v in ${SX_LAB_VARIANTS:--}; do
  envs=(); [ "$v" = - ] || IFS=, read -ra envs <<<"$v"
  echo "variant $v: $(env "${envs[@]}" timeout 60 "$RUN" bench $G 1 256 | grep 'batch 1:' | sed 's/.*steps in//')"
done
for v in ${SX_LAB_PROFILE:--}; do
  envs=(); [ "$v" = - ] || IFS=, read -ra envs <<<"$v"
  echo "profile $v: $(env "${envs[@]}" SEXTANT_CUDA_MEGAKERNEL=1 SEXTANT_CUDA_D1_PROF=1 timeout 60 "$RUN" bench $G 1 64 | grep 'd1 profile')"
done
