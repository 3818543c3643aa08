#!/usr/bin/env bash
# GPU check of the CUDA backend, for a machine with an NVIDIA GPU, nvcc, cmake, Python + PyTorch + transformers
# (no Java). Within about 8 minutes it:
#   0. builds libsextant_cuda.so and the GPU test programs with nvcc
#   1. compares every CUDA op with a C reference on random inputs by NMSE   (sx-test-ops)
#   2. runs stories260K greedy on the GPU and matches stories260K.golden.json (sx-cuda-run golden; also through the
#      engine's public C API when libsextant builds and loads the CUDA backend); the whole-step decode kernel
#      (decode1.cu, opt-in) against the per-op kernels on stories260K (F32) and the BF16 model (sx-cuda-run d1check)
#   3. compares logits of a generated ~0.85B BF16 Llama with HF LlamaForCausalLM on the same tensors
#   4. benchmarks decode tok/s at batch 1, 8, 64 (+ roofline) against HF transformers generate (scripts/gpu/llama_check.py)
# Usage: scripts/gpu-check.sh [MODELS_DIR]   (default .carry/models, holding stories260K.gguf + stories260K.golden.json)
# SX_GPU_QUICK=1 skips the op timings, SX_GPU_SKIP_CORE=1 the engine-API path (kernel work inside a short lease).
# Output: $OUT (default build/gpu-check): gpu-check.log, llama_check.json. Exit status: number of failed steps.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NATIVE=$ROOT/inference-service/src/main/native
MODELS=${1:-$ROOT/.carry/models}
OUT=${OUT:-$ROOT/build/gpu-check}
BUILD=${SX_GPU_BUILD:-/tmp/sx-gpu-build}
ARCHS=${SX_CUDA_ARCHS:-90-real}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-check.log") 2>&1
export PYTHONUNBUFFERED=1
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d $d ] && export LD_LIBRARY_PATH=$d:${LD_LIBRARY_PATH:-}; done
step() { echo; echo "=== $* ($(date -u +%T))"; }
FAILED=0; RESULTS=()
result() { RESULTS+=("$1: $2"); [ "$2" = PASS ] || FAILED=$((FAILED + 1)); }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory --format=csv,noheader || true
nvcc --version | tail -1; cmake --version | head -1; python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'

step "0. build libsextant_cuda.so (archs $ARCHS)"
T0=$(date +%s)
if cmake -S "$NATIVE/cuda" -B "$BUILD" -DSX_CUDA_ARCHS="$ARCHS" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log" 2>&1 \
   && cmake --build "$BUILD" -j"$(nproc)" >>"$OUT/cmake.log" 2>&1; then
  echo "built in $(( $(date +%s) - T0 )) s: $(ls "$BUILD"/libsextant_cuda.so)"; result build PASS
else
  tail -40 "$OUT/cmake.log"; result build FAIL; echo "SUMMARY: ${RESULTS[*]}"; exit 1
fi
RUN=$BUILD/tests/sx-cuda-run

step "1. ops: CUDA vs C reference (NMSE)"
if timeout 120 "$BUILD/tests/sx-test-ops"; then result ops PASS; else result ops FAIL; fi
[ -n "${SX_GPU_QUICK:-}" ] || { echo "--- kernel timings (informational)"; timeout 60 "$BUILD/tests/sx-test-ops" --bench; }

step "2. stories260K greedy on the GPU vs stories260K.golden.json"
python3 "$ROOT/scripts/gpu/golden_to_txt.py" "$MODELS/stories260K.golden.json" > /tmp/sx-golden.txt
if timeout 60 "$RUN" golden "$MODELS/stories260K.gguf" /tmp/sx-golden.txt; then result stories260K PASS; else result stories260K FAIL; fi
echo "--- through the engine's public API (libsextant + dlopen of libsextant_cuda.so), if the core builds:"
CORE=/tmp/sx-core-build
if [ -n "${SX_GPU_SKIP_CORE:-}" ]; then
  echo "(skipped: SX_GPU_SKIP_CORE)"
elif timeout 120 cmake -S "$NATIVE" -B "$CORE" -DSEXTANT_JNI=OFF -DSEXTANT_CUDA=OFF >"$OUT/core.log" 2>&1 \
   && timeout 120 cmake --build "$CORE" -j"$(nproc)" --target sextant >>"$OUT/core.log" 2>&1; then
  LIB=$(find "$CORE" -name 'libsextant.so' | head -1); cp "$BUILD/libsextant_cuda.so" "$(dirname "$LIB")/"
  timeout 60 "$RUN" api "$LIB" "$MODELS/stories260K.gguf" /tmp/sx-golden.txt; echo "engine API path exit status $? (informational)"
else
  echo "the engine core did not build here (informational):"; tail -5 "$OUT/core.log"
fi

echo "--- whole-step decode kernel vs per-op kernels, single-token steps (logits NMSE, greedy agreement)"
if timeout 60 "$RUN" d1check "$MODELS/stories260K.gguf" 200; then result d1-f32 PASS; else result d1-f32 FAIL; fi

step "3+4. generated BF16 Llama: logits vs PyTorch, decode benchmark vs HF transformers"
if timeout 420 python3 "$ROOT/scripts/gpu/llama_check.py" --bin "$RUN" --out "$OUT" ${LLAMA_CHECK_ARGS:-}; then result llama PASS; else result llama FAIL; fi
if [ -f /tmp/sextant-llama-bf16.gguf ]; then
  G=/tmp/sextant-llama-bf16.gguf
  echo "--- whole-step decode kernel vs per-op kernels on the BF16 model, 300 single-token steps"
  if timeout 90 "$RUN" d1check $G 300; then result d1-bf16 PASS; else result d1-bf16 FAIL; fi
  echo "--- batch 1 through the whole-step kernel (opt-in, SEXTANT_CUDA_MEGAKERNEL=1), L2 prefetch of the next matrix never / at the end / at the start of a phase (informational)"
  for pf in 0 1 2; do echo "pf=$pf"; SEXTANT_CUDA_MEGAKERNEL=1 SEXTANT_CUDA_D1_PF=$pf timeout 60 "$RUN" bench $G 1 256 | grep "batch 1:"; done
  echo "--- time per part of a step, eager, events between parts (informational)"
  SEXTANT_CUDA_PROFILE=1 timeout 60 "$RUN" bench $G 1,8,64 32 | grep profile
  SEXTANT_CUDA_MEGAKERNEL=1 SEXTANT_CUDA_D1_PROF=1 timeout 60 "$RUN" bench $G 1 64 | grep "d1 profile"
fi

echo; echo "SUMMARY ($(date -u +%T)): ${RESULTS[*]}"
exit $FAILED
