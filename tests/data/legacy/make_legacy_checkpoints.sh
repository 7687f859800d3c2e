#!/usr/bin/env bash
# The checkpoints of the three formats before checkpoint version 2
# ("jetimg-checkpoint" 1, "jetimg-calogan" 1, "jetimg-lagan" 1), kept so that
# tests can check that files written by older builds still load. They were
# written by jetimg at commit 97359b7 (tagger_v1_scores.txt: its scores of
# tagger_v1_inputs.npy), the last one that wrote these formats:
#   git worktree add /tmp/old 97359b7 && (cd /tmp/old && ./run build)
#   tests/data/legacy/make_legacy_checkpoints.sh /tmp/old/build/jetimg tests/data/legacy
# Today's jetimg writes version 2 only, so running this with it makes no
# legacy files. Tiny networks keep the files small.
set -euo pipefail
jetimg="$1"
out="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$jetimg" generate --process w --events 300 --seed 3 -o w.h5 >/dev/null
"$jetimg" generate --process qcd --events 300 --seed 4 -o qcd.h5 >/dev/null
"$jetimg" cluster w.h5 -o w_jets.h5 >/dev/null
"$jetimg" cluster qcd.h5 -o qcd_jets.h5 >/dev/null
"$jetimg" preprocess w_jets.h5 -o w_images.h5 --config w --device cpu >/dev/null
"$jetimg" preprocess qcd_jets.h5 -o qcd_images.h5 --config w --device cpu >/dev/null
cat >net.json <<'JSON'
{"input_shape": [25, 25], "layers": [{"type": "flatten"}, {"type": "dense", "units": 4, "activation": "relu"},
 {"type": "batch_norm"}, {"type": "dense", "units": 1}]}
JSON
echo '{"epochs": 2, "batch_size": 50, "patience": 0, "seed": 5}' >train.json
"$jetimg" train --signal w_images.h5 --background qcd_images.h5 --network net.json --config train.json -o run \
  --device cpu --threads 1 >/dev/null
cat >calogan.json <<'JSON'
{"model": {"latent": 8, "dense_channels": 2, "gen_conv_filters": 2, "gen_lc_filters": 2, "disc_conv_filters": 2,
           "disc_lc_filters": [2, 2, 2], "mbd_features": 2, "mbd_dims": 2},
 "training": {"epochs": 1, "batch_size": 16, "steps_per_epoch": 2, "seed": 5}}
JSON
"$jetimg" simulate --particle e+ --energy 10-20 -n 64 --seed 5 -o showers.h5 >/dev/null
"$jetimg" train-gan --config calogan.json --data showers.h5 -o gan --device cpu --threads 1 >/dev/null
cat >lagan.json <<'JSON'
{"latent": 6, "dense_channels": 2, "conv_filters": 2, "lc_filters": 2, "disc_conv_filters": 2, "disc_lc_filters": 2,
 "mbd_features": 2, "mbd_dims": 2, "epochs": 1, "batch_size": 16, "steps_per_epoch": 1, "seed": 5}
JSON
"$jetimg" train-lagan --signal w_images.h5 --background qcd_images.h5 --config lagan.json -o lagan --device cpu \
  --threads 1 >/dev/null
cp run/last.h5 "$out/tagger_v1.h5"
cp gan/last.h5 "$out/calogan_v1.h5"
cp gan/generator_epoch_001.h5 "$out/calogan_generator_v1.h5"
cp lagan/last.h5 "$out/lagan_v1.h5"
cp net.json "$out/tagger_v1_network.json"
cp calogan.json "$out/calogan_v1_config.json"
cp lagan.json "$out/lagan_v1_config.json"
# The tagger's scores on the first 8 W images, to check that the loaded
# network computes what the one that wrote it did.
"$jetimg" predict run/last.h5 w_images.h5 -o scores.h5 --device cpu >/dev/null
python3 - "$out" <<'PY' || true
import sys, h5py, numpy as np
with h5py.File("scores.h5") as f, h5py.File("w_images.h5") as g:
    np.savetxt(sys.argv[1] + "/tagger_v1_scores.txt", f["score"][:8].reshape(-1), fmt="%.9g")
    np.save(sys.argv[1] + "/tagger_v1_inputs.npy", g["images"][:8])
PY
