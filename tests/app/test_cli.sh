#!/usr/bin/env bash
# The jetimg tool end to end: generate -> cluster works, and bad input gives
# one clear message (naming the file or value), a non-zero exit, no crash,
# and leaves existing files untouched.
set -u
jetimg="$1"
source_dir="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

# expect_fail "description" "text the message must contain" command...
expect_fail() {
  local what="$1" needle="$2"
  shift 2
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "FAIL: $what: exit 0"; failures=$((failures + 1)); return
  fi
  if [ "$rc" -gt 2 ]; then
    echo "FAIL: $what: exit $rc (a crash?)"; echo "$out"; failures=$((failures + 1)); return
  fi
  if ! grep -qF -- "$needle" <<<"$out"; then
    echo "FAIL: $what: message lacks '$needle':"; echo "$out"; failures=$((failures + 1)); return
  fi
  if grep -qE "terminate called|Segmentation|Aborted|std::" <<<"$out"; then
    echo "FAIL: $what: looks like a crash:"; echo "$out"; failures=$((failures + 1)); return
  fi
  if [ "$(grep -c . <<<"$out")" -gt 3 ]; then
    echo "FAIL: $what: more than a short message:"; echo "$out"; failures=$((failures + 1)); return
  fi
  passes=$((passes + 1))
}

expect_ok() {
  local what="$1"
  shift
  if ! "$@" >"$work/out.txt" 2>&1; then
    echo "FAIL: $what"; cat "$work/out.txt"; failures=$((failures + 1)); return
  fi
  passes=$((passes + 1))
}

# The happy path.
expect_ok "generate" "$jetimg" generate --process w --events 300 --seed 3 -o "$work/w.h5"
expect_ok "cluster" "$jetimg" cluster "$work/w.h5" -o "$work/w_jets.h5"
grep -q "kept" "$work/out.txt" || { echo "FAIL: cluster summary"; failures=$((failures + 1)); }
expect_ok "help on a subcommand" "$jetimg" cluster --help
expect_ok "info" "$jetimg" info --device cpu

expect_ok "preprocess" "$jetimg" preprocess "$work/w_jets.h5" -o "$work/w_images.h5" --config w --device cpu
expect_ok "preprocess top" "$jetimg" preprocess "$work/w_jets.h5" -o "$work/w_top.h5" --config top --device cpu
expect_ok "show" "$jetimg" show "$work/w_images.h5" -o "$work/w.png" --device cpu
expect_ok "show difference" "$jetimg" show "$work/w_images.h5" "$work/w_images.h5" -o "$work/d.png" --device cpu
expect_ok "stats" "$jetimg" stats "$work/w_images.h5" -o "$work/stats.h5" --device cpu
if [ "$(head -c 8 "$work/w.png" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
  echo "FAIL: show did not write a PNG"; failures=$((failures + 1))
fi

# Training: the shipped W-tagging network on W against QCD images.
expect_ok "generate qcd" "$jetimg" generate --process qcd --events 300 --seed 4 -o "$work/qcd.h5"
expect_ok "cluster qcd" "$jetimg" cluster "$work/qcd.h5" -o "$work/qcd_jets.h5"
expect_ok "preprocess qcd" "$jetimg" preprocess "$work/qcd_jets.h5" -o "$work/qcd_images.h5" --config w --device cpu
net="$source_dir/configs/nets/w_maxout.json"
echo '{"epochs": 2, "batch_size": 50, "patience": 0, "weights": "flat_pt"}' >"$work/train.json"
train() { "$jetimg" train --signal "$work/w_images.h5" --background "$work/qcd_images.h5" --device cpu "$@"; }
expect_ok "train" train --network "$net" --config "$work/train.json" -o "$work/run1"
for f in best.h5 last.h5 log.csv; do
  [ -s "$work/run1/$f" ] || { echo "FAIL: train did not write $f"; failures=$((failures + 1)); }
done
[ "$(wc -l <"$work/run1/log.csv")" -eq 3 ] || { echo "FAIL: log.csv should have a header and 2 epochs"; failures=$((failures + 1)); }
expect_ok "train again, same seed" train --network "$net" --config "$work/train.json" -o "$work/run2"
if [ "$(cut -d, -f1-4 "$work/run1/log.csv")" != "$(cut -d, -f1-4 "$work/run2/log.csv")" ]; then
  echo "FAIL: the same seed gave different loss curves"; failures=$((failures + 1))
fi
expect_ok "resume" train --resume "$work/run1/last.h5" --epochs 3 -o "$work/run1"
[ "$(wc -l <"$work/run1/log.csv")" -eq 4 ] || { echo "FAIL: resume did not add an epoch"; failures=$((failures + 1)); }

# Particle-cloud taggers: a PFN trained, scored and evaluated on the jets files themselves.
pfn="$source_dir/configs/nets/pfn.json"
echo '{"epochs": 2, "batch_size": 50, "patience": 0}' >"$work/train_pfn.json"
expect_ok "train a PFN on jets" "$jetimg" train --signal "$work/w_jets.h5" --background "$work/qcd_jets.h5" \
  --network "$pfn" --config "$work/train_pfn.json" --device cpu -o "$work/pfn_run"
grep -q "jets (their constituents)" "$work/out.txt" || { echo "FAIL: train did not say it trains on jets"; failures=$((failures + 1)); }
expect_ok "predict with the PFN" "$jetimg" predict --model "$work/pfn_run/best.h5" "$work/w_jets.h5" -o "$work/pfn_scores.h5" --device cpu
grep -q "scored [0-9]* jets" "$work/out.txt" || { echo "FAIL: predict did not score jets"; failures=$((failures + 1)); }
expect_ok "evaluate the PFN" "$jetimg" evaluate --model "$work/pfn_run/best.h5" --signal "$work/w_jets.h5" \
  --background "$work/qcd_jets.h5" -o "$work/pfn_eval" --device cpu --bootstrap 5
[ -s "$work/pfn_eval/roc.png" ] || { echo "FAIL: evaluate of the PFN wrote no ROC plot"; failures=$((failures + 1)); }
expect_ok "train a TopoDNN on jets" "$jetimg" train --signal "$work/w_jets.h5" --background "$work/qcd_jets.h5" \
  --network "$source_dir/configs/nets/topodnn.json" --config "$work/train_pfn.json" --device cpu -o "$work/topo_run"
grep -q "topodnn reads each jet's leading 30 constituents: [0-9]* of the [0-9]* jets have more" "$work/out.txt" ||
  { echo "FAIL: train did not say how many jets TopoDNN truncates"; failures=$((failures + 1)); }
expect_fail "a PFN given images" "is a particle-cloud model, which reads jets files" "$jetimg" train \
  --signal "$work/w_images.h5" --background "$work/qcd_images.h5" --network "$pfn" -o "$work/bad"
expect_fail "an image network given jets" "qcd_jets.h5' is a jets file" "$jetimg" train \
  --signal "$work/qcd_jets.h5" --background "$work/w_jets.h5" --network "$net" -o "$work/bad"
expect_fail "a PFN scoring images" "is a particle-cloud model, which reads jets files" "$jetimg" predict \
  --model "$work/pfn_run/best.h5" "$work/w_images.h5" -o "$work/bad_scores.h5"

cp "$work/run1/best.h5" "$work/best_before.h5"
echo '{"epochs": 5, "lr": 1e30}' >"$work/wild.json"
expect_fail "diverging loss" "the train loss is not finite" train --resume "$work/run1/last.h5" --config "$work/wild.json" -o "$work/run1"
cmp -s "$work/run1/best.h5" "$work/best_before.h5" || { echo "FAIL: a diverged run changed best.h5"; failures=$((failures + 1)); }
echo '{"input_shape": [40, 40], "layers": [{"type": "flatten"}, {"type": "dense", "units": 1}]}' >"$work/net40.json"
expect_fail "images do not fit the network" "are (25, 25) but the network expects input_shape (40, 40)" train --network "$work/net40.json" -o "$work/bad"
expect_fail "signal and background of different sizes" "are (25, 25) but those in" "$jetimg" train --signal "$work/w_top.h5" --background "$work/qcd_images.h5" --network "$net" -o "$work/bad"
expect_fail "one class only" "holds only signal (label 1) images" "$jetimg" train --input "$work/w_images.h5" --network "$net" -o "$work/bad"
echo '{"jets": {"pt_min": 100000, "pt_max": 200000}}' >"$work/nojets.json"
"$jetimg" cluster "$work/w.h5" -o "$work/no_jets.h5" --config "$work/nojets.json" >/dev/null 2>&1
"$jetimg" preprocess "$work/no_jets.h5" -o "$work/no_images.h5" --device cpu >/dev/null 2>&1
expect_fail "empty images file" "no_images.h5' holds no images" "$jetimg" train --signal "$work/no_images.h5" --background "$work/qcd_images.h5" --network "$net" -o "$work/bad"
echo '{"input_shape": [25, 25], "layers": [{"type": "flatten"}, {"type": "dense", "unit": 3}]}' >"$work/typo_net.json"
expect_fail "network key typo" "typo_net.json: unknown key 'layers[1].unit'" train --network "$work/typo_net.json" -o "$work/bad"
echo '{"input_shape": [25, 25], "layers": [{"type": "conv9"}]}' >"$work/type_net.json"
expect_fail "unknown layer type" "'layers[0].type' is 'conv9', not a layer type" train --network "$work/type_net.json" -o "$work/bad"
echo '{"epoch": 3}' >"$work/typo_train.json"
expect_fail "training config key typo" "typo_train.json: unknown key 'epoch'" train --network "$net" --config "$work/typo_train.json" -o "$work/bad"
expect_fail "resume from a missing checkpoint" "none.h5': no such file" train --resume "$work/none.h5" -o "$work/bad"
expect_fail "resume from an images file" "is not a jetimg checkpoint" train --resume "$work/w_images.h5" -o "$work/bad"
expect_fail "resume into another network" "was written for a different model" train --resume "$work/run1/last.h5" --network "$work/net40.json" -o "$work/bad"
expect_fail "no inputs" "give either --signal and --background" "$jetimg" train --network "$net" -o "$work/bad"

# Math modes: --math fp32|tf32|bf16. The CPU computes float32 in every mode
# (and says so once), so tf32 trains the same curve as fp32; checkpoints
# record the mode; bf16 is for inference only.
expect_ok "train --math tf32 on the CPU" train --network "$net" --config "$work/train.json" --math tf32 -o "$work/run_tf32"
grep -q "the CPU computes float32" "$work/out.txt" || { echo "FAIL: --math tf32 on the CPU does not say the CPU computes float32"; cat "$work/out.txt"; failures=$((failures + 1)); }
if [ "$(cut -d, -f1-4 "$work/run2/log.csv")" != "$(cut -d, -f1-4 "$work/run_tf32/log.csv")" ]; then
  echo "FAIL: --math tf32 on the CPU gave another loss curve than fp32"; failures=$((failures + 1))
fi
grep -aq '"math":"tf32"' "$work/run_tf32/last.h5" || { echo "FAIL: the checkpoint does not record math tf32"; failures=$((failures + 1)); }
grep -aq '"math":"fp32"' "$work/run2/last.h5" || { echo "FAIL: the checkpoint does not record math fp32"; failures=$((failures + 1)); }
expect_fail "train --math bf16" "bf16 is for inference and generation only" train --network "$net" --config "$work/train.json" --math bf16 -o "$work/bad_math"
expect_fail "train --math unknown" "unknown math mode 'fp16' (choose fp32, tf32 or bf16)" train --network "$net" --math fp16 -o "$work/bad_math"
expect_fail "train-lagan --math bf16" "bf16 is for inference" "$jetimg" train-lagan --signal "$work/w_images.h5" --background "$work/qcd_images.h5" --math bf16 -o "$work/bad_math"
expect_fail "predict --math unknown" "unknown math mode 'half'" "$jetimg" predict --model "$work/run1/best.h5" "$work/w_images.h5" -o "$work/bad_math.h5" --math half
[ -e "$work/bad_math" ] || [ -e "$work/bad_math.h5" ] && { echo "FAIL: a refused --math wrote output"; failures=$((failures + 1)); }
expect_ok "predict --math fp32" "$jetimg" predict --model "$work/run_tf32/last.h5" "$work/w_images.h5" -o "$work/scores_fp32.h5" --device cpu
expect_ok "predict --math bf16 on the CPU" "$jetimg" predict --model "$work/run_tf32/last.h5" "$work/w_images.h5" -o "$work/scores_bf16.h5" --device cpu --math bf16

# Bad input.
expect_fail "zero events" "--events" "$jetimg" generate --process w --events 0 -o "$work/x.h5"
expect_fail "negative events" "--events" "$jetimg" generate --process w --events -5 -o "$work/x.h5"
expect_fail "unknown process" "unknown process 'z'" "$jetimg" generate --process z --events 5 -o "$work/x.h5"
expect_fail "missing input" "missing.h5': no such file" "$jetimg" cluster "$work/missing.h5" -o "$work/j.h5"
expect_fail "directory as input" "is a directory" "$jetimg" cluster "$work" -o "$work/j.h5"
echo "not hdf5" >"$work/text.h5"
expect_fail "not an HDF5 file" "is not an HDF5 file" "$jetimg" cluster "$work/text.h5" -o "$work/j.h5"
expect_fail "jets file as events" "not a jetimg events file" "$jetimg" cluster "$work/w_jets.h5" -o "$work/j.h5"
expect_fail "output dir missing" "does not exist" "$jetimg" generate --process w --events 5 -o "$work/no/dir/x.h5"
expect_fail "output is a directory" "is a directory" "$jetimg" generate --process w --events 5 -o "$work"
if [ "$(id -u)" -ne 0 ]; then
  mkdir "$work/ro" && chmod 555 "$work/ro"
  expect_fail "unwritable output" "not writable" "$jetimg" generate --process w --events 5 -o "$work/ro/x.h5"
fi
echo '{"jets": {"R": 1.0,' >"$work/broken.json"
expect_fail "malformed config" "broken.json' is not valid JSON" "$jetimg" cluster "$work/w.h5" -o "$work/j.h5" --config "$work/broken.json"
echo '{"jets": {"radius": 1.0}}' >"$work/unknown.json"
expect_fail "unknown config key" "unknown key 'jets.radius'" "$jetimg" cluster "$work/w.h5" -o "$work/j.h5" --config "$work/unknown.json"
echo '{"generator": {"pt_min": "high"}}' >"$work/type.json"
expect_fail "wrong config type" "'generator.pt_min' must be a number" "$jetimg" generate --process w --events 5 -o "$work/x.h5" --config "$work/type.json"
expect_fail "events file to preprocess" "not a jetimg jets file" "$jetimg" preprocess "$work/w.h5" -o "$work/i.h5"
echo '{"flip": "sideways"}' >"$work/flip.json"
expect_fail "bad preprocessing key" "'flip' must be one of" "$jetimg" preprocess "$work/w_jets.h5" -o "$work/i.h5" --config "$work/flip.json"
expect_fail "unknown convention" "'z' is neither an existing file nor a convention" "$jetimg" preprocess "$work/w_jets.h5" -o "$work/i.h5" --config z
expect_fail "show a jets file" "not a jetimg images file" "$jetimg" show "$work/w_jets.h5" -o "$work/x.png"
expect_fail "show mismatched sizes" "has 40x40 images" "$jetimg" show "$work/w_images.h5" "$work/w_top.h5" -o "$work/x.png"
expect_fail "stats of a missing file" "no such file" "$jetimg" stats "$work/none.h5" -o "$work/s.h5"
expect_fail "bad device" "unknown device 'gpu'" "$jetimg" demo --events 10 --device gpu --output-dir "$work"
expect_fail "unknown subcommand" "" "$jetimg" frobnicate

# Other inputs: FastJet text, HepMC, and damaged or foreign files.
examples=/usr/share/doc/fastjet-examples/examples
echo '{"jets": {"pt_min": 0, "pt_max": null, "eta_max": 5}}' >"$work/open.json"
expect_ok "cluster FastJet text" "$jetimg" cluster "$examples/Pythia-PtMin1000-LHC-10ev.dat" -o "$work/text_jets.h5" --label 0 --config "$work/open.json"
grep -q "input (text): read 10 events, skipped 0" "$work/out.txt" || { echo "FAIL: text summary"; cat "$work/out.txt"; failures=$((failures + 1)); }
# Charged/neutral channels need particle identities: built-in events have them, FastJet text does not.
expect_ok "preprocess charged and neutral" "$jetimg" preprocess "$work/w_jets.h5" -o "$work/w_charged.h5" --config "$source_dir/configs/preprocess_top_charged.json" --device cpu
grep -q "into 3x40x40 images" "$work/out.txt" || { echo "FAIL: charged images have 3 channels"; cat "$work/out.txt"; failures=$((failures + 1)); }
expect_fail "charged channels from FastJet text" "constituent 0: PDG code 0, so its charge is unknown" "$jetimg" preprocess "$work/text_jets.h5" -o "$work/t_charged.h5" --config "$source_dir/configs/preprocess_top_charged.json"
[ -e "$work/t_charged.h5" ] && { echo "FAIL: a failed preprocess left its output"; failures=$((failures + 1)); }
printf '1 0 0 2\n0 1 0 2\n#END\n1 2 abc 4\n#END\n0 0 1 nan\n#END\n' >"$work/bad_line.dat"
expect_ok "text with bad lines" "$jetimg" cluster "$work/bad_line.dat" -o "$work/bad_line_jets.h5" --label 0 --config "$work/open.json"
grep -q "read 1 events, skipped 2 (first: '$work/bad_line.dat', event 1, line 4: expected four numbers" "$work/out.txt" ||
  { echo "FAIL: skipped-records summary"; cat "$work/out.txt"; failures=$((failures + 1)); }
expect_fail "text without a label" "give --label 0 or 1" "$jetimg" cluster "$work/bad_line.dat" -o "$work/j.h5"
printf 'hello world\n' >"$work/junk.txt"
expect_fail "unknown format" "cannot tell its format" "$jetimg" cluster "$work/junk.txt" -o "$work/j.h5" --label 0
expect_fail "text given as HepMC" "is not a HepMC ASCII file" "$jetimg" cluster "$work/bad_line.dat" -o "$work/j.h5" --format hepmc --label 0
expect_fail "text given as toptag" "is not an HDF5 file" "$jetimg" cluster "$work/bad_line.dat" -o "$work/j.h5" --format toptag
expect_fail "unknown --format" "--format" "$jetimg" cluster "$work/bad_line.dat" -o "$work/j.h5" --format pythia
expect_fail "jetimg events as toptag" "is not a top-tagging dataset file" "$jetimg" cluster "$work/w.h5" -o "$work/j.h5" --format toptag
printf '1 0 0 nan\n#END\n1 0 0 -5\n' >"$work/all_bad.dat"
expect_fail "no usable events" "has no usable events (read 0 events, skipped 2" "$jetimg" cluster "$work/all_bad.dat" -o "$work/j.h5" --label 0
damaged="$source_dir/tests/data/fuzz/hepmc3_vertex_lists_missing_particle.hepmc"
expect_ok "damaged HepMC3 event skipped" "$jetimg" cluster "$damaged" -o "$work/damaged_jets.h5" --label 1 --config "$work/open.json"
grep -q "input (hepmc3): read 1 events, skipped 1 (first: '$damaged', event 0 (line 3): vertex -999 lists particle '999999'" "$work/out.txt" ||
  { echo "FAIL: damaged HepMC summary"; cat "$work/out.txt"; failures=$((failures + 1)); }
# The header and the first lines of the file's second (whole) event, gzipped.
{ head -2 "$damaged"; sed -n '/^E 1 /,$p' "$damaged" | head -8; } | gzip >"$work/truncated.hepmc.gz"
expect_fail "truncated gzip HepMC" "truncated or damaged" "$jetimg" cluster "$work/truncated.hepmc.gz" -o "$work/j.h5" --label 1
printf 'HepMC::Version 2.06.09\nHepMC::IO_GenEvent-START_EVENT_LISTING\nHepMC::IO_GenEvent-END_EVENT_LISTING\n' >"$work/empty.hepmc"
expect_fail "HepMC without events" "has no usable events (read 0 events, skipped 0)" "$jetimg" cluster "$work/empty.hepmc" -o "$work/j.h5" --label 1
head -c 100 /dev/urandom >"$work/random.bin"
expect_fail "binary junk" "" "$jetimg" cluster "$work/random.bin" -o "$work/j.h5" --label 1 --format text

# A failing run never damages an existing output.
echo "keep me" >"$work/existing.h5"
expect_fail "failed run keeps the old file" "unknown key" "$jetimg" cluster "$work/w.h5" -o "$work/existing.h5" --config "$work/unknown.json"
if [ "$(cat "$work/existing.h5")" != "keep me" ]; then echo "FAIL: existing output was changed"; failures=$((failures + 1)); fi
leftovers=$(find "$work" -name '*.tmp-*' | wc -l)
if [ "$leftovers" -ne 0 ]; then echo "FAIL: temporary files left behind"; failures=$((failures + 1)); fi

# The demo end to end on a small sample: jets, images, training, evaluation.
if "$jetimg" demo --events 1500 --output-dir "$work/demo" >"$work/demo.txt" 2>&1 &&
   grep -q "^maxout network " "$work/demo.txt" && grep -q "^trimmed mass + tau21 likelihood " "$work/demo.txt" &&
   grep -q "^image mass + tau21 likelihood " "$work/demo.txt" &&
   [ -s "$work/demo/roc.png" ] && [ -s "$work/demo/train/best.h5" ] &&
   grep -q '"rejection_at_eff_s_0.5"' "$work/demo/evaluation.json"; then
  passes=$((passes + 1))
else
  echo "FAIL: demo end to end"; tail -20 "$work/demo.txt"; failures=$((failures + 1))
fi
expect_fail "evaluate with a missing checkpoint" "absent.h5" "$jetimg" evaluate "$work/absent.h5" \
  --signal "$work/demo/w_test_images.h5" --background "$work/demo/qcd_test_images.h5"
"$jetimg" preprocess "$work/demo/w_test_jets.h5" -o "$work/w40.h5" --config top >/dev/null 2>&1
expect_fail "evaluate 40x40 images with a 25x25 network" "w40.h5" "$jetimg" evaluate "$work/demo/train/best.h5" \
  --signal "$work/w40.h5" --background "$work/demo/qcd_test_images.h5" --output-dir "$work/ev"
[ -e "$work/ev/evaluation.json" ] && { echo "FAIL: a failed evaluation wrote its report"; failures=$((failures + 1)); }
# Charged and neutral channels on the demo's jets: a network trains on them,
# and the evaluation leaves out the image baseline (no intensity channel).
printf '{"convention": "w", "zoom": false, "channels": ["charged", "neutral"]}' >"$work/cn.json"
printf '{"input_shape": [2, 25, 25], "layers": [{"type": "flatten"}, {"type": "dense", "units": 1}]}' >"$work/cn_net.json"
for s in w qcd; do "$jetimg" preprocess "$work/demo/${s}_test_jets.h5" -o "$work/${s}_cn.h5" --config "$work/cn.json" >/dev/null 2>&1; done
"$jetimg" train --signal "$work/w_cn.h5" --background "$work/qcd_cn.h5" --network "$work/cn_net.json" --epochs 1 \
  -o "$work/cn_train" --device cpu >/dev/null 2>&1
if "$jetimg" evaluate "$work/cn_train/best.h5" --signal "$work/w_cn.h5" --background "$work/qcd_cn.h5" \
     -o "$work/cn_eval" >"$work/cn_eval.txt" 2>&1 &&
   grep -q "^trimmed mass + tau21 likelihood " "$work/cn_eval.txt" && ! grep -q "^image mass" "$work/cn_eval.txt"; then
  passes=$((passes + 1))
else
  echo "FAIL: evaluation of charged/neutral images"; cat "$work/cn_eval.txt"; failures=$((failures + 1))
fi

# Ctrl-C in the middle of a long run leaves nothing half-written.
"$jetimg" generate --process qcd --events 3000000 --batch 20000 -o "$work/big.h5" >/dev/null 2>&1 &
pid=$!
sleep 2
kill -INT "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -e "$work/big.h5" ] || [ -n "$(find "$work" -name 'big.h5.tmp-*')" ]; then
  echo "FAIL: interrupted run left a file behind"; failures=$((failures + 1))
else
  passes=$((passes + 1))
fi

# Calorimeter showers from the built-in simulator, in the CaloGAN layout.
expect_ok "simulate" "$jetimg" simulate --particle e+ --energy 1-100 --n 300 --seed 2 -o "$work/showers.h5"
grep -q "^simulated 300 e+ showers (1-100 GeV, seed 2)" "$work/out.txt" || { echo "FAIL: simulate summary"; cat "$work/out.txt"; failures=$((failures + 1)); }
expect_ok "simulate again in chunks on one thread" "$jetimg" simulate --particle e+ --energy 1-100 --n 300 --seed 2 --chunk 70 --threads 1 -o "$work/showers_chunks.h5"
expect_ok "simulate pions at one energy" "$jetimg" simulate --particle pi+ --energy 50 --n 40 -o "$work/pions.h5"
expect_ok "simulate photons" "$jetimg" simulate --particle gamma --n 40 -o "$work/photons.h5"
expect_ok "simulate into the CaloChallenge layout" "$jetimg" simulate --particle e+ --energy 1-100 --n 300 --seed 2 --layout calochallenge -o "$work/showers_cc.h5"
# Read as the published CaloGAN data are read (h5py; skipped without it).
python="sh $source_dir/tests/python/with_venv.sh"
$python - "$work" <<'PY' >"$work/h5py.txt" 2>&1
import json, sys
try:
    import h5py, numpy as np
except ImportError:
    sys.exit(77)
work = sys.argv[1]
f = h5py.File(work + "/showers.h5", "r")
shapes = {k: f[k].shape for k in f}
assert shapes == {"energy": (300, 1), "layer_0": (300, 3, 96), "layer_1": (300, 12, 12), "layer_2": (300, 12, 6),
                  "overflow": (300, 3)}, shapes
assert all(f[k].dtype == np.float32 for k in f), [f[k].dtype for k in f]
assert f.attrs["format"] in ("jetimg-showers", b"jetimg-showers") and f.attrs["version"] == 1
prov = f.attrs["provenance"]
prov = json.loads(prov.decode() if isinstance(prov, bytes) else prov)
assert prov["particle"] == "e+" and prov["seed"] == 2, prov
e = f["energy"][:, 0]
assert e.min() >= 1 and e.max() <= 100, (e.min(), e.max())
total = sum(f[f"layer_{i}"][:].sum(axis=(1, 2)) for i in range(3)) + f["overflow"][:].sum(1)
assert abs(np.mean(total / (1000 * e)) - 1) < 0.02, np.mean(total / (1000 * e))
g = h5py.File(work + "/showers_chunks.h5", "r")
for k in f:
    assert np.array_equal(f[k][:], g[k][:]), k + " differs between chunkings"
assert np.all(h5py.File(work + "/pions.h5", "r")["energy"][:] == 50)
# The same showers in the CaloChallenge layout: MeV, layers one after another.
c = h5py.File(work + "/showers_cc.h5", "r")
assert set(c) == {"incident_energies", "showers"}, set(c)
assert np.allclose(c["incident_energies"][:, 0], 1000 * e, rtol=1e-6)
flat = np.concatenate([f[f"layer_{i}"][:].reshape(300, -1) for i in range(3)], axis=1)
assert np.array_equal(c["showers"][:], flat), "CaloChallenge voxels differ from the CaloGAN layers"
PY
case $? in
  0) passes=$((passes + 1)) ;;
  77) echo "skip: h5py is not available for the showers-file check" ;;
  *) echo "FAIL: showers file as h5py reads it"; cat "$work/h5py.txt"; failures=$((failures + 1)) ;;
esac
expect_fail "energy range backwards" "--energy '100-1': the range must go from low to high" "$jetimg" simulate --particle e+ --energy 100-1 --n 5 -o "$work/bad_showers.h5"
expect_fail "no showers" "--n" "$jetimg" simulate --particle e+ --n 0 -o "$work/bad_showers.h5"
expect_fail "unknown showers layout" "--layout" "$jetimg" simulate --particle e+ --n 5 --layout geant4 -o "$work/bad_showers.h5"
expect_fail "unknown particle" "unknown particle 'mu-' (expected e+, gamma or pi+)" "$jetimg" simulate --particle mu- --n 5 -o "$work/bad_showers.h5"
expect_fail "energy not a number" "--energy 'lots': expected a number of GeV" "$jetimg" simulate --particle e+ --energy lots --n 5 -o "$work/bad_showers.h5"
expect_fail "negative energy" "energies must be in (0, 10000] GeV" "$jetimg" simulate --particle e+ --energy 0-10 --n 5 -o "$work/bad_showers.h5"
[ -e "$work/bad_showers.h5" ] && { echo "FAIL: a failed simulate wrote its output"; failures=$((failures + 1)); }
echo "keep me" >"$work/old_showers.h5"
expect_fail "failed simulate keeps the old file" "unknown particle" "$jetimg" simulate --particle x --n 5 -o "$work/old_showers.h5"
[ "$(cat "$work/old_showers.h5")" = "keep me" ] || { echo "FAIL: a failed simulate changed the old file"; failures=$((failures + 1)); }
expect_ok "simulate replaces the old file" "$jetimg" simulate --particle e+ --n 5 -o "$work/old_showers.h5"
[ "$(head -c 4 "$work/old_showers.h5" | od -An -c | tr -d ' ')" = "211HDF" ] || { echo "FAIL: simulate did not replace the old file"; failures=$((failures + 1)); }

# Comparing showers: shapes, distances, histograms and mean showers of two samples.
expect_ok "simulate a second e+ sample" "$jetimg" simulate --particle e+ --energy 1-100 --n 200 --seed 5 -o "$work/showers_b.h5"
mkdir "$work/report" && echo "keep me" >"$work/report/notes.txt"
expect_ok "compare" "$jetimg" compare "$work/showers.h5" "$work/showers_b.h5" -o "$work/report" --labels "built-in simulator,seed 5" --max-showers 150
grep -q "^150 reference (built-in simulator) and 150 generated (seed 5) showers: mean W1/σ over 32 shapes" "$work/out.txt" ||
  { echo "FAIL: compare summary"; cat "$work/out.txt"; failures=$((failures + 1)); }
for f in energy_total depth width_eta_layer_1 width_phi_layer_0 sparsity_layer_2 e_ratio_layer_0 mean_layer_0_reference mean_layer_2_generated; do
  [ "$(head -c 8 "$work/report/$f.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
    { echo "FAIL: compare did not write $f.png"; failures=$((failures + 1)); }
done
[ "$(find "$work/report" -name '*.png' | wc -l)" -eq 38 ] || { echo "FAIL: compare should write 32 histograms and 6 maps"; failures=$((failures + 1)); }
grep -q '"w1_normalised"' "$work/report/report.json" && grep -q '"showers": 150' "$work/report/report.json" ||
  { echo "FAIL: compare report.json"; failures=$((failures + 1)); }
[ "$(cat "$work/report/notes.txt")" = "keep me" ] || { echo "FAIL: compare touched a file it does not write"; failures=$((failures + 1)); }
summary() { sed -n 's/.*mean W1\/σ over 32 shapes \([0-9.]*\)$/\1/p' "$work/out.txt"; }
e_vs_e=$(summary)
expect_ok "compare a file with itself" "$jetimg" compare "$work/showers.h5" "$work/showers.h5" -o "$work/report_same"
[ "$(summary)" = "0.0000" ] || { echo "FAIL: a sample against itself should be at distance 0, got $(summary)"; failures=$((failures + 1)); }
expect_ok "compare electrons with pions" "$jetimg" compare "$work/showers.h5" "$work/pions.h5" -o "$work/report_pions"
awk -v a="$e_vs_e" -v b="$(summary)" 'BEGIN { exit !(b > 2 * a) }' ||
  { echo "FAIL: pions should be further from electrons ($(summary)) than electrons are ($e_vs_e)"; failures=$((failures + 1)); }
expect_fail "compare with a missing file" "none.h5': no such file" "$jetimg" compare "$work/showers.h5" "$work/none.h5" -o "$work/report_bad"
expect_fail "compare a jets file" "w_jets.h5' holds no showers" "$jetimg" compare "$work/w_jets.h5" "$work/showers.h5" -o "$work/report_bad"
expect_fail "compare with bad labels" "expected two names separated by one comma" "$jetimg" compare "$work/showers.h5" "$work/showers_b.h5" -o "$work/report_bad" --labels "one"
expect_fail "compare into a file" "is a file, expected a folder" "$jetimg" compare "$work/showers.h5" "$work/showers_b.h5" -o "$work/showers_b.h5"
$python - "$work" <<'PY' >"$work/h5py.txt" 2>&1
import sys
try:
    import h5py, numpy as np
except ImportError:
    sys.exit(77)
with h5py.File(sys.argv[1] + "/other_calorimeter.h5", "w") as f:
    f["energy"] = np.ones((4, 1), np.float32)
    for i, (rows, cols) in enumerate([(3, 96), (12, 12), (12, 12)]):
        f[f"layer_{i}"] = np.ones((4, rows, cols), np.float32)
PY
if [ $? -eq 0 ]; then
  expect_fail "compare different calorimeters" "other_calorimeter.h5' has layers 3x96, 12x12, 12x12 but" "$jetimg" compare "$work/showers.h5" "$work/other_calorimeter.h5" -o "$work/report_bad"
fi
[ -e "$work/report_bad" ] && { echo "FAIL: a failed compare made its report directory"; failures=$((failures + 1)); }

# CaloGAN: a tiny training on built-in showers, generation with the trained
# generator, the timing table; bad configs and checkpoints get one message.
cat >"$work/calogan_tiny.json" <<'JSON'
{"model": {"latent": 8, "dense_channels": 2, "gen_conv_filters": 2, "gen_lc_filters": 2,
           "disc_conv_filters": 2, "disc_lc_filters": [2, 2, 2], "mbd_features": 2, "mbd_dims": 2},
 "training": {"epochs": 2, "batch_size": 16, "steps_per_epoch": 3}}
JSON
expect_ok "train-gan" "$jetimg" train-gan --config "$work/calogan_tiny.json" --data "$work/showers.h5" --reference "$work/showers_b.h5" -o "$work/gan"
grep -q "epoch 2/2: d_loss .* shape_distance [0-9]" "$work/out.txt" || { echo "FAIL: train-gan epoch line"; cat "$work/out.txt"; failures=$((failures + 1)); }
for f in last.h5 generator_epoch_001.h5 generator_epoch_002.h5 log.csv; do
  [ -s "$work/gan/$f" ] || { echo "FAIL: train-gan did not write $f"; failures=$((failures + 1)); }
done
expect_ok "train-gan resumed for a third epoch" "$jetimg" train-gan --config "$work/calogan_tiny.json" --data "$work/showers.h5" --resume "$work/gan/last.h5" --epochs 3 -o "$work/gan"
{ grep -q "^epoch 3/3: d_loss" "$work/out.txt" && ! grep -q "^epoch [12]/3" "$work/out.txt" && [ "$(wc -l <"$work/gan/log.csv")" -eq 4 ]; } ||
  { echo "FAIL: train-gan --resume"; cat "$work/out.txt"; failures=$((failures + 1)); }
expect_fail "train-gan resumed from a generator-only file" "holds no discriminator or optimiser state" "$jetimg" train-gan --config "$work/calogan_tiny.json" --data "$work/showers.h5" --resume "$work/gan/generator_epoch_001.h5" --epochs 3 -o "$work/gan_bad"
expect_ok "simulate with the trained generator" "$jetimg" simulate --particle e+ --model "$work/gan/last.h5" -n 40 --batch 16 -o "$work/gan_showers.h5"
grep -q "^generated 40 e+ showers" "$work/out.txt" || { echo "FAIL: simulate --model summary"; cat "$work/out.txt"; failures=$((failures + 1)); }
expect_ok "compare generated showers" "$jetimg" compare "$work/showers_b.h5" "$work/gan_showers.h5" -o "$work/report_gan"
expect_ok "bench-shower" "$jetimg" bench-shower --config "$work/calogan_tiny.json" --batches 1,16 --seconds 0.05 --device cpu
[ "$(grep -c "ms/shower\|CaloGAN generator (jetimg) .* 16 \|built-in simulator (e+)" "$work/out.txt")" -ge 3 ] ||
  { echo "FAIL: bench-shower table"; cat "$work/out.txt"; failures=$((failures + 1)); }
echo '{"model": {"latnet": 3}}' >"$work/bad_gan.json"
expect_fail "train-gan with a misspelt key" "latnet" "$jetimg" train-gan --config "$work/bad_gan.json" --data "$work/showers.h5" -o "$work/gan_bad"
expect_fail "train-gan on a jets file" "w_jets.h5" "$jetimg" train-gan --config "$work/calogan_tiny.json" --data "$work/w_jets.h5" -o "$work/gan_bad"
expect_fail "simulate with a showers file as the model" "is not a jetimg checkpoint" "$jetimg" simulate --particle e+ --model "$work/showers.h5" -n 4 -o "$work/gan_bad.h5"
expect_fail "simulate with a tagger checkpoint" "is a tagger checkpoint, not CaloGAN's" "$jetimg" simulate --particle e+ --model "$work/run1/best.h5" -n 4 -o "$work/gan_bad.h5"
expect_fail "bench-shower with bad batches" "--batches must be a comma-separated list" "$jetimg" bench-shower --config "$work/calogan_tiny.json" --batches 1,x
[ -e "$work/gan_bad.h5" ] && { echo "FAIL: a failed simulate --model wrote its output"; failures=$((failures + 1)); }

# LAGAN on the W and QCD images above (a tiny model, two short epochs).
echo '{"latent": 6, "dense_channels": 2, "conv_filters": 2, "lc_filters": 2, "disc_conv_filters": 2,
       "disc_lc_filters": 2, "mbd_features": 2, "mbd_dims": 2, "epochs": 2, "batch_size": 16, "steps_per_epoch": 2}' >"$work/lagan_tiny.json"
expect_ok "train-lagan" "$jetimg" train-lagan --signal "$work/w_images.h5" --background "$work/qcd_images.h5" --config "$work/lagan_tiny.json" -o "$work/lagan" --device cpu
for f in last.h5 log.csv average_w_real.png average_w_generated.png average_qcd_real.png average_qcd_generated.png; do
  [ -s "$work/lagan/$f" ] || { echo "FAIL: train-lagan did not write $f"; failures=$((failures + 1)); }
done
expect_ok "train-lagan resumed for a third epoch" "$jetimg" train-lagan --signal "$work/w_images.h5" --background "$work/qcd_images.h5" --config "$work/lagan_tiny.json" --resume "$work/lagan/last.h5" --epochs 3 -o "$work/lagan" --device cpu
[ "$(wc -l <"$work/lagan/log.csv")" -eq 4 ] || { echo "FAIL: train-lagan --resume log"; cat "$work/lagan/log.csv"; failures=$((failures + 1)); }
expect_fail "train-lagan on 40x40 images" "25x25" "$jetimg" train-lagan --signal "$work/w_top.h5" --background "$work/w_top.h5" --config "$work/lagan_tiny.json" -o "$work/lagan_bad" --device cpu

# HepMC output: generate writes HepMC3 (.hepmc3, .hepmc) or HepMC2 (.hepmc2,
# --format) that cluster reads back to the same jets as the events file; .gz is refused.
expect_ok "generate as an events file" "$jetimg" generate --process w --events 20 --seed 5 -o "$work/hm.h5"
expect_ok "cluster the events file" "$jetimg" cluster "$work/hm.h5" -o "$work/hm_jets.h5"
kept_h5=$(grep -o "kept [0-9]* jets" "$work/out.txt")
for version in 3 2; do
  expect_ok "generate HepMC$version" "$jetimg" generate --process w --events 20 --seed 5 -o "$work/hm.hepmc$version"
  grep -q "^generated 20 w events .*-> $work/hm.hepmc$version (HepMC$version)$" "$work/out.txt" ||
    { echo "FAIL: generate HepMC$version summary"; cat "$work/out.txt"; failures=$((failures + 1)); }
  expect_ok "cluster HepMC$version" "$jetimg" cluster "$work/hm.hepmc$version" --label 1 -o "$work/hm_jets$version.h5"
  { grep -q "input (hepmc$version): read 20 events, skipped 0" "$work/out.txt" && grep -q "$kept_h5" "$work/out.txt"; } ||
    { echo "FAIL: HepMC$version clusters like the events file ($kept_h5)"; cat "$work/out.txt"; failures=$((failures + 1)); }
done
[ "$(sed -n 2p "$work/hm.hepmc3")" = "HepMC::Asciiv3-START_EVENT_LISTING" ] || { echo "FAIL: .hepmc3 is not HepMC3"; failures=$((failures + 1)); }
[ "$(sed -n 2p "$work/hm.hepmc2")" = "HepMC::IO_GenEvent-START_EVENT_LISTING" ] || { echo "FAIL: .hepmc2 is not HepMC2"; failures=$((failures + 1)); }
expect_ok "generate HepMC2 by --format" "$jetimg" generate --process qcd --events 5 --format hepmc2 -o "$work/hm_qcd.dat"
[ "$(sed -n 2p "$work/hm_qcd.dat")" = "HepMC::IO_GenEvent-START_EVENT_LISTING" ] || { echo "FAIL: --format hepmc2"; failures=$((failures + 1)); }
expect_fail "gzip HepMC output" "hm.hepmc.gz': gzip-compressed HepMC output is not supported" "$jetimg" generate --process w --events 20 -o "$work/hm.hepmc.gz"
expect_fail "gzip HepMC output from Pythia" "hm.hepmc3.gz': gzip-compressed HepMC output is not supported" "$jetimg" generate --generator pythia --process w --events 2 -o "$work/hm.hepmc3.gz"
expect_fail "HepMC named like HDF5" "readers take a name ending in .h5 for HDF5" "$jetimg" generate --process w --events 2 --format hepmc3 -o "$work/hm_bad.h5"
expect_fail "HepMC into a missing directory" "no/dir/x.hepmc3': directory" "$jetimg" generate --process w --events 2 -o "$work/no/dir/x.hepmc3"
for f in hm.hepmc.gz hm.hepmc3.gz hm_bad.h5; do
  [ -e "$work/$f" ] && { echo "FAIL: a refused generate wrote $f"; failures=$((failures + 1)); }
done
[ "$(find "$work" -maxdepth 1 -name 'hm*.tmp-*' | wc -l)" -eq 0 ] || { echo "FAIL: HepMC temporary files left"; failures=$((failures + 1)); }
if "$source_dir/.venv/bin/python" -c 'import pythia8mc' >/dev/null 2>&1; then
  expect_ok "generate Pythia HepMC2" "$jetimg" generate --generator pythia --process w --events 3 --seed 7 -o "$work/py.hepmc2"
  expect_ok "cluster Pythia HepMC2" "$jetimg" cluster "$work/py.hepmc2" --label 1 -o "$work/py_jets.h5"
  grep -q "input (hepmc2): read 3 events, skipped 0" "$work/out.txt" || { echo "FAIL: Pythia HepMC2 read back"; cat "$work/out.txt"; failures=$((failures + 1)); }
fi

# One vocabulary: -n for how many to make, --batch, -o/--output for a file,
# --output-dir for a folder, --model for a checkpoint read, --device and
# --threads wherever something is computed. The old spellings still work but
# --help does not list them.
# expect_help SUBCOMMAND "names listed" "names not listed" (whole words)
expect_help() {
  local sub="$1" listed="$2" hidden="$3" help name ok=1
  help=$("$jetimg" $sub --help 2>&1)
  for name in $listed; do
    grep -qE -- "(^|[ ,\[])$name([ ,=]|$)" <<<"$help" || { echo "FAIL: '$sub --help' does not list $name"; ok=0; }
  done
  for name in $hidden; do
    grep -qE -- "(^|[ ,\[])$name([ ,=]|$)" <<<"$help" && { echo "FAIL: '$sub --help' lists the old spelling $name"; ok=0; }
  done
  grep -q "Old spellings" <<<"$help" && { echo "FAIL: '$sub --help' shows the old spellings' group"; ok=0; }
  if [ "$ok" -eq 1 ]; then passes=$((passes + 1)); else failures=$((failures + 1)); fi
}
for sub in generate cluster preprocess stats show predict evaluate train train-calogan train-lagan simulate bench-shower compare demo; do
  expect_help "$sub" "--device --threads" ""
done
for sub in predict evaluate train train-calogan train-lagan simulate bench-shower demo; do
  expect_help "$sub" "--math" ""
done
expect_help generate "-n --events --batch -o --output" ""
expect_help demo "-n --events --output-dir" "-o"
expect_help simulate "-n --showers -o --output --model --batch" "--n"
expect_help stats "--batch -o --output" "--chunk"
expect_help compare "--batch --output-dir" "--chunk -o --output"
expect_help predict "--model --batch -o --output images" "images-after-checkpoint"
expect_help evaluate "--model --batch --output-dir" "-o --output"
expect_help export "--model -o --output" "--onnx"
for sub in predict evaluate export; do
  if "$jetimg" $sub --help | grep -qE "^Usage:.*checkpoint|^  checkpoint"; then
    echo "FAIL: '$sub --help' lists the checkpoint as a positional argument"; failures=$((failures + 1))
  else
    passes=$((passes + 1))
  fi
done
expect_help train "--output-dir --resume" "-o --output"
expect_help train-calogan "--output-dir --resume" "-o --output"
expect_help train-lagan "--output-dir --resume" "-o --output"
expect_help bench-shower "--model" ""
expect_help "" "train-calogan" "train-gan"
# The current spellings.
expect_ok "generate -n" "$jetimg" generate --process w -n 20 --seed 3 --device cpu -o "$work/v_w.h5"
expect_ok "cluster --device" "$jetimg" cluster "$work/v_w.h5" --device cpu --threads 1 -o "$work/v_jets.h5"
expect_fail "generate with an unknown device" "unknown device 'gpu'" "$jetimg" generate --process w -n 5 --device gpu -o "$work/v_x.h5"
expect_ok "simulate --showers" "$jetimg" simulate --particle e+ --showers 30 --seed 2 -o "$work/v_showers.h5"
grep -q "^simulated 30 e+ showers" "$work/out.txt" || { echo "FAIL: simulate --showers summary"; failures=$((failures + 1)); }
expect_ok "stats --batch --threads" "$jetimg" stats "$work/w_images.h5" --batch 64 --threads 1 --device cpu -o "$work/v_stats.h5"
expect_ok "show --threads" "$jetimg" show "$work/w_images.h5" --threads 1 --device cpu -o "$work/v.png"
expect_ok "compare --output-dir --batch" "$jetimg" compare "$work/showers.h5" "$work/showers_b.h5" --output-dir "$work/v_report" --batch 64 --threads 1 --device cpu
[ -s "$work/v_report/report.json" ] || { echo "FAIL: compare --output-dir wrote no report"; failures=$((failures + 1)); }
expect_ok "predict --model" "$jetimg" predict --model "$work/run1/best.h5" "$work/w_images.h5" -o "$work/v_scores.h5" --device cpu
expect_ok "predict, images before --model" "$jetimg" predict "$work/w_images.h5" --model "$work/run1/best.h5" -o "$work/v_scores2.h5" --device cpu
expect_ok "evaluate --model --output-dir" "$jetimg" evaluate --model "$work/run1/best.h5" --signal "$work/w_images.h5" --background "$work/qcd_images.h5" --bootstrap 2 --output-dir "$work/v_eval" --device cpu
[ -s "$work/v_eval/evaluation.json" ] || { echo "FAIL: evaluate --output-dir wrote no report"; failures=$((failures + 1)); }
expect_ok "export --model -o" "$jetimg" export --model "$work/run1/best.h5" -o "$work/v.onnx"
[ -s "$work/v.onnx" ] || { echo "FAIL: export -o wrote no file"; failures=$((failures + 1)); }
expect_ok "train --output-dir" train --network "$net" --config "$work/train.json" --epochs 1 --output-dir "$work/v_run"
[ -s "$work/v_run/best.h5" ] || { echo "FAIL: train --output-dir wrote no best.h5"; failures=$((failures + 1)); }
expect_ok "train-calogan --output-dir" "$jetimg" train-calogan --config "$work/calogan_tiny.json" --data "$work/showers.h5" --epochs 1 --output-dir "$work/v_gan" --device cpu --threads 1
[ -s "$work/v_gan/last.h5" ] || { echo "FAIL: train-calogan --output-dir wrote no last.h5"; failures=$((failures + 1)); }
expect_ok "train-lagan --output-dir" "$jetimg" train-lagan --signal "$work/w_images.h5" --background "$work/qcd_images.h5" --config "$work/lagan_tiny.json" --epochs 1 --output-dir "$work/v_lagan" --device cpu
[ -s "$work/v_lagan/last.h5" ] || { echo "FAIL: train-lagan --output-dir wrote no last.h5"; failures=$((failures + 1)); }
expect_fail "demo -n out of range" "--events" "$jetimg" demo -n 0 --output-dir "$work/v_demo"
expect_fail "simulate --showers 0" "--showers" "$jetimg" simulate --particle e+ --showers 0 -o "$work/v_bad.h5"
# The old spellings, with the same results.
expect_ok "simulate --n" "$jetimg" simulate --particle e+ --n 30 --seed 2 -o "$work/v_showers_old.h5"
expect_ok "predict CHECKPOINT IMAGES" "$jetimg" predict "$work/run1/best.h5" "$work/w_images.h5" -o "$work/v_scores_old.h5" --device cpu
$python - "$work" <<'PY' >"$work/h5py.txt" 2>&1
import sys
try:
    import h5py, numpy as np
except ImportError:
    sys.exit(77)
w = sys.argv[1]
scores = [h5py.File(f"{w}/{n}.h5", "r")["score"][:] for n in ("v_scores", "v_scores2", "v_scores_old")]
assert all(np.array_equal(scores[0], s) for s in scores[1:]), "the spellings of predict give different scores"
new, old = (h5py.File(f"{w}/{n}.h5", "r") for n in ("v_showers", "v_showers_old"))
assert all(np.array_equal(new[k][:], old[k][:]) for k in new), "simulate --showers and --n give different showers"
fp32, bf16 = (h5py.File(f"{w}/{n}.h5", "r")["score"][:] for n in ("scores_fp32", "scores_bf16"))
assert np.array_equal(fp32, bf16), "predict --math bf16 on the CPU gives other scores than fp32"
PY
case $? in
  0) passes=$((passes + 1)) ;;
  77) echo "skip: h5py is not available for the predict and simulate spellings check" ;;
  *) echo "FAIL: predict and simulate spellings"; cat "$work/h5py.txt"; failures=$((failures + 1)) ;;
esac
expect_ok "export CHECKPOINT --onnx" "$jetimg" export "$work/run1/best.h5" --onnx "$work/v_old.onnx"
cmp -s "$work/v.onnx" "$work/v_old.onnx" || { echo "FAIL: export spellings wrote different files"; failures=$((failures + 1)); }
expect_ok "stats --chunk" "$jetimg" stats "$work/w_images.h5" --chunk 64 --device cpu -o "$work/v_stats_old.h5"
expect_ok "compare --chunk" "$jetimg" compare "$work/showers.h5" "$work/showers_b.h5" -o "$work/v_report_old" --chunk 64
cmp -s "$work/v_report/report.json" "$work/v_report_old/report.json" || { echo "FAIL: compare spellings wrote different reports"; failures=$((failures + 1)); }
expect_ok "evaluate CHECKPOINT -o" "$jetimg" evaluate "$work/run1/best.h5" --signal "$work/w_images.h5" --background "$work/qcd_images.h5" --bootstrap 2 -o "$work/v_eval_old" --device cpu
expect_ok "train-gan -o" "$jetimg" train-gan --config "$work/calogan_tiny.json" --data "$work/showers.h5" --epochs 1 -o "$work/v_gan_old" --device cpu
# Old and new spellings of one option together, and bad values under an old name.
expect_fail "--n beside --showers" "--n excludes --showers" "$jetimg" simulate --particle e+ --showers 5 --n 6 -o "$work/v_bad.h5"
expect_fail "-o beside --output-dir" "-o excludes --output-dir" "$jetimg" compare "$work/showers.h5" "$work/showers_b.h5" -o "$work/v_r1" --output-dir "$work/v_r2"
expect_fail "checkpoint beside --model" "checkpoint excludes --model" "$jetimg" export "$work/run1/best.h5" --model "$work/run1/best.h5" -o "$work/v_bad.onnx"
expect_fail "predict with two images files and --model" "not expected" "$jetimg" predict --model "$work/run1/best.h5" "$work/w_images.h5" "$work/w_images.h5" -o "$work/v_bad.h5"
expect_fail "a bad value under an old name" "--chunk" "$jetimg" stats "$work/w_images.h5" --chunk 0 -o "$work/v_bad.h5"
expect_fail "a missing checkpoint under the old name" "absent.h5" "$jetimg" export "$work/absent.h5" --onnx "$work/v_bad.onnx"
expect_fail "predict without a checkpoint" "--model is required" "$jetimg" predict "$work/w_images.h5" -o "$work/v_bad.h5"
for f in v_x.h5 v_bad.h5 v_bad.onnx v_r1 v_r2; do
  [ -e "$work/$f" ] && { echo "FAIL: a refused command wrote $f"; failures=$((failures + 1)); }
done

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
