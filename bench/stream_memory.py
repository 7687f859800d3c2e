#!/usr/bin/env python3
"""Training on an images file larger than the memory the process may use.

Makes W and QCD jet images with the jetimg tool (generate, cluster,
preprocess), tiles them into one images file of --images rows (written
uncompressed, so the file on disk is as large as the images it holds), then
trains a small tagger on it for one epoch with the process's address space
capped (RLIMIT_AS) at --cap-mb. Prints the file size, the cap, and the
trainer's peak resident memory as the kernel measured it (getrusage of the
child), next to what reading the file whole would need.

  .venv/bin/python bench/stream_memory.py build-cpu/jetimg [--images 1100000] [--cap-mb 640]

Needs h5py and numpy (.venv). The cap applies to virtual memory, so use a
build without CUDA (the CUDA runtime maps a large address range at start),
and leave room for OpenBLAS, which reserves 128 MiB of address space per
thread (and waits forever, rather than failing, when it cannot).
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def run(cmd, **kw):
    print("$", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("jetimg", help="the jetimg binary (a build without CUDA)")
    ap.add_argument("--images", type=int, default=1_100_000, help="rows of the large file")
    ap.add_argument("--cap-mb", type=int, default=640, help="address-space cap of the training process (MiB)")
    ap.add_argument("--jets", type=int, default=4000, help="events per class made with the generator")
    ap.add_argument("--workdir", default=None, help="scratch folder (default: a temporary one, removed)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    import h5py
    import numpy as np

    jetimg = os.path.abspath(a.jetimg)
    work = a.workdir or tempfile.mkdtemp(prefix="jetimg-stream-")
    os.makedirs(work, exist_ok=True)
    try:
        files = {}
        for proc, seed in (("w", 11), ("qcd", 12)):
            ev, jets, img = (os.path.join(work, f"{proc}{s}.h5") for s in ("", "_jets", "_images"))
            if not os.path.exists(img):
                run([jetimg, "generate", "--process", proc, "--events", a.jets, "--seed", seed, "-o", ev,
                     "--threads", a.threads])
                run([jetimg, "cluster", ev, "-o", jets, "--threads", a.threads])
                run([jetimg, "preprocess", jets, "-o", img, "--config", "w", "--device", "cpu"])
            files[proc] = img

        big = os.path.join(work, "big_images.h5")
        with h5py.File(files["w"], "r") as w, h5py.File(files["qcd"], "r") as q:
            sig, bkg = w["images"][...], q["images"][...]
            columns = [k for k in w.keys() if k != "images"]
            pool = {k: np.concatenate([w[k][...], q[k][...]]) for k in columns}
            pool["label"] = np.concatenate([np.ones(len(sig), np.int32), np.zeros(len(bkg), np.int32)])
            images = np.concatenate([sig, bkg])
            attrs = dict(w.attrs)
        n_pool = len(images)
        if not os.path.exists(big) or h5py.File(big, "r")["images"].shape[0] != a.images:
            t0 = time.time()
            rng = np.random.default_rng(5)
            tmp = big + ".tmp"
            with h5py.File(tmp, "w") as out:
                for k, v in attrs.items():
                    out.attrs[k] = v
                d = out.create_dataset("images", (a.images,) + images.shape[1:], dtype=np.float32,
                                       chunks=(256,) + images.shape[1:])
                cols = {k: out.create_dataset(k, (a.images,), dtype=pool[k].dtype, chunks=(65536,))
                        for k in pool}
                block = 65536
                for b in range(0, a.images, block):
                    n = min(block, a.images - b)
                    pick = rng.integers(0, n_pool, n)
                    d[b:b + n] = images[pick]
                    for k in pool:
                        cols[k][b:b + n] = pool[k][pick]
            os.replace(tmp, big)
            print(f"wrote {a.images} images ({n_pool} distinct jets tiled) in {time.time() - t0:.0f} s", flush=True)

        net = os.path.join(work, "net.json")
        with open(net, "w") as f:
            json.dump({"input_shape": list(images.shape[1:]),
                       "layers": [{"type": "flatten"}, {"type": "dense", "units": 64},
                                  {"type": "relu"}, {"type": "dense", "units": 1}]}, f)
        cfg = os.path.join(work, "train.json")
        with open(cfg, "w") as f:
            json.dump({"epochs": 1, "batch_size": 256, "lr": 0.001, "validation_fraction": 0.1,
                       "shuffle_buffer_mb": 64, "seed": 1}, f)
        run_dir = os.path.join(work, "run")
        shutil.rmtree(run_dir, ignore_errors=True)

        cap = a.cap_mb << 20

        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        env = dict(os.environ, MALLOC_ARENA_MAX="2", OPENBLAS_NUM_THREADS=str(a.threads))
        cmd = [jetimg, "train", "--input", big, "--network", net, "--config", cfg, "--output-dir", run_dir,
               "--device", "cpu", "--threads", a.threads]
        print("$", " ".join(map(str, cmd)), f"   (address space capped at {a.cap_mb} MiB)", flush=True)
        t0 = time.time()
        p = subprocess.Popen([str(c) for c in cmd], preexec_fn=limit, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.time() - t0
        code = os.waitstatus_to_exitcode(status)
        size = os.path.getsize(big)
        data = a.images * int(np.prod(images.shape[1:])) * 4
        print()
        print(f"images file:            {size / 2**20:9.0f} MiB on disk ({a.images} images, "
              f"{data / 2**20:.0f} MiB of pixels)")
        print(f"address-space cap:      {a.cap_mb:9d} MiB  (file / cap = {size / cap:.1f})")
        print(f"peak resident memory:   {usage.ru_maxrss / 1024:9.0f} MiB  (kernel's count for the trainer)")
        print(f"training:               exit {code}, {wall:.0f} s for one epoch "
              f"({a.images / max(wall, 1e-9):.0f} images/s)")
        return 0 if code == 0 else 1
    finally:
        if a.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
