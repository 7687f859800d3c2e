#!/usr/bin/env bash
# Real generator output that the tests carry with them: a few Pythia 8 events
# written by jetimg itself, each sample as HepMC3 and as HepMC2, gzip-compressed
# (jetimg's reader reads .gz; its writer does not write it, so gzip does).
#
#   w_pythia8.hepmc{3,2}.gz    5 events, pp -> WZ, W -> qq', Z -> neutrinos,
#                              pT-hat 250-300 GeV, 13 TeV, seed 1
#   qcd_pythia8.hepmc{3,2}.gz  5 events, QCD dijets (HardQCD:all),
#                              pT-hat 250-300 GeV, 13 TeV, seed 2
#
# The settings are jetimg's own for these processes (python/pythia_events.py,
# PROCESSES "w" and "qcd"); the committed files were made by Pythia 8.315
# (pythia8mc 8.315.0 from PyPI in the project's .venv) and HepMC3 3.1.2
# (Debian's libhepmc3-dev). Neutrinos are dropped, as jetimg reads Pythia's
# stream. Momenta are printed with 9 digits after the point (--hepmc-precision
# 9), which is what the Pythia stream carries, so nothing is lost and the
# files stay small. The events do not depend on the number of Pythia workers.
#
# Regenerate, from the repository root, with a built jetimg:
#   tests/data/pythia/make_pythia_fixtures.sh build/jetimg tests/data/pythia
# Another Pythia version gives other events: the tests
# (tests/physics/test_pythia_fixture.cpp) check physics and agreement between
# the two formats, not these particular numbers.
set -euo pipefail
jetimg="$1"
out="${2:-$(dirname "$0")}"
events=5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_sample() {  # name process seed
  local name="$1" process="$2" seed="$3"
  for version in 3 2; do
    "$jetimg" generate --generator pythia --process "$process" --events "$events" --seed "$seed" \
      --hepmc-precision 9 -o "$work/$name.hepmc$version"
    gzip -9 -n -c "$work/$name.hepmc$version" >"$work/$name.hepmc$version.gz"
  done
}

make_sample w_pythia8 w 1
make_sample qcd_pythia8 qcd 2
mkdir -p "$out"
for f in w_pythia8 qcd_pythia8; do
  for version in 3 2; do
    mv "$work/$f.hepmc$version.gz" "$out/"
  done
done
ls -l "$out"/*.gz
