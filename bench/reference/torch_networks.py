#!/usr/bin/env python3
"""PyTorch reference for bench_train: the same network (built from jetimg's
network JSON), the same batch, the same training step (forward, binary
cross-entropy from logits, backward, Adam) and inference, timed on random
images. Prints one line per figure:

    torch <train|infer> <batch> <images/s>

Usage: torch_networks.py NETWORK.json THREADS DEVICE BATCH [BATCH ...]
DEVICE is cpu or cuda. Exit 77 when torch is not installed.
"""
import json
import os
import sys
import time

try:
    import torch
    from torch import nn
except ImportError as error:
    print(f"skipped: {error}")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_calogan import LocallyConnected2d  # noqa: E402  (unfold + torch.bmm)


class Maxout(nn.Module):
    def __init__(self, inputs, units, pieces):
        super().__init__()
        self.linear = nn.Linear(inputs, units * pieces)
        self.units, self.pieces = units, pieces

    def forward(self, x):  # pieces blocks of units columns, as jetimg lays them out
        return self.linear(x).view(-1, self.pieces, self.units).max(dim=1).values


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def build(config):
    shape = list(config["input_shape"])
    layers = []
    activations = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
    for layer in config["layers"]:
        kind = layer["type"]
        if kind == "flatten":
            layers.append(nn.Flatten())
            shape = [int(torch.tensor(shape).prod())]
        elif kind == "dense":
            layers.append(nn.Linear(shape[0], layer["units"]))
            shape = [layer["units"]]
            if layer.get("activation", "linear") != "linear":
                layers.append(activations[layer["activation"]]())
        elif kind == "maxout_dense":
            layers.append(Maxout(shape[0], layer["units"], layer["pieces"]))
            shape = [layer["units"]]
        elif kind == "conv2d":
            kernel, stride = pair(layer["kernel_size"]), pair(layer.get("strides", 1))
            padding = layer.get("padding", "valid")
            layers.append(nn.Conv2d(shape[0], layer["filters"], kernel, stride, padding=padding))
            if padding == "same":
                shape = [layer["filters"], shape[1], shape[2]]
            else:
                shape = [layer["filters"], (shape[1] - kernel[0]) // stride[0] + 1,
                         (shape[2] - kernel[1]) // stride[1] + 1]
            if layer.get("activation", "linear") != "linear":
                layers.append(activations[layer["activation"]]())
        elif kind == "locally_connected2d":
            kernel, stride = pair(layer["kernel_size"]), pair(layer.get("strides", 1))
            lc = LocallyConnected2d(shape[0], layer["filters"], shape[1], shape[2], kernel, stride,
                                    bias=layer.get("use_bias", True))
            layers.append(lc)
            shape = [layer["filters"], lc.out_h, lc.out_w]
            if layer.get("activation", "linear") != "linear":
                layers.append(activations[layer["activation"]]())
        elif kind == "max_pool2d":
            size = pair(layer.get("pool_size", 2))
            layers.append(nn.MaxPool2d(size))
            shape = [shape[0], shape[1] // size[0], shape[2] // size[1]]
        elif kind in activations:
            layers.append(activations[kind]())
        elif kind == "dropout":
            layers.append(nn.Dropout(layer["rate"]))
        else:
            raise SystemExit(f"torch_networks: layer type '{kind}' is not mapped")
    return nn.Sequential(*layers)


def timed(step, sync, budget=1.5):
    step()  # warm-up (allocations, kernel selection)
    sync()
    runs, start = 0, time.perf_counter()
    while True:
        step()
        runs += 1
        sync()
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return runs, elapsed


def main():
    path, threads, device = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    batches = [int(b) for b in sys.argv[4:]]
    torch.set_num_threads(threads)
    with open(path) as f:
        config = json.load(f)
    net = build(config).to(device)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for batch in batches:
        x = torch.rand([batch] + config["input_shape"], device=device)
        y = (torch.rand(batch, 1, device=device) > 0.5).float()

        def train_step():
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(net(x), y)
            loss.backward()
            optimiser.step()

        net.train()
        runs, seconds = timed(train_step, sync)
        print(f"torch train {batch} {runs * batch / seconds:.1f}", flush=True)
        net.eval()
        with torch.no_grad():
            runs, seconds = timed(lambda: net(x), sync)
        print(f"torch infer {batch} {runs * batch / seconds:.1f}", flush=True)


if __name__ == "__main__":
    main()
