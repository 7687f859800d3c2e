#!/usr/bin/env python3
"""PyTorch reference for bench_locally_connected: one CaloGAN training step
as jetimg's CaloGanTask::step takes it (models/gan_training.cpp), with the
generator of torch_calogan.py and the discriminator of models/calogan.h,
built from the same config file: the discriminator's update on a real batch
and on a generated one (binary cross-entropy from logits plus
energy_weight x the mean absolute error of the summed energy), then
generator_steps generator updates through the discriminator, Adam with the
config's rates. Locally connected layers are unfold + torch.bmm (PyTorch has
none). Random showers; timed after a warm-up step for at least 2 s. Prints
one line per batch size:

    torch calogan <batch> <ms/step>

Usage: torch_calogan_train.py CONFIG_JSON THREADS BATCH [BATCH ...]
Exit 77 when torch is not installed.
"""
import json
import os
import sys
import time

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as error:
    print(f"skipped: {error}")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_calogan import Generator, LocallyConnected2d  # noqa: E402


class MinibatchDiscrimination(nn.Module):
    """out[i, f] = sum_j exp(-sum_v |m[i, f, v] - m[j, f, v]|), m = x W + b."""

    def __init__(self, inputs, features, dims):
        super().__init__()
        self.linear = nn.Linear(inputs, features * dims)
        self.features, self.dims = features, dims

    def forward(self, x):
        m = self.linear(x).view(-1, self.features, self.dims)
        distance = (m.unsqueeze(1) - m.unsqueeze(0)).abs().sum(dim=3)  # (N, N, F)
        return torch.exp(-distance).sum(dim=1)


def features_stack(c, rows, cols):
    """conv 2x2 same, then three padded locally connected layers (models/calogan.cpp)."""
    slope, f = c["leaky_slope"], c["disc_lc_filters"]
    layers = [nn.Conv2d(1, c["disc_conv_filters"], 2, padding="same"), nn.LeakyReLU(slope)]
    channels, h, w = c["disc_conv_filters"], rows, cols
    for filters, kernel, stride in ((f[0], 3, 2), (f[1], 2, 1), (f[2], 2, 2)):
        lc = LocallyConnected2d(channels, filters, h + 2, w + 2, (kernel, kernel), (1, stride))
        layers += [nn.ZeroPad2d(1), lc, nn.LeakyReLU(slope),
                   nn.BatchNorm2d(filters, momentum=c["bn_momentum"], eps=c["bn_epsilon"])]
        channels, h, w = filters, lc.out_h, lc.out_w
    layers.append(nn.Flatten())
    return nn.Sequential(*layers), channels * h * w


class Discriminator(nn.Module):
    def __init__(self, c):
        super().__init__()
        grid = [tuple(g) for g in c["geometry"]]
        mbd = lambda n: MinibatchDiscrimination(n, c["mbd_features"], c["mbd_dims"])  # noqa: E731
        self.features, self.mbd, self.sparsity_mbd = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        joined = 0
        for rows, cols in grid:
            stack, flat = features_stack(c, rows, cols)
            self.features.append(stack)
            self.mbd.append(mbd(flat))
            self.sparsity_mbd.append(mbd(1))
            joined += flat + 2 * c["mbd_features"] + 1
        self.energy_mbd = mbd(len(grid))
        joined += len(grid) + 3 + c["mbd_features"]
        self.head = nn.Linear(joined, 1)

    def forward(self, images, energy):
        parts, energies = [], []
        for image, stack, mbd, sparsity_mbd in zip(images, self.features, self.mbd, self.sparsity_mbd):
            f = stack(image)
            sparsity = (image > 0).float().flatten(1).mean(dim=1, keepdim=True)
            parts += [f, mbd(f), sparsity, sparsity_mbd(sparsity)]
            energies.append(image.flatten(1).sum(dim=1, keepdim=True))
        e = torch.cat(energies, dim=1)
        total = e.sum(dim=1, keepdim=True)
        miss = (total - energy).abs()
        parts += [e / 10, total / 100, miss, 10 * (miss > 5).float(), self.energy_mbd(e)]
        return self.head(torch.cat(parts, dim=1)), total


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        config = json.load(f)
    model, t = config["model"], config["training"]
    threads = int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    gen, disc = Generator(model).train(), Discriminator(model).train()
    betas = (t.get("beta1", 0.5), t.get("beta2", 0.999))
    adam_g = torch.optim.Adam(gen.parameters(), lr=t.get("gen_lr", 2e-4), betas=betas, eps=1e-7)
    adam_d = torch.optim.Adam(disc.parameters(), lr=t.get("disc_lr", 2e-5), betas=betas, eps=1e-7)
    weight, generator_steps = t.get("energy_weight", 0.05), t.get("generator_steps", 2)
    lo, hi = t.get("energy_min", 1.0), t.get("energy_max", 100.0)
    for batch in (int(b) for b in sys.argv[3:]):
        real = [torch.rand(batch, 1, rows, cols) for rows, cols in model["geometry"]]
        real_energy = torch.empty(batch, 1).uniform_(1, 100)
        ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

        def loss(images, energy, labels):
            logit, total = disc(images, energy)
            return F.binary_cross_entropy_with_logits(logit, labels) + weight * F.l1_loss(total, energy)

        def noise():
            return torch.randn(batch, model["latent"]), torch.empty(batch, 1).uniform_(lo, hi)

        def step():
            adam_d.zero_grad(set_to_none=True)
            loss(real, real_energy, ones).backward()
            adam_d.step()
            z, energy = noise()
            with torch.no_grad():
                fake = gen(z, energy)
            adam_d.zero_grad(set_to_none=True)
            loss(fake, energy, zeros).backward()
            adam_d.step()
            for _ in range(generator_steps):
                z, energy = noise()
                adam_g.zero_grad(set_to_none=True)
                loss(gen(z, energy), energy, ones).backward()
                adam_g.step()

        step()
        runs, start = 0, time.perf_counter()
        while True:
            step()
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= 2.0 and runs >= 2:
                break
        print(f"torch calogan {batch} {1e3 * elapsed / runs:.3f}", flush=True)


if __name__ == "__main__":
    main()
