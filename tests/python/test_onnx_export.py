#!/usr/bin/env python3
"""ONNX export checked by an independent runtime: networks trained by jetimg,
exported with `jetimg export --onnx`, run in ONNX Runtime on the same images,
must give the scores `jetimg predict` gives.

Covers the shipped W maxout network and top CNN, and a small network that
uses every exportable layer type (conv2d with asymmetric 'same' padding and
stride, and one without a bias, batch normalisation on images and on
features, pooling, padding, up-sampling, reshape, dropout, each activation,
GELU included, and layer normalisation).
The locally connected network must be refused with a message. Exit 77 (skip)
without onnxruntime.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import onnxruntime
except ImportError as error:
    print(f"skipped: {error}")
    sys.exit(77)

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EVERY_LAYER = {
    "input_shape": [1, 25, 25],
    "layers": [
        {"type": "zero_padding2d", "padding": [[1, 0], [0, 2]]},
        {"type": "conv2d", "filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "activation": "relu"},
        {"type": "batch_norm"},
        {"type": "up_sampling2d", "size": 2},
        {"type": "conv2d", "filters": 3, "kernel_size": [3, 2], "padding": "valid", "activation": "leaky_relu",
         "slope": 0.1},
        {"type": "max_pool2d", "pool_size": 2},
        {"type": "avg_pool2d", "pool_size": [2, 3], "strides": [1, 2]},
        {"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same", "activation": "tanh",
         "use_bias": False},
        {"type": "reshape", "shape": [-1]},
        {"type": "dense", "units": 16, "activation": "sigmoid"},
        {"type": "batch_norm"},
        {"type": "layer_norm"},
        {"type": "dropout", "rate": 0.2},
        {"type": "maxout_dense", "units": 8, "pieces": 3},
        {"type": "tanh"},
        {"type": "dense", "units": 6, "activation": "gelu"},
        {"type": "gelu"},
        {"type": "dense", "units": 1},
    ],
}


def main():
    jetimg = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as work:
        def run(*args, check=True):
            return subprocess.run([jetimg, *args], check=check, capture_output=True, text=True)

        run("demo", "--events", "800", "--no-train", "--output-dir", work, "--device", "cpu")
        w, qcd = os.path.join(work, "w_images.h5"), os.path.join(work, "qcd_images.h5")
        w40, qcd40 = os.path.join(work, "w40.h5"), os.path.join(work, "qcd40.h5")
        run("preprocess", os.path.join(work, "w_jets.h5"), "-o", w40, "--config", "top", "--device", "cpu")
        run("preprocess", os.path.join(work, "qcd_jets.h5"), "-o", qcd40, "--config", "top", "--device", "cpu")
        every = os.path.join(work, "every_layer.json")
        with open(every, "w") as f:
            json.dump(EVERY_LAYER, f)
        training = os.path.join(work, "train.json")
        with open(training, "w") as f:
            json.dump({"epochs": 2, "batch_size": 64, "patience": 0, "seed": 3}, f)

        cases = [("w_maxout", os.path.join(SOURCE, "configs/nets/w_maxout.json"), w, qcd),
                 ("top_cnn", os.path.join(SOURCE, "configs/nets/top_cnn.json"), w40, qcd40),
                 ("every_layer", every, w, qcd)]
        for name, network, signal, background in cases:
            out = os.path.join(work, name)
            run("train", "--signal", signal, "--background", background, "--network", network, "--config", training,
                "-o", out, "--device", "cpu")
            checkpoint, model = os.path.join(out, "best.h5"), os.path.join(out, "model.onnx")
            run("export", checkpoint, "--onnx", model)
            scores = os.path.join(out, "scores.h5")
            run("predict", checkpoint, signal, "-o", scores, "--device", "cpu")
            with h5py.File(signal) as f:
                images = f["images"][:].astype(np.float32)
            with h5py.File(scores) as f:
                mine = f["score"][:]
            session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
            # Single-channel images are stored (N, H, W); networks declared [1, H, W] take (N, 1, H, W).
            rank = len(session.get_inputs()[0].shape)
            feed = images[:, None, :, :] if rank == 4 and images.ndim == 3 else images
            theirs = session.run(["score"], {"images": feed})[0]
            difference = np.abs(theirs - mine).max()
            spread = mine.std()
            print(f"{name}: {len(mine)} images, largest |ONNX Runtime - jetimg| = {difference:.2e} "
                  f"(scores spread {spread:.3f})")
            if theirs.shape != mine.shape or not difference <= 2e-5 + 1e-4 * np.abs(mine).max():
                failures.append(f"{name}: ONNX Runtime disagrees (largest difference {difference:.3e})")
            if not spread > 1e-4:
                failures.append(f"{name}: scores do not vary; the comparison would prove nothing")

        # No ONNX operator for locally connected layers: a clear refusal.
        out = os.path.join(work, "lc")
        run("train", "--signal", w, "--background", qcd, "--network",
            os.path.join(SOURCE, "configs/nets/w_locally_connected.json"), "--config", training, "-o", out,
            "--device", "cpu")
        refused = run("export", os.path.join(out, "best.h5"), "--onnx", os.path.join(out, "m.onnx"), check=False)
        print("locally connected:", refused.stderr.strip().splitlines()[-1] if refused.stderr else "(no message)")
        if refused.returncode == 0 or "locally_connected2d" not in refused.stderr:
            failures.append("exporting a locally connected network must fail naming the layer")
        if os.path.exists(os.path.join(out, "m.onnx")):
            failures.append("a refused export left a file behind")

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
