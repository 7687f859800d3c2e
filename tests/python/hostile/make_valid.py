"""Small VALID inputs of every file kind jetimg reads, made with the real tool.

The crafted and fuzzed files are copies of these with one thing changed, so
they start from exactly what jetimg writes. Made once per run: run_all.py
builds them and passes the folder in $JETIMG_HOSTILE_FIXTURES; a test file
run on its own builds its own in a temporary folder (a few seconds).

usage: make_valid.py JETIMG DEST   (prints the paths as JSON)
"""
import json
import os
import subprocess
import sys

import harness

NET_SMALL = {"input_shape": [25, 25], "layers": [
    {"type": "flatten"}, {"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 1}]}
TRAIN = {"epochs": 1, "batch_size": 50, "patience": 0}
CALOGAN_TINY = {"model": {"latent": 8, "dense_channels": 2, "gen_conv_filters": 2, "gen_lc_filters": 2,
                          "disc_conv_filters": 2, "disc_lc_filters": [2, 2, 2], "mbd_features": 2, "mbd_dims": 2},
                "training": {"epochs": 1, "batch_size": 16, "steps_per_epoch": 2}}
LAGAN_TINY = {"latent": 6, "dense_channels": 2, "conv_filters": 2, "lc_filters": 2, "disc_conv_filters": 2,
              "disc_lc_filters": 2, "mbd_features": 2, "mbd_dims": 2, "epochs": 1, "batch_size": 16,
              "steps_per_epoch": 1}
STAMP = "fixtures.json"


class FixtureError(Exception):
    pass


def _run(binary, dest, args):
    r = harness.run_jetimg(args, dest, timeout=300, binary=binary)
    if r.rc != 0:
        raise FixtureError("making the valid inputs failed:\n" + r.describe(8))


def make_valid_inputs(binary, dest):
    """Builds every valid input under dest; returns {name: absolute path}."""
    os.makedirs(dest, exist_ok=True)
    stamp = os.path.join(dest, STAMP)
    if os.path.exists(stamp):
        with open(stamp) as f:
            return json.load(f)
    p = {}

    def path(name):
        p[name.replace(".h5", "").replace("/", "_").replace(".json", "_json")] = os.path.join(dest, name)
        return os.path.join(dest, name)

    for name, content in (("T.json", TRAIN), ("small_net.json", NET_SMALL), ("calogan_tiny.json", CALOGAN_TINY),
                          ("lagan_tiny.json", LAGAN_TINY)):
        with open(path(name), "w") as f:
            json.dump(content, f)
    run = lambda *a: _run(binary, dest, [str(x) for x in a] + ["--threads", "1"])  # noqa: E731
    for proc, seed in (("w", 3), ("qcd", 4)):
        run("generate", "--process", proc, "--events", 300, "--seed", seed, "-o", path(f"{proc}.h5"))
        run("cluster", p[proc], "-o", path(f"{proc}_jets.h5"))
        run("preprocess", p[f"{proc}_jets"], "-o", path(f"{proc}_images.h5"), "--config", "w", "--device", "cpu")
    net = os.path.join(harness.SOURCE_DIR, "configs", "nets", "w_maxout.json")
    images = ["--signal", p["w_images"], "--background", p["qcd_images"], "--device", "cpu"]
    run("train", *images, "--network", net, "--config", p["T_json"], "-o", path("run"))
    run("train", *images, "--network", p["small_net_json"], "--config", p["T_json"], "-o", path("run_small"))
    p["ckpt"] = os.path.join(p["run_small"], "best.h5")
    p["ckpt_last"] = os.path.join(p["run_small"], "last.h5")
    p["ckpt_maxout"] = os.path.join(p["run"], "best.h5")
    run("predict", p["ckpt"], p["w_images"], "-o", path("scores.h5"), "--device", "cpu")
    run("simulate", "--particle", "e+", "--energy", "10-20", "-n", 200, "-o", path("showers.h5"))
    run("simulate", "--particle", "e+", "--energy", "10-20", "-n", 200, "--seed", 5, "-o", path("showers_b.h5"))
    run("simulate", "--particle", "e+", "--energy", "10-20", "-n", 200, "--layout", "calochallenge",
        "-o", path("showers_cc.h5"))
    run("simulate", "--particle", "e+", "--energy", "10-20", "-n", 200, "--seed", 5, "--layout", "calochallenge",
        "-o", path("showers_cc_b.h5"))
    run("train-gan", "--config", p["calogan_tiny_json"], "--data", p["showers"], "-o", path("gan"), "--device", "cpu")
    p["gan_ckpt"] = os.path.join(p["gan"], "last.h5")
    p["gan_generator"] = os.path.join(p["gan"], "generator_epoch_001.h5")
    run("train-lagan", *images, "--config", p["lagan_tiny_json"], "-o", path("lagan"))
    p["lagan_ckpt"] = os.path.join(p["lagan"], "last.h5")
    # The top-tagging dataset's layout, written by pandas itself (skipped without pandas/tables).
    script = os.path.join(harness.SOURCE_DIR, "tests", "python", "make_toptag_fixture.py")
    for layout in ("fixed", "table"):
        out = os.path.join(dest, f"toptag_{layout}.h5")
        r = subprocess.run([sys.executable, script, out, layout], capture_output=True, text=True)
        if r.returncode == 0:
            p[f"toptag_{layout}"] = out
    with open(stamp + ".part", "w") as f:
        json.dump(p, f, indent=1)
    os.replace(stamp + ".part", stamp)
    return p


def fixtures(suite, scratch):
    """The valid inputs for a test file: $JETIMG_HOSTILE_FIXTURES, or made now under scratch."""
    dest = os.environ.get("JETIMG_HOSTILE_FIXTURES") or os.path.join(scratch, "valid")
    try:
        return make_valid_inputs(suite.bin, dest)
    except FixtureError as e:
        suite.fail("valid inputs", str(e))
        sys.exit(suite.finish())


if __name__ == "__main__":
    harness.require_h5py()
    b = harness.binary_from_argv(sys.argv[:2])
    try:
        print(json.dumps(make_valid_inputs(b, os.path.abspath(sys.argv[2])), indent=1))
    except FixtureError as e:
        print(e)
        sys.exit(1)
    except IndexError:
        print(__doc__)
        sys.exit(2)
