#!/usr/bin/env bash
# Builds libsteer4j_cuda.so straight from native/*.cu with nvcc (no CMake, no JVM) and runs
# check_kernels.py: every CUDA kernel checked against PyTorch on the GPU and timed against
# PyTorch's eager composition. Run from anywhere; the repository root is found from this file.
#
#   bash benchmarks/gpu/check_kernels.sh             # sm_90 (H100 / H200)
#   ARCH=sm_80 bash benchmarks/gpu/check_kernels.sh  # A100
#   OUT=/some/dir bash ...                           # the table is also written there
#
# Exit status: 0 when every check passed, 1 when one failed, 2 when the build failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARCH="${ARCH:-sm_90}"
BUILD="${BUILD_DIR:-$(mktemp -d /tmp/steer4j-cuda.XXXXXX)}"
NVCC="${NVCC:-$(command -v nvcc || true)}"
if [[ -z "$NVCC" ]]; then
  for candidate in /usr/local/cuda/bin/nvcc /usr/local/cuda-*/bin/nvcc; do
    [[ -x "$candidate" ]] && NVCC="$candidate" && break
  done
fi
if [[ -z "$NVCC" ]]; then
  echo "check_kernels: nvcc not found (set NVCC=/path/to/nvcc)" >&2
  exit 2
fi
PYTHON="${PYTHON:-python3}"
mkdir -p "$BUILD"

echo "== building libsteer4j_cuda.so for ${ARCH} with $("$NVCC" --version | tail -1)"
start=$(date +%s)
flags=(-O3 -std=c++17 -gencode "arch=compute_${ARCH#sm_},code=${ARCH}" -Xcompiler -fPIC -I"$ROOT/native/include" -I"$ROOT/native")
pids=()
objects=()
# One nvcc per source, in parallel: compile time is most of this script's budget.
for source in "$ROOT"/native/*.cu; do
  object="$BUILD/$(basename "${source%.cu}").o"
  objects+=("$object")
  "$NVCC" "${flags[@]}" -c "$source" -o "$object" > "$object.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "nvcc failed for ${objects[$i]%.o}.cu:" >&2
    cat "${objects[$i]}.log" >&2 || true
    failed=1
  fi
done
[[ $failed -eq 0 ]] || exit 2
"$NVCC" -shared -gencode "arch=compute_${ARCH#sm_},code=${ARCH}" "${objects[@]}" -o "$BUILD/libsteer4j_cuda.so" || exit 2
echo "== built $BUILD/libsteer4j_cuda.so in $(( $(date +%s) - start )) s"

set +e
"$PYTHON" "$ROOT/benchmarks/gpu/check_kernels.py" --lib "$BUILD/libsteer4j_cuda.so" "$@"
status=$?
set -e
[[ -n "${BUILD_DIR:-}" ]] || rm -rf "$BUILD"
exit $status
