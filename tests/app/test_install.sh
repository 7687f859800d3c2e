#!/usr/bin/env bash
# `cmake --install` gives a jetimg that runs away from the source tree: the
# installed binary finds its configs (PREFIX/share/jetimg) when the build
# folder and the sources are out of its reach.
set -u
build_dir="$1"
prefix=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cmake --install "$build_dir" --prefix "$prefix" >"$work/install.txt" 2>&1 || { cat "$work/install.txt"; fail "cmake --install"; }
for f in bin/jetimg share/jetimg/configs/calogan.json share/jetimg/configs/nets/w_maxout.json \
         share/jetimg/python/pythia_events.py share/jetimg/bench/reference/torch_calogan.py; do
  [ -e "$prefix/$f" ] || fail "the install lacks $f"
done

# Run it from an empty folder, with no JETIMG_DATA_DIR: `train-calogan`
# without --config reads configs/calogan.json through the install's data folder.
cd "$work" || exit 1
env -u JETIMG_DATA_DIR "$prefix/bin/jetimg" simulate --particle e+ -n 300 --batch 300 -o showers.h5 --device cpu \
  >out.txt 2>&1 || { cat out.txt; fail "installed jetimg simulate"; }
env -u JETIMG_DATA_DIR "$prefix/bin/jetimg" train-calogan --data showers.h5 --epochs 1 -o gan --device cpu \
  >out.txt 2>&1 || { cat out.txt; fail "installed jetimg train-calogan with its default config"; }
grep -q "epoch 1/1" out.txt || { cat out.txt; fail "train-calogan printed no epoch line"; }
[ -s gan/last.h5 ] || fail "train-calogan wrote no gan/last.h5"

# Moved away from its data, it says where it looked and what to set.
mkdir -p lone/bin && cp "$prefix/bin/jetimg" lone/bin/
env -u JETIMG_DATA_DIR lone/bin/jetimg train-calogan --data showers.h5 --epochs 1 -o gan2 --device cpu >out.txt 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "a jetimg without its data folder exited $rc, expected 1"
grep -q "JETIMG_DATA_DIR" out.txt || { cat out.txt; fail "the message does not say to set JETIMG_DATA_DIR"; }
[ -e gan2 ] && fail "a failed run left gan2 behind"

if [ "$failures" -gt 0 ]; then echo "$failures install checks failed"; exit 1; fi
echo "install: all checks passed"
