"""What the PyTorch references of bench_particle share: timing a training
step and inference the way the jetimg side does (one warm-up call, then at
least two calls and two seconds), and their command line.
"""
import sys
import time


def time_train_and_infer(torch, model, step, infer, batch, device):
    """Prints "torch train BATCH JETS/S" and "torch infer BATCH JETS/S"."""
    for name, fn in (("train", step), ("infer", infer)):
        model.train(name == "train")
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        runs, start = 0, time.perf_counter()
        while True:
            fn()
            runs += 1
            if device == "cuda":
                torch.cuda.synchronize()
            elapsed = time.perf_counter() - start
            if elapsed > 2.0 and runs >= 2:
                break
        print(f"torch {name} {batch} {batch * runs / elapsed:.1f}", flush=True)


def main(doc, bench):
    """`bench NETWORK.json THREADS DEVICE PARTICLES BATCH [BATCH ...]` -> bench(...)."""
    if len(sys.argv) < 7 or sys.argv[1] != "bench":
        print(doc)
        sys.exit(2)
    bench(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), [int(b) for b in sys.argv[6:]])
