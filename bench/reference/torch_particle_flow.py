#!/usr/bin/env python3
"""PyTorch reference for the particle and energy flow networks (Komiske,
Metodiev, Thaler 2019), written from the paper's definition: Phi on every
particle, the sum over a jet's real particles (weighted by the pT fractions
for an EFN), F on the sum. Built from jetimg's network JSON, so the same
architecture runs on both sides.

    torch_particle_flow.py bench NETWORK.json THREADS DEVICE PARTICLES BATCH [BATCH ...]
        times a training step (forward, binary cross-entropy from logits,
        backward, Adam) and inference on random jets padded to PARTICLES,
        and prints one line per figure:  torch <train|infer> <batch> <jets/s>

As a module: ParticleFlow(config) and load_checkpoint(model, path) give a
network with the weights of a jetimg checkpoint (tests/python/
test_particle_flow_reference.py checks jetimg's scores against it).
Exit 77 when torch is not installed.
"""
import json
import os
import sys

try:
    import torch
    from torch import nn
except ImportError as error:
    if __name__ == "__main__":
        print(f"skipped: {error}")
        sys.exit(77)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timing  # noqa: E402  (bench/reference/timing.py)

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def stack(layers, width):
    """Dense layers of a jetimg layer list (dense with an activation, or the
    activation layers alone, or dropout)."""
    modules = []
    for layer in layers:
        kind = layer["type"]
        if kind == "dense":
            modules.append(nn.Linear(width, layer["units"]))
            width = layer["units"]
            if layer.get("activation", "linear") != "linear":
                modules.append(ACTIVATIONS[layer["activation"]]())
        elif kind in ACTIVATIONS:
            modules.append(ACTIVATIONS[kind]())
        elif kind == "dropout":
            modules.append(nn.Dropout(layer.get("rate", 0.5)))
        else:
            raise ValueError(f"layer type {kind} is not in this reference")
    return nn.Sequential(*modules), width


class ParticleFlow(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.energy_flow = config["type"] == "efn"
        self.pooling = config.get("pooling", "sum")
        features = 2 if self.energy_flow else config.get("features", 7)
        self.phi, latent = stack(config["phi"], features)
        self.f, _ = stack(config["f"], latent)

    def forward(self, x, mask, pt_frac=None):
        """x: (N, M, F) features (PFN) or (N, M, 2) coordinates (EFN); mask
        (N, M) with 1 for real particles; pt_frac (N, M) for an EFN."""
        per_particle = self.phi(x)
        weight = mask.to(per_particle.dtype)
        if self.energy_flow:
            weight = weight * pt_frac
        if self.pooling == "max":
            masked = per_particle.masked_fill(weight.unsqueeze(-1) == 0, float("-inf"))
            pooled = masked.max(dim=1).values
            pooled = torch.where(torch.isinf(pooled), torch.zeros_like(pooled), pooled)
        else:
            pooled = (per_particle * weight.unsqueeze(-1)).sum(dim=1)
            if self.pooling == "mean":
                pooled = pooled / mask.sum(dim=1, keepdim=True).clamp(min=1).to(pooled.dtype)
        return self.f(pooled)


def load_checkpoint(model, path):
    """The weights of a jetimg checkpoint (models/model/phi.<i>.weight,
    stored (in, out) as jetimg's dense layers keep them)."""
    import h5py

    with h5py.File(path, "r") as f:
        stored = f["models/model"]
        for part_name, part in (("phi", model.phi), ("f", model.f)):
            index = 0  # jetimg's layer index: activations inside a dense layer are not layers there
            config_layers = json.loads(f.attrs["models"])["model"][part_name]
            modules = iter(part)
            for layer in config_layers:
                module = next(modules)
                if layer["type"] == "dense":
                    module.weight.data = torch.tensor(stored[f"{part_name}.{index}.weight"][()]).t().contiguous()
                    module.bias.data = torch.tensor(stored[f"{part_name}.{index}.bias"][()])
                    if layer.get("activation", "linear") != "linear":
                        next(modules)
                index += 1
    return model


def bench(network, threads, device, particles, batches):
    torch.set_num_threads(threads)
    config = json.load(open(network))
    model = ParticleFlow(config).to(device)
    features = 2 if model.energy_flow else config.get("features", 7)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()

    for batch in batches:
        x = torch.randn(batch, particles, features, device=device)
        counts = torch.randint(particles // 4, particles + 1, (batch, 1), device=device)
        mask = (torch.arange(particles, device=device).unsqueeze(0) < counts).to(torch.uint8)
        pt_frac = torch.rand(batch, particles, device=device) * mask
        labels = torch.randint(0, 2, (batch, 1), device=device).float()

        def step():
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(model(x, mask, pt_frac), labels)
            loss.backward()
            optimiser.step()

        def infer():
            with torch.no_grad():
                model(x, mask, pt_frac)

        timing.time_train_and_infer(torch, model, step, infer, batch, device)


if __name__ == "__main__":
    timing.main(__doc__, bench)
