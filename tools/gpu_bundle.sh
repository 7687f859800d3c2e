#!/usr/bin/env bash
# Packs a CUDA build of jetimg for a GPU machine that has the NVIDIA driver
# and CUDA's libraries but none of jetimg's Debian packages (a locked-down
# cluster node, a container without network): the test and benchmark
# programs and every shared library they load except the system's C
# libraries and CUDA's own (cuBLAS, cuDNN, the runtime), which that machine
# provides. tools/gpu_run.sh runs them there.
#
#   ./run build && tools/gpu_bundle.sh [BUILD_DIR]     -> .gpu-bundle/ and .gpu-bundle.tar.xz
#
# The archive is what to copy when the copy is metered: OpenBLAS and the
# CUDA fat binaries shrink several times under xz.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${1:-$root/build}"
bundle="$root/.gpu-bundle"
programs=("$build/jetimg" "$build/tests/jetimg_tests" "$build/bench/bench_images" "$build/bench/bench_train"
          "$build/bench/bench_shower")
for p in "${programs[@]}"; do
  [ -x "$p" ] || { echo "gpu_bundle: '$p' is missing: build with CUDA first (./run build)" >&2; exit 1; }
done
ldd "$build/jetimg" | grep -q libcublas ||
  { echo "gpu_bundle: '$build/jetimg' was built without CUDA (it does not load cuBLAS)" >&2; exit 1; }

rm -rf "$bundle.tmp"
mkdir -p "$bundle.tmp/bin" "$bundle.tmp/lib"
cp "${programs[@]}" "$bundle.tmp/bin/"
# Libraries the target machine has: the C and C++ runtimes, and CUDA's (matched to its driver).
skip='^(linux-vdso|ld-linux|libc\.|libstdc\+\+|libgcc_s|libm\.|libdl\.|librt\.|libpthread\.|libcuda\.|libcudart|libcublas|libcublasLt|libcudnn|libnvrtc|libnvJitLink)'
for p in "${programs[@]}"; do
  ldd "$p" | awk '/=> \// {print $1, $3}' | while read -r name path; do
    if ! [[ "$name" =~ $skip ]]; then cp -L -n "$path" "$bundle.tmp/lib/$name"; fi
  done
done
strip --strip-unneeded "$bundle.tmp"/lib/*.so* 2>/dev/null || true
git -C "$root" rev-parse --short HEAD >"$bundle.tmp/commit" 2>/dev/null || echo unknown >"$bundle.tmp/commit"
# The programs find configs and reference scripts under the source tree they were built from.
sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt" >"$bundle.tmp/source_dir"
[ -s "$bundle.tmp/source_dir" ] || echo "$root" >"$bundle.tmp/source_dir"
rm -rf "$bundle"
mv "$bundle.tmp" "$bundle"
tar -C "$root" -cJf "$bundle.tar.xz.tmp" .gpu-bundle && mv "$bundle.tar.xz.tmp" "$bundle.tar.xz"
echo "gpu_bundle: $(du -sh "$bundle" | cut -f1) in $bundle ($(ls "$bundle/lib" | wc -l) libraries, commit $(cat "$bundle/commit")), $(du -sh "$bundle.tar.xz" | cut -f1) as $bundle.tar.xz"
