#!/usr/bin/env python3
"""`jetimg compare` checked against an independent computation: two small
CaloGAN-layout files (different sizes, sparse cells, some empty layers and
an empty shower) are compared by jetimg; here every shower shape is worked
out again with numpy from the README's definitions, W1 with
scipy.stats.wasserstein_distance and the χ² as the Pearson χ² of the 2 × K
contingency table (scipy.stats.chi2_contingency) over the bins report.json
states. Exit 77 (skip) without numpy, scipy or h5py.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    from scipy.stats import chi2_contingency, wasserstein_distance
except ImportError as error:
    print(f"skipped: {error}")
    sys.exit(77)

GEOMETRY = [(3, 96), (12, 12), (12, 6)]
CELL_MM = [(160.0, 5.0), (40.0, 40.0), (40.0, 80.0)]  # (η, φ): every layer covers 480 × 480 mm


def write_showers(path, n, seed, spread):
    """Gaussian-ish showers with exponential fluctuations, cells below 1 MeV zeroed."""
    rng = np.random.default_rng(seed)
    energy = rng.uniform(1, 100, size=(n, 1)).astype(np.float32)
    with h5py.File(path, "w") as f:
        f["energy"] = energy
        for i, (rows, cols) in enumerate(GEOMETRY):
            r, c = np.meshgrid(np.arange(rows) - (rows - 1) / 2, np.arange(cols) - (cols - 1) / 2, indexing="ij")
            offset = rng.normal(0, 0.7, size=(n, 1, 1))
            profile = np.exp(-0.5 * ((r[None] - offset) ** 2 / (spread * rows / 12) ** 2
                                     + c[None] ** 2 / (spread * cols / 12) ** 2))
            cells = profile * rng.exponential(1.0, size=(n, rows, cols)) * energy[:, :, None] * 50
            cells[cells < 1.0] = 0
            cells[rng.random(n) < 0.1] = 0  # some showers leave a layer empty
            cells[0] = 0  # and one leaves nothing at all
            f[f"layer_{i}"] = cells.astype(np.float32)
        f["overflow"] = np.zeros((n, 3), np.float32)


def ratio(num, den):
    return np.where(den != 0, num / np.where(den != 0, den, 1), 0.0)


def shapes_of(path):
    with h5py.File(path, "r") as f:
        incident = f["energy"][:, 0].astype(np.float64)
        layers = [f[f"layer_{i}"][:].astype(np.float64) for i in range(len(GEOMETRY))]
    out, energies = {}, []
    for i, (cells, (size_eta, size_phi)) in enumerate(zip(layers, CELL_MM)):
        n, rows, cols = cells.shape
        eta = (np.arange(rows) + 0.5 - rows / 2) * size_eta
        phi = (np.arange(cols) + 0.5 - cols / 2) * size_phi
        e = cells.sum(axis=(1, 2))
        by_row, by_col = cells.sum(axis=2), cells.sum(axis=1)
        c_eta, c_phi = ratio(by_row @ eta, e), ratio(by_col @ phi, e)
        var_eta = ratio((by_row * (eta[None] - c_eta[:, None]) ** 2).sum(axis=1), e)
        var_phi = ratio((by_col * (phi[None] - c_phi[:, None]) ** 2).sum(axis=1), e)
        top = np.sort(cells.reshape(n, -1), axis=1)[:, ::-1][:, :2]
        energies.append(e / 1000)
        out[f"energy_layer_{i}"] = e / 1000
        out[f"centroid_eta_layer_{i}"] = c_eta
        out[f"centroid_phi_layer_{i}"] = c_phi
        out[f"width_eta_layer_{i}"] = np.sqrt(np.maximum(var_eta, 0))
        out[f"width_phi_layer_{i}"] = np.sqrt(np.maximum(var_phi, 0))
        out[f"sparsity_layer_{i}"] = (cells > 0).sum(axis=(1, 2)) / (rows * cols)
        out[f"max_cell_fraction_layer_{i}"] = ratio(top[:, 0], e)
        out[f"e_ratio_layer_{i}"] = ratio(top[:, 0] - top[:, 1], top[:, 0] + top[:, 1])
    total = sum(energies)
    l_d = sum(i * e for i, e in enumerate(energies))
    l_d2 = sum(i * i * e for i, e in enumerate(energies))
    depth = ratio(l_d, total)
    out["energy_total"] = total
    out["energy_ratio"] = ratio(total, incident)
    out["depth_weighted_energy"] = l_d
    out["depth"] = depth
    out["depth_width"] = np.sqrt(np.maximum(ratio(l_d2, total) - depth ** 2, 0))
    for i, e in enumerate(energies):
        out[f"fraction_layer_{i}"] = ratio(e, total)
    return out


def close(a, b, rtol, atol):
    return abs(a - b) <= atol + rtol * abs(b)


def main():
    jetimg = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as work:
        reference, generated = os.path.join(work, "reference.h5"), os.path.join(work, "generated.h5")
        write_showers(reference, 700, 1, 1.0)
        write_showers(generated, 450, 2, 1.25)
        report_dir = os.path.join(work, "report")
        run = subprocess.run([jetimg, "compare", reference, generated, "-o", report_dir, "--bins", "40"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout, run.stderr)
            return 1
        with open(os.path.join(report_dir, "report.json")) as f:
            report = json.load(f)
        ref, gen = shapes_of(reference), shapes_of(generated)
        if sorted(s["name"] for s in report["shapes"]) != sorted(ref):
            failures.append(f"shapes differ: jetimg {[s['name'] for s in report['shapes']]}, here {sorted(ref)}")
        normalised = []
        for s in report["shapes"]:
            name = s["name"]
            if name not in ref:
                continue
            a, b = ref[name], gen[name]
            scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
            for sample, values in (("reference", a), ("generated", b)):
                for key, want in (("mean", values.mean()), ("std", values.std())):
                    if not close(s[sample][key], want, 1e-9, 1e-12 * scale):
                        failures.append(f"{name}: {sample} {key} {s[sample][key]!r}, numpy {want!r}")
            w1 = wasserstein_distance(a, b)
            if not close(s["w1"], w1, 1e-7, 1e-12 * scale):
                failures.append(f"{name}: W1 {s['w1']!r}, scipy {w1!r}")
            sigma = a.std() if a.std() > 1e-12 * scale else np.concatenate([a, b]).std()
            want_normalised = w1 / sigma if sigma > 0 else 0.0
            normalised.append(s["w1_normalised"])
            if not close(s["w1_normalised"], want_normalised, 1e-7, 1e-12):
                failures.append(f"{name}: normalised W1 {s['w1_normalised']!r}, here {want_normalised!r}")
            # The χ² over report.json's bins: k = floor((x - lo) / (hi - lo) * bins), clamped.
            lo, hi, bins = s["histogram"]["lo"], s["histogram"]["hi"], s["histogram"]["bins"]
            def counts(x):
                k = np.clip(np.floor((x - lo) / (hi - lo) * bins), 0, bins - 1).astype(int)
                return np.bincount(k, minlength=bins)
            table = np.array([counts(a), counts(b)])
            table = table[:, table.sum(axis=0) > 0]
            if table.shape[1] > 1:
                chi2, _, dof, _ = chi2_contingency(table, correction=False)
            else:
                chi2, dof = 0.0, 0
            if s["ndf"] != dof or not close(s["chi2"], chi2, 1e-6, 1e-9):
                failures.append(f"{name}: χ² {s['chi2']!r}/{s['ndf']}, scipy {chi2!r}/{dof}")
            if not os.path.getsize(os.path.join(report_dir, s["plot"])):
                failures.append(f"{name}: empty plot")
        if not close(report["mean_w1_normalised"], float(np.mean(normalised)), 1e-12, 1e-15):
            failures.append(f"mean_w1_normalised {report['mean_w1_normalised']!r}, here {np.mean(normalised)!r}")
        if "mean W1/σ over 32 shapes" not in run.stdout:
            failures.append("the printed table lacks its summary line:\n" + run.stdout)
        for i in range(len(GEOMETRY)):
            for role in ("reference", "generated"):
                if not os.path.exists(os.path.join(report_dir, f"mean_layer_{i}_{role}.png")):
                    failures.append(f"no mean_layer_{i}_{role}.png")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(report['shapes'])} shapes compared with numpy and scipy, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
