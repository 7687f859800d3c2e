#!/usr/bin/env python3
"""The table of tools/tagger_study.sh: each network's AUC, accuracy (at
score 0.5) and background rejection with their bootstrap errors, from the
evaluations in OUTPUT_DIR (eval_<key>/evaluation.json, runs.txt), then the
trimmed mass + tau21 baseline. Writes study.md and study.json there.

    study_table.py OUTPUT_DIR SIGNAL GENERATOR EVENTS
"""
import json
import sys

KEYS = ("auc", "auc_error", "accuracy", "accuracy_error", "rejection_at_eff_s_0.3",
        "rejection_at_eff_s_0.3_error", "rejection_at_eff_s_0.5", "rejection_at_eff_s_0.5_error")


def main():
    out, signal, generator, events = sys.argv[1:5]
    rows, baseline, jets = [], None, None
    for line in open(f"{out}/runs.txt"):
        key, name, seconds = line.strip().split("|")
        report = json.load(open(f"{out}/eval_{key}/evaluation.json"))
        jets = report["jets"]
        for t in report["taggers"]:
            if t["name"].startswith("network"):
                rows.append({"tagger": name, "train_seconds": int(seconds), **{k: t[k] for k in KEYS}})
            elif t["name"].startswith("trimmed mass"):
                baseline = {"tagger": "trimmed mass + τ21 likelihood", "train_seconds": 0, **{k: t[k] for k in KEYS}}
    if baseline:
        rows.append(baseline)
    lines = [f"{signal} against QCD, {generator} events: {events} training events per class, test jets "
             f"{jets['signal']} signal + {jets['background']} background", "",
             "| tagger | AUC | accuracy | 1/ε_B at ε_S = 0.3 | 1/ε_B at ε_S = 0.5 | training (s) |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['tagger']} | {r['auc']:.4f} ± {r['auc_error']:.4f} | "
                     f"{r['accuracy']:.4f} ± {r['accuracy_error']:.4f} | "
                     f"{r['rejection_at_eff_s_0.3']:.1f} ± {r['rejection_at_eff_s_0.3_error']:.1f} | "
                     f"{r['rejection_at_eff_s_0.5']:.1f} ± {r['rejection_at_eff_s_0.5_error']:.1f} | "
                     f"{r['train_seconds']} |")
    with open(f"{out}/study.md", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(f"{out}/study.json", "w") as f:
        json.dump(rows, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
