#!/usr/bin/env python3
"""PyTorch reference for ParticleNet (Qu, Gouskos 2020), written from the
paper's definition and built from jetimg's network JSON: input batch norm,
EdgeConv blocks on a k-nearest-neighbour graph (coordinates for the first
block, the previous block's features after), edge MLPs of linear layers
without bias, batch norm and ReLU, the mean over the k edges plus a
shortcut, ReLU, global average pooling over the real particles, a dense head.

    torch_particle_net.py bench NETWORK.json THREADS DEVICE PARTICLES BATCH [BATCH ...]
        prints  torch <train|infer> <batch> <jets/s>

As a module: ParticleNet(config) and load_checkpoint(model, path).
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


def neighbours(points, mask, k):
    """(N, M, k) indices of the k nearest real particles of each particle,
    itself left out, ties by the lower index; too few: the particle itself."""
    n, m, _ = points.shape
    d = ((points.unsqueeze(2) - points.unsqueeze(1)) ** 2).sum(-1)  # (N, M, M): d[i, j]
    real = mask.bool()
    allowed = real.unsqueeze(1) & real.unsqueeze(2)
    allowed &= ~torch.eye(m, dtype=torch.bool, device=points.device).unsqueeze(0)
    d = d.masked_fill(~allowed, float("inf"))
    values, idx = torch.sort(d, dim=-1, stable=True)
    kk = min(k, m)
    values, idx = values[..., :kk], idx[..., :kk]
    if kk < k:  # fewer particles than k: the rest are "not found"
        values = torch.cat([values, values.new_full((n, m, k - kk), float("inf"))], dim=-1)
        idx = torch.cat([idx, idx.new_zeros((n, m, k - kk))], dim=-1)
    self_idx = torch.arange(m, device=points.device).view(1, m, 1).expand(n, m, k)
    return torch.where(torch.isfinite(values), idx, self_idx)


class EdgeConv(nn.Module):
    def __init__(self, k, channels_in, channels):
        super().__init__()
        self.k = k
        layers, c = [], 2 * channels_in
        for out in channels:
            layers += [nn.Linear(c, out, bias=False), nn.BatchNorm1d(out), nn.ReLU()]
            c = out
        self.edge = nn.Sequential(*layers)
        self.shortcut = nn.Sequential(nn.Linear(channels_in, channels[-1], bias=False), nn.BatchNorm1d(channels[-1]))

    def forward(self, points, h, mask):
        n, m, c = h.shape
        idx = neighbours(points, mask, self.k)
        hj = torch.gather(h.unsqueeze(1).expand(n, m, m, c), 2, idx.unsqueeze(-1).expand(n, m, self.k, c))
        hi = h.unsqueeze(2).expand(n, m, self.k, c)
        edges = torch.cat([hi, hj - hi], dim=-1).reshape(n * m * self.k, 2 * c)
        a = self.edge(edges).view(n, m, self.k, -1).mean(dim=2)
        s = self.shortcut(h.reshape(n * m, c)).view(n, m, -1)
        return torch.relu(a + s) * mask.unsqueeze(-1).to(h.dtype)


class ParticleNet(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.k = config.get("k", 16)
        features = config.get("features", 7)
        blocks = config.get("blocks", [[64, 64, 64], [128, 128, 128], [256, 256, 256]])
        self.input_bn = nn.BatchNorm1d(features)
        self.blocks = nn.ModuleList()
        c = features
        for channels in blocks:
            self.blocks.append(EdgeConv(self.k, c, channels))
            c = channels[-1]
        head, self.dropout = [], config.get("dropout", 0.1)
        for units in config.get("fc", [256]):
            head += [nn.Linear(c, units), nn.ReLU()]
            if self.dropout > 0:
                head.append(nn.Dropout(self.dropout))
            c = units
        head.append(nn.Linear(c, config.get("outputs", 1)))
        self.head = nn.Sequential(*head)

    def forward(self, coords, features, mask):
        n, m, f = features.shape
        maskf = mask.to(features.dtype).unsqueeze(-1)
        h = self.input_bn(features.reshape(n * m, f)).view(n, m, f) * maskf
        points = coords
        for i, block in enumerate(self.blocks):
            h = block(points, h, mask)
            points = h
        pooled = (h * maskf).sum(1) / mask.sum(1, keepdim=True).clamp(min=1).to(h.dtype)
        return self.head(pooled)


def load_checkpoint(model, path):
    """The weights and running statistics of a jetimg ParticleNet checkpoint."""
    import h5py

    with h5py.File(path, "r") as f:
        stored = f["models/model"]

        def take(module, name):
            if isinstance(module, nn.Linear):
                module.weight.data = torch.tensor(stored[name + ".weight"][()]).t().contiguous()
                if module.bias is not None:
                    module.bias.data = torch.tensor(stored[name + ".bias"][()])
            else:  # batch norm
                for attr in ("weight", "bias", "running_mean", "running_var"):
                    getattr(module, attr).data = torch.tensor(stored[f"{name}.{attr}"][()])

        take(model.input_bn, "input_bn.0")
        for b, block in enumerate(model.blocks):
            # jetimg's edge list is dense, batch_norm, relu per channel: the same indices.
            for i, module in enumerate(block.edge):
                if not isinstance(module, nn.ReLU):
                    take(module, f"block{b}.edge.{i}")
            take(block.shortcut[0], f"block{b}.shortcut.0")
            take(block.shortcut[1], f"block{b}.shortcut.1")
        # jetimg's head is dense (with its ReLU inside), dropout, ..., dense.
        index = 0
        for module in model.head:
            if isinstance(module, nn.ReLU):
                continue
            if isinstance(module, nn.Linear):
                take(module, f"head.{index}")
            index += 1
    return model


def bench(network, threads, device, particles, batches):
    torch.set_num_threads(threads)
    config = json.load(open(network))
    model = ParticleNet(config).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()

    for batch in batches:
        features = torch.randn(batch, particles, config.get("features", 7), device=device)
        coords = torch.randn(batch, particles, 2, device=device)
        counts = particles // 4 + (torch.arange(batch, device=device) * 37) % (particles - particles // 4 + 1)
        mask = (torch.arange(particles, device=device).unsqueeze(0) < counts.unsqueeze(1)).to(torch.uint8)
        labels = torch.randint(0, 2, (batch, 1), device=device).float()

        def step():
            optimiser.zero_grad(set_to_none=True)
            loss_fn(model(coords, features, mask), labels).backward()
            optimiser.step()

        def infer():
            with torch.no_grad():
                model(coords, features, mask)

        timing.time_train_and_infer(torch, model, step, infer, batch, device)


if __name__ == "__main__":
    timing.main(__doc__, bench)
