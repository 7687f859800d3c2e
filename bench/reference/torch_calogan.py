#!/usr/bin/env python3
"""PyTorch reference for the shower timing study: the CaloGAN generator as
jetimg builds it (models/calogan.h), from the same model config, timed the
same way: noise, the forward pass in inference mode and a synchronisation,
per batch, after a warm-up batch, for at least MIN_SECONDS. Locally
connected layers are the usual unfold + batched matrix product (PyTorch has
no such layer). Prints one line per batch size:

    torch <batch> <ms/shower>

Usage: torch_calogan.py MODEL_JSON THREADS DEVICE MIN_SECONDS BATCH [BATCH ...]
DEVICE is cpu or cuda. Exit 77 when torch is not installed.
"""
import json
import sys
import time

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as error:
    print(f"skipped: {error}")
    sys.exit(77)


class LocallyConnected2d(nn.Module):
    """Unshared 2-D weights: one small dense layer per output position."""

    def __init__(self, channels, filters, height, width, kernel, stride=(1, 1), bias=True):
        super().__init__()
        self.kernel, self.stride, self.filters = kernel, stride, filters
        self.out_h = (height - kernel[0]) // stride[0] + 1
        self.out_w = (width - kernel[1]) // stride[1] + 1
        fan_in = channels * kernel[0] * kernel[1]
        self.weight = nn.Parameter(torch.randn(self.out_h * self.out_w, fan_in, filters) / fan_in**0.5)
        self.bias = nn.Parameter(torch.zeros(filters, self.out_h, self.out_w)) if bias else None

    def forward(self, x):
        n = x.shape[0]
        patches = F.unfold(x, self.kernel, stride=self.stride).permute(2, 0, 1)  # (L, N, C·KH·KW)
        y = torch.bmm(patches, self.weight).permute(1, 2, 0)  # (N, F, L)
        y = y.reshape(n, self.filters, self.out_h, self.out_w)
        return y + self.bias if self.bias is not None else y


class Stream(nn.Module):
    def __init__(self, c, rows, cols):
        super().__init__()
        self.shape = (c["dense_channels"], rows + 2, cols + 2)
        slope = c["leaky_slope"]
        self.dense = nn.Linear(c["latent"], self.shape[0] * self.shape[1] * self.shape[2])
        self.body = nn.Sequential(
            nn.Conv2d(c["dense_channels"], c["gen_conv_filters"], 2, padding="same"),
            nn.LeakyReLU(slope),
            nn.BatchNorm2d(c["gen_conv_filters"], momentum=c["bn_momentum"], eps=c["bn_epsilon"]),
            LocallyConnected2d(c["gen_conv_filters"], c["gen_lc_filters"], rows + 2, cols + 2, (2, 2)),
            nn.LeakyReLU(slope),
            LocallyConnected2d(c["gen_lc_filters"], 1, rows + 1, cols + 1, (2, 2), bias=False),
        )

    def forward(self, h):
        return self.body(self.dense(h).view(-1, *self.shape))


class Attention(nn.Module):
    def __init__(self, previous, current):
        super().__init__()
        (pr, pc), (r, c) = previous, current
        layers = []
        if r > pr or c > pc:
            layers.append(nn.Upsample(scale_factor=(max(r // pr, 1), max(c // pc, 1)), mode="nearest"))
        if r < pr or c < pc:
            layers.append(nn.AvgPool2d((max(pr // r, 1), max(pc // c, 1))))
        self.resize = nn.Sequential(*layers)
        self.logits = nn.Sequential(nn.ZeroPad2d(1), LocallyConnected2d(2, 2, r + 2, c + 2, (3, 3)))

    def forward(self, own, previous):
        x = torch.cat([own, self.resize(previous)], dim=1)
        return (torch.softmax(self.logits(x), dim=1) * x).sum(dim=1, keepdim=True)


class Generator(nn.Module):
    def __init__(self, c):
        super().__init__()
        grid = [tuple(g) for g in c["geometry"]]
        self.streams = nn.ModuleList(Stream(c, r, k) for r, k in grid)
        self.attention = nn.ModuleList(Attention(grid[i - 1], grid[i]) for i in range(1, len(grid))) \
            if c["attention"] else None

    def forward(self, z, energy):
        h = z * (energy / 100)
        images = []
        for i, stream in enumerate(self.streams):
            image = stream(h)
            if i > 0 and self.attention is not None:
                image = self.attention[i - 1](image, images[-1])
            images.append(image)
        return [torch.relu(image) for image in images]


def main():
    if len(sys.argv) < 6:
        print(__doc__)
        sys.exit(2)
    config = json.loads(sys.argv[1])
    threads, device, min_seconds = int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    torch.set_num_threads(threads)
    if device == "cuda" and not torch.cuda.is_available():
        print("skipped: torch has no CUDA device")
        sys.exit(77)
    torch.manual_seed(1)
    generator = Generator(config).to(device).eval()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for batch in (int(b) for b in sys.argv[5:]):
        energy = torch.empty(batch, 1, device=device).uniform_(1, 100)
        with torch.inference_mode():
            def make():
                z = torch.randn(batch, config["latent"], device=device)
                generator(z, energy)
                sync()
            make()
            runs, start = 0, time.perf_counter()
            while True:
                make()
                runs += 1
                elapsed = time.perf_counter() - start
                if elapsed >= min_seconds:
                    break
        print(f"torch {batch} {1e3 * elapsed / (runs * batch):.6f}", flush=True)


if __name__ == "__main__":
    main()
