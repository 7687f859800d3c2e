#!/usr/bin/env python3
"""Particle-cloud taggers checked against independent references: a PFN, an
EFN and a ParticleNet trained by jetimg on W and QCD jets, their scores from
`jetimg predict` on a jets file, must equal the scores of the same networks
written here in numpy (PFN, EFN) and, where torch is installed, in PyTorch
(bench/reference/torch_particle_flow.py, torch_particle_net.py), with the
particle features computed here from the jets file's four-vectors by the
papers' formulas. Exit 77 (skip) without numpy and h5py.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as error:
    print(f"skipped: {error}")
    sys.exit(77)

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "bench", "reference"))

SMALL_PFN = {
    "type": "pfn", "features": 7, "pooling": "sum",
    "phi": [{"type": "dense", "units": 24, "activation": "relu"}, {"type": "dense", "units": 16, "activation": "relu"}],
    "f": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense", "units": 1}],
}
SMALL_PARTICLENET = {"type": "particlenet", "features": 7, "k": 5, "blocks": [[16, 16], [24]], "fc": [16],
                     "dropout": 0.1, "outputs": 1}
SMALL_PART = {"type": "part", "features": 7, "embed": [16, 16], "pair_embed": [8], "heads": 2, "blocks": 2,
              "class_blocks": 1, "ffn_ratio": 2, "outputs": 1}
SMALL_TOPODNN = {"type": "topodnn", "constituents": 30,
                 "layers": [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense", "units": 1}]}
SMALL_EFN = {
    "type": "efn", "pooling": "sum",
    "phi": [{"type": "dense", "units": 24, "activation": "relu"}, {"type": "dense", "units": 16, "activation": "relu"}],
    "f": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense", "units": 1}],
}


def kinematics(v):
    e, px, py, pz = (v[..., k].astype(np.float64) for k in range(4))
    pt = np.hypot(px, py)
    p = np.sqrt(pt * pt + pz * pz)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = 0.5 * np.log((p + pz) / (p - pz))
    return pt, eta, np.arctan2(py, px), e


def pair_inputs(jets_path):
    """Per jet: ParT's pair features (ln kT, ln z, ln ΔR, ln m²) of every pair
    of its constituents, (n, n, 4), zero on the diagonal."""
    with h5py.File(jets_path, "r") as f:
        constituents, counts = f["constituents"][()], f["n_constituents"][()]
    out = []
    for c, n in zip(constituents, counts):
        v = c[:n].astype(np.float64)
        pt, eta, phi, _ = kinematics(c[:n])
        deta = eta[:, None] - eta[None, :]
        dphi = (phi[:, None] - phi[None, :] + np.pi) % (2 * np.pi) - np.pi
        delta = np.hypot(deta, dphi)
        low = np.minimum(pt[:, None], pt[None, :])
        s = v[:, None, :] + v[None, :, :]
        m2 = s[..., 0] ** 2 - s[..., 1] ** 2 - s[..., 2] ** 2 - s[..., 3] ** 2
        floor = 1e-8
        f = np.stack([np.log(np.maximum(low * delta, floor)), np.log(np.maximum(low / (pt[:, None] + pt[None, :]), floor)),
                      np.log(np.maximum(delta, floor)), np.log(np.maximum(m2, floor))], axis=-1)
        f[np.arange(n), np.arange(n)] = 0
        out.append(f)
    return out


def particle_inputs(jets_path):
    """Per jet: the 7 features (Δη, Δφ, ln pT, ln E, ln pT/pT_jet, ln E/E_jet,
    ΔR), the coordinates and the pT fractions of its real constituents."""
    with h5py.File(jets_path, "r") as f:
        constituents, counts, jets = f["constituents"][()], f["n_constituents"][()], f["jet"][()]
    out = []
    for c, n, jet in zip(constituents, counts, jets):
        pt, eta, phi, e = kinematics(c[:n])
        jpt, jeta, jphi, je = kinematics(jet[None, :].astype(np.float32))
        deta = eta - jeta
        dphi = (phi - jphi + np.pi) % (2 * np.pi) - np.pi
        features = np.stack([deta, dphi, np.log(pt), np.log(e), np.log(pt / jpt), np.log(e / je),
                             np.hypot(deta, dphi)], axis=1)
        out.append((features, features[:, :2], pt / pt.sum()))
    return out


def leading(features, count):
    """TopoDNN's input: (pT/pT_jet, Δη, Δφ) of the leading `count`
    constituents, zero-padded, flattened."""
    rows = np.zeros((count, 3))
    k = min(count, len(features))
    rows[:k, 0] = np.exp(features[:k, 4])
    rows[:k, 1:] = features[:k, :2]
    return rows.reshape(-1)


def dense_stack(weights, part, layers, x):
    for index, layer in enumerate(layers):
        assert layer["type"] == "dense", layer
        x = x @ weights[f"{part}.{index}.weight"] + weights[f"{part}.{index}.bias"]
        if layer.get("activation", "linear") == "relu":
            x = np.maximum(x, 0)
    return x


def numpy_scores(checkpoint, inputs):
    with h5py.File(checkpoint, "r") as f:
        config = json.loads(f.attrs["models"])["model"]
        weights = {k: v[()].astype(np.float64) for k, v in f["models/model"].items()}
    scores = []
    for features, coords, frac in inputs:
        if config["type"] == "topodnn":
            logit = dense_stack(weights, "net", config["layers"], leading(features, config["constituents"])[None, :])[0, 0]
            scores.append(1 / (1 + np.exp(-logit)))
            continue
        if config["type"] == "efn":
            pooled = (dense_stack(weights, "phi", config["phi"], coords) * frac[:, None]).sum(axis=0)
        else:
            pooled = dense_stack(weights, "phi", config["phi"], features).sum(axis=0)
            if config.get("pooling", "sum") == "mean":
                pooled /= len(features)
        logit = dense_stack(weights, "f", config["f"], pooled[None, :])[0, 0]
        scores.append(1 / (1 + np.exp(-logit)))
    return np.array(scores)


def torch_scores(checkpoint, inputs, pairs=None):
    try:
        import torch
        import torch_part
        import torch_particle_flow
        import torch_particle_net
    except ImportError:
        return None
    with h5py.File(checkpoint, "r") as f:
        config = json.loads(f.attrs["models"])["model"]
    if config["type"] == "part":
        model = torch_part.load_checkpoint(torch_part.ParticleTransformer(config), checkpoint).double().eval()
        features, _, mask = padded(inputs)
        m = features.shape[1]
        p = np.zeros((len(inputs), m, m, 4))
        for i, f in enumerate(pairs):
            p[i, :len(f), :len(f)] = f
        with torch.no_grad():
            logits = model(torch.tensor(features), torch.tensor(p), torch.tensor(mask, dtype=torch.uint8)).numpy()[:, 0]
        return 1 / (1 + np.exp(-logits))
    if config["type"] == "particlenet":
        return particlenet_torch_scores(torch, torch_particle_net, config, checkpoint, inputs)
    if config["type"] == "topodnn":
        return None  # a dense network: numpy and ONNX Runtime check it
    model = torch_particle_flow.load_checkpoint(torch_particle_flow.ParticleFlow(config), checkpoint).double().eval()
    m = max(len(features) for features, _, _ in inputs)
    n = len(inputs)
    x = np.zeros((n, m, 2 if model.energy_flow else 7))
    mask, frac = np.zeros((n, m)), np.zeros((n, m))
    for i, (features, coords, z) in enumerate(inputs):
        k = len(features)
        x[i, :k] = coords if model.energy_flow else features
        mask[i, :k], frac[i, :k] = 1, z
    with torch.no_grad():
        logits = model(torch.tensor(x), torch.tensor(mask), torch.tensor(frac)).numpy()[:, 0]
    return 1 / (1 + np.exp(-logits))


def padded(inputs):
    m = max(len(features) for features, _, _ in inputs)
    n = len(inputs)
    features, coords, mask = np.zeros((n, m, 7)), np.zeros((n, m, 2)), np.zeros((n, m))
    for i, (f, c, _) in enumerate(inputs):
        features[i, :len(f)], coords[i, :len(f)], mask[i, :len(f)] = f, c, 1
    return features, coords, mask


def particlenet_torch_scores(torch, module, config, checkpoint, inputs):
    model = module.load_checkpoint(module.ParticleNet(config), checkpoint).double().eval()
    features, coords, mask = padded(inputs)
    with torch.no_grad():
        logits = model(torch.tensor(coords), torch.tensor(features), torch.tensor(mask, dtype=torch.uint8)).numpy()[:, 0]
    return 1 / (1 + np.exp(-logits))


def onnx_scores(model_path, inputs, extra_padding):
    """ONNX Runtime on the exported network, with the jets padded to the
    longest one plus `extra_padding` particles (the file's M is free)."""
    try:
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    features, coords, mask = padded(inputs)
    frac = np.zeros(mask.shape)
    for i, (_, _, z) in enumerate(inputs):
        frac[i, :len(z)] = z
    if extra_padding:
        pad = ((0, 0), (0, extra_padding))
        features, coords = np.pad(features, pad + ((0, 0),)), np.pad(coords, pad + ((0, 0),))
        mask, frac = np.pad(mask, pad), np.pad(frac, pad)
    available = {"leading": np.stack([leading(f, 30) for f, _, _ in inputs]).reshape(-1, 30, 3).astype(np.float32),
                 "features": features.astype(np.float32), "coords": coords.astype(np.float32),
                 "pt_frac": frac.astype(np.float32), "mask": mask.astype(np.uint8)}
    feed = {i.name: available[i.name] for i in session.get_inputs()}
    return session.run(["score"], feed)[0][:, 0]


def main():
    jetimg = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as work:
        def run(*args):
            return subprocess.run([jetimg, *args], check=True, capture_output=True, text=True)

        for process, seed in (("w", 5), ("qcd", 6)):
            run("generate", "--process", process, "--events", "250", "--seed", str(seed), "-o", f"{work}/{process}.h5")
            run("cluster", f"{work}/{process}.h5", "-o", f"{work}/{process}_jets.h5")
        inputs = particle_inputs(f"{work}/w_jets.h5")
        pairs = pair_inputs(f"{work}/w_jets.h5")
        with open(f"{work}/train.json", "w") as f:
            json.dump({"epochs": 2, "batch_size": 32, "patience": 0}, f)
        compared_torch = False
        mean_pfn = dict(SMALL_PFN, pooling="mean")
        for name, network in (("pfn", SMALL_PFN), ("pfn_mean", mean_pfn), ("efn", SMALL_EFN),
                              ("topodnn", SMALL_TOPODNN), ("particlenet", SMALL_PARTICLENET), ("part", SMALL_PART)):
            with open(f"{work}/{name}.json", "w") as f:
                json.dump(network, f)
            run("train", "--signal", f"{work}/w_jets.h5", "--background", f"{work}/qcd_jets.h5", "--network",
                f"{work}/{name}.json", "--config", f"{work}/train.json", "--device", "cpu", "-o", f"{work}/{name}")
            checkpoint = f"{work}/{name}/best.h5"
            run("predict", "--model", checkpoint, f"{work}/w_jets.h5", "-o", f"{work}/{name}_scores.h5", "--batch", "37",
                "--device", "cpu")
            with h5py.File(f"{work}/{name}_scores.h5", "r") as f:
                got = f["score"][()][:, 0]
            if network["type"] not in ("particlenet", "part"):
                expected = numpy_scores(checkpoint, inputs)
                worst = np.abs(got - expected).max()
                print(f"{name}: {len(got)} jets, largest |jetimg - numpy| = {worst:.2e}")
                if len(got) != len(expected) or worst > 2e-5:
                    failures.append(f"{name}: jetimg and numpy differ by {worst}")
            if np.std(got) < 1e-3:
                failures.append(f"{name}: the scores hardly vary ({np.std(got)}): the comparison would be weak")
            if network["type"] in ("particlenet", "part"):
                refused = subprocess.run([jetimg, "export", "--model", checkpoint, "-o", f"{work}/{name}.onnx"],
                                         capture_output=True, text=True)
                if refused.returncode == 0 or f"{network['type']} models cannot be exported" not in refused.stderr:
                    failures.append(f"{name}: ONNX export must be refused with a message, got {refused.stderr!r}")
                if os.path.exists(f"{work}/{name}.onnx"):
                    failures.append(f"{name}: a refused export left a file behind")
            else:
                run("export", "--model", checkpoint, "-o", f"{work}/{name}.onnx")
                for extra in (0, 7):
                    exported = onnx_scores(f"{work}/{name}.onnx", inputs, extra)
                    if exported is None:
                        print("onnxruntime not installed: the export is not checked")
                        break
                    worst = np.abs(got - exported).max()
                    print(f"{name}: ONNX Runtime, padded {extra} beyond the longest jet: "
                          f"largest |jetimg - ONNX Runtime| = {worst:.2e}")
                    if len(got) != len(exported) or worst > 2e-5:
                        failures.append(f"{name}: jetimg and ONNX Runtime differ by {worst}")
            reference = torch_scores(checkpoint, inputs, pairs)
            if reference is not None:
                compared_torch = True
                worst = np.abs(got - reference).max()
                print(f"{name}: {len(got)} jets, largest |jetimg - PyTorch| = {worst:.2e}, median {np.median(np.abs(got - reference)):.2e}")
                if len(got) != len(reference) or worst > 2e-5:
                    failures.append(f"{name}: jetimg and PyTorch differ by {worst}")
        if not compared_torch:
            print("PyTorch not installed: compared with numpy only")
    for failure in failures:
        print("FAIL:", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
