#!/usr/bin/env python3
"""PyTorch reference for jetimg's ParT (models/part.h: the Particle
Transformer of Qu, Li, Qian 2022 as jetimg builds it), built from jetimg's
network JSON: an embedding of layer norm, linear and GELU per width; a pair
embedding of linear and GELU layers to one attention bias per head;
pre-norm particle attention blocks with padded keys masked; class attention
blocks on a learned class token that attends to the particles; a layer norm
and a linear head.

    torch_part.py bench NETWORK.json THREADS DEVICE PARTICLES BATCH [BATCH ...]
        prints  torch <train|infer> <batch> <jets/s>

As a module: ParticleTransformer(config) and load_checkpoint(model, path).
Exit 77 when torch is not installed.
"""
import json
import math
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


class Block(nn.Module):
    def __init__(self, c, heads, ratio, class_block):
        super().__init__()
        self.heads = heads
        self.norm_q = nn.LayerNorm(c)
        self.norm_kv = nn.LayerNorm(c) if class_block else None
        self.q, self.k, self.v, self.proj = (nn.Linear(c, c) for _ in range(4))
        self.norm_ffn = nn.LayerNorm(c)
        self.ffn = nn.Sequential(nn.Linear(c, ratio * c), nn.GELU(), nn.Linear(ratio * c, c))

    def attend(self, q_in, kv_in, bias, mask):
        n, lq, c = q_in.shape
        lk, h = kv_in.shape[1], self.heads
        d = c // h
        q = self.q(q_in).view(n, lq, h, d).transpose(1, 2)
        k = self.k(kv_in).view(n, lk, h, d).transpose(1, 2)
        v = self.v(kv_in).view(n, lk, h, d).transpose(1, 2)
        s = q @ k.transpose(-1, -2) / math.sqrt(d)
        if bias is not None:
            s = s + bias.permute(0, 3, 1, 2)
        s = s.masked_fill(~mask.bool()[:, None, None, :], float("-inf"))
        p = torch.nan_to_num(torch.softmax(s, dim=-1), nan=0.0)  # a query with no real key attends to nothing
        return self.proj((p @ v).transpose(1, 2).reshape(n, lq, c))


class ParticleTransformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        features = config.get("features", 7)
        embed, pair = config.get("embed", [128, 512, 128]), config.get("pair_embed", [64, 64, 64])
        heads, ratio = config.get("heads", 8), config.get("ffn_ratio", 4)
        layers, c = [], features
        for d in embed:
            layers += [nn.LayerNorm(c), nn.Linear(c, d), nn.GELU()]
            c = d
        self.embed = nn.Sequential(*layers)
        layers, p = [], 4
        for d in pair:
            layers += [nn.Linear(p, d), nn.GELU()]
            p = d
        layers.append(nn.Linear(p, heads))
        self.pair_embed = nn.Sequential(*layers)
        self.blocks = nn.ModuleList(Block(c, heads, ratio, False) for _ in range(config.get("blocks", 8)))
        self.class_blocks = nn.ModuleList(Block(c, heads, ratio, True) for _ in range(config.get("class_blocks", 2)))
        self.cls_token = nn.Parameter(torch.randn(c) * 0.02)
        self.head_norm = nn.LayerNorm(c)
        self.head = nn.Linear(c, config.get("outputs", 1))

    def forward(self, features, pairs, mask):
        m = mask.to(features.dtype).unsqueeze(-1)
        x = self.embed(features) * m
        bias = self.pair_embed(pairs)
        for b in self.blocks:
            h = b.norm_q(x)
            x = x + b.attend(h, h, bias, mask)
            x = (x + b.ffn(b.norm_ffn(x))) * m
        u = self.cls_token.expand(features.shape[0], 1, -1)
        for b in self.class_blocks:
            u = u + b.attend(b.norm_q(u), b.norm_kv(x), None, mask)
            u = u + b.ffn(b.norm_ffn(u))
        return self.head(self.head_norm(u[:, 0]))


def load_checkpoint(model, path):
    """The weights of a jetimg ParT checkpoint (dense weights stored (in, out))."""
    import h5py

    with h5py.File(path, "r") as f:
        stored = f["models/model"]

        def take(module, name):
            w = torch.tensor(stored[name + ".weight"][()])
            module.weight.data = w.t().contiguous() if isinstance(module, nn.Linear) else w
            module.bias.data = torch.tensor(stored[name + ".bias"][()])

        def sequence(modules, prefix):  # jetimg's layer indices skip the GELUs (inside its dense layers)
            index = 0
            for module in modules:
                if isinstance(module, nn.GELU):
                    continue
                take(module, f"{prefix}.{index}")
                index += 1

        sequence(model.embed, "embed")
        sequence(model.pair_embed, "pair_embed")
        for kind, blocks in (("block", model.blocks), ("class_block", model.class_blocks)):
            for i, b in enumerate(blocks):
                p = f"{kind}{i}"
                take(b.norm_q, p + ".norm_q.0")
                if b.norm_kv is not None:
                    take(b.norm_kv, p + ".norm_kv.0")
                for name in ("q", "k", "v", "proj"):
                    take(getattr(b, name), f"{p}.{name}.0")
                take(b.norm_ffn, p + ".norm_ffn.0")
                sequence(b.ffn, p + ".ffn")
        model.cls_token.data = torch.tensor(stored["cls_token"][()])
        take(model.head_norm, "head_norm.0")
        take(model.head, "head.0")
    return model


def bench(network, threads, device, particles, batches):
    torch.set_num_threads(threads)
    config = json.load(open(network))
    model = ParticleTransformer(config).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()

    for batch in batches:
        features = torch.randn(batch, particles, config.get("features", 7), device=device)
        pairs = torch.randn(batch, particles, particles, 4, device=device)
        counts = particles // 4 + (torch.arange(batch, device=device) * 37) % (particles - particles // 4 + 1)
        mask = (torch.arange(particles, device=device).unsqueeze(0) < counts.unsqueeze(1)).to(torch.uint8)
        labels = torch.randint(0, 2, (batch, 1), device=device).float()

        def step():
            optimiser.zero_grad(set_to_none=True)
            loss_fn(model(features, pairs, mask), labels).backward()
            optimiser.step()

        def infer():
            with torch.no_grad():
                model(features, pairs, mask)

        timing.time_train_and_infer(torch, model, step, infer, batch, device)


if __name__ == "__main__":
    timing.main(__doc__, bench)
