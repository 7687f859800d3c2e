#!/usr/bin/env bash
# The taggers side by side on the same jets, as the top-tagging comparison
# (Kasieczka et al. 2019) lays them out: an image network and the
# particle-cloud taggers (TopoDNN, EFN, PFN, ParticleNet-Lite, ParT-small)
# trained on the same events, each evaluated on the same fresh test events
# beside the trimmed mass + τ21 baseline, in one table (study.md, study.json).
#
#   tools/tagger_study.sh JETIMG OUTPUT_DIR [EVENTS] [SIGNAL] [GENERATOR] [EPOCHS]
#     EVENTS     training events per class (default 3000; a third as many test events)
#     SIGNAL     w (default; the image network is configs/nets/w_maxout.json on 25×25
#                W images, jets as jetimg's defaults make them) or top (configs/nets/
#                top_cnn.json on 40×40 top images; the top-tagging dataset's window:
#                anti-kT R = 0.8, pT 550-650 GeV, |η| < 2 (on the trimmed jet, as
#                jetimg selects), QCD generated in the same pT window; no
#                parton matching)
#     GENERATOR  builtin (default) or pythia (Pythia 8 from the project's .venv)
#     EPOCHS     training epochs of each network (default 10; early stopping after 3)
#
# Every step is a jetimg command, so the study is also a recipe: the commands
# are echoed as they run.
set -euo pipefail
jetimg=$(realpath "$1")
out=$2
events=${3:-3000}
signal=${4:-w}
generator=${5:-builtin}
epochs=${6:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
run() { echo "+ $*" >&2; "$@" >/dev/null; }

generate_qcd=()
cluster=()
case "$signal" in
  w) preset=w image_net="$root/configs/nets/w_maxout.json" image_name="image DNN (maxout)" ;;
  top)
    preset=top image_net="$root/configs/nets/top_cnn.json" image_name="image CNN"
    window='{"R": 0.8, "pt_min": 550, "pt_max": 650, "eta_max": 2}'
    echo "{\"generator\": {\"pt_min\": 520, \"pt_max\": 680}, \"jets\": $window, \"top_jets\": $window}" >"$out/run.json"
    cluster=(--config "$out/run.json")
    if [ "$generator" = pythia ]; then
      generate_qcd=(--pythia-settings "$root/configs/pythia/qcd_top_window.cmnd")
    else
      generate_qcd=(--config "$out/run.json")
    fi ;;
  *) echo "SIGNAL must be w or top, got '$signal'" >&2; exit 2 ;;
esac

# Events, jets and images for training and for testing, each class with its own seeds.
seed=100
for split in train test; do
  n=$events
  [ "$split" = test ] && n=$((events / 3))
  for process in "$signal" qcd; do
    seed=$((seed + 1))
    extra=()
    [ "$process" = qcd ] && extra=("${generate_qcd[@]}")
    run "$jetimg" generate --generator "$generator" --process "$process" --events "$n" --seed "$seed" \
      -o "$out/${process}_${split}_events.h5" "${extra[@]}"
    run "$jetimg" cluster "$out/${process}_${split}_events.h5" -o "$out/${process}_${split}_jets.h5" "${cluster[@]}"
    run "$jetimg" preprocess "$out/${process}_${split}_jets.h5" -o "$out/${process}_${split}_images.h5" --config "$preset"
  done
done

echo "{\"epochs\": $epochs, \"batch_size\": 128, \"lr\": 0.001, \"patience\": 3, \"seed\": 7}" >"$out/train.json"
names=()
for spec in "image|$image_name|$image_net|images" \
            "topodnn|TopoDNN|$root/configs/nets/topodnn.json|jets" \
            "efn|EFN|$root/configs/nets/efn.json|jets" \
            "pfn|PFN|$root/configs/nets/pfn.json|jets" \
            "particlenet_lite|ParticleNet-Lite|$root/configs/nets/particlenet_lite.json|jets" \
            "part_small|ParT-small|$root/configs/nets/part_small.json|jets"; do
  IFS='|' read -r key name network kind <<<"$spec"
  start=$(date +%s)
  run "$jetimg" train --signal "$out/${signal}_train_$kind.h5" --background "$out/qcd_train_$kind.h5" \
    --network "$network" --config "$out/train.json" --device cpu --overwrite -o "$out/run_$key"
  end=$(date +%s)
  run "$jetimg" evaluate --model "$out/run_$key/best.h5" --signal "$out/${signal}_test_$kind.h5" \
    --background "$out/qcd_test_$kind.h5" --bootstrap 50 --device cpu -o "$out/eval_$key"
  echo "$key|$name|$((end - start))" >>"$out/runs.txt.tmp"
  names+=("$key")
done
mv "$out/runs.txt.tmp" "$out/runs.txt"

# One table of every network and the baseline (tools/study_table.py).
python3 "$root/tools/study_table.py" "$out" "$signal" "$generator" "$events"
