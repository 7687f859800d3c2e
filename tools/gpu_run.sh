#!/usr/bin/env bash
# Runs a bundle made by tools/gpu_bundle.sh on a machine with a GPU, from
# the root of a copy of the source tree:
#
#   tools/gpu_run.sh tests    the CUDA test cases (CUDA against the CPU)
#   tools/gpu_run.sh sanitize the same under compute-sanitizer memcheck and racecheck
#   tools/gpu_run.sh bench    bench_images, bench_train and bench_shower
#   tools/gpu_run.sh all      all three
#
# [--out DIR] puts the logs there (default bench/results), each headed with
# the date, the bundle's commit and the GPU. cuBLAS and cuDNN come from the
# machine: the script looks for libcublas.so.13 and libcudnn.so.9 in the
# CUDA toolkit and in Python's nvidia-* packages.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bundle="$root/.gpu-bundle"
what="${1:-all}"
out="$root/bench/results"
[ "${2:-}" = "--out" ] && out="${3:?--out needs a folder}"
[ -d "$bundle/bin" ] || [ ! -f "$bundle.tar.xz" ] || tar -C "$root" -xJf "$bundle.tar.xz"
[ -d "$bundle/bin" ] || { echo "gpu_run: no bundle at $bundle (make one with tools/gpu_bundle.sh)" >&2; exit 1; }
mkdir -p "$out"
stamp=$(date -u +%F)

# The programs read configs and reference scripts from the tree they were
# built in; point that path at this tree when it is elsewhere.
built_in=$(cat "$bundle/source_dir")
if [ "$built_in" != "$root" ] && [ ! -e "$built_in" ]; then
  mkdir -p "$(dirname "$built_in")" && ln -s "$root" "$built_in"
fi

# CUDA's libraries on this machine.
cuda_dirs=""
for lib in libcublas.so.13 libcublasLt.so.13 libcudnn.so.9; do
  found=$(find /usr/local/cuda* /usr/lib /opt /usr/local/lib -name "$lib" 2>/dev/null | head -1)
  [ -n "$found" ] || { echo "gpu_run: $lib not found on this machine" >&2; exit 1; }
  cuda_dirs="$cuda_dirs:$(dirname "$found")"
done
export LD_LIBRARY_PATH="$bundle/lib$cuda_dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)
echo "gpu_run: $gpu; bundle commit $(cat "$bundle/commit"); logs in $out"

header() {
  echo "# $1 - $stamp, commit $(cat "$bundle/commit")"
  echo "# machine: ${gpu:-unknown GPU}, $(nproc) CPU threads"
  echo
}

run_tests() {
  { header "CUDA test cases"; "$bundle/bin/jetimg_tests" --gtest_filter='*Cuda*' 2>&1; } | tee "$out/gpu_tests_$stamp.txt" | tail -25
}

run_sanitizer() {
  command -v compute-sanitizer >/dev/null || { echo "gpu_run: compute-sanitizer is not on the PATH" >&2; return 1; }
  for tool in memcheck racecheck; do
    { header "compute-sanitizer --tool $tool, CUDA test cases"
      compute-sanitizer --tool "$tool" --error-exitcode 3 "$bundle/bin/jetimg_tests" --gtest_filter='*Cuda*' 2>&1
      echo "exit code: $?"; } | tee "$out/sanitizer_${tool}_$stamp.txt" | tail -8
  done
}

run_benchmarks() {
  for b in bench_images bench_train bench_shower; do
    { header "$b"; "$bundle/bin/$b" 2>&1; } | tee "$out/${b#bench_}_gpu_$stamp.txt"
  done
}

case "$what" in
  tests) run_tests ;;
  sanitize) run_sanitizer ;;
  bench) run_benchmarks ;;
  all) run_tests; run_sanitizer; run_benchmarks ;;
  *) echo "usage: tools/gpu_run.sh tests|sanitize|bench|all [--out DIR]" >&2; exit 2 ;;
esac
