"""Bad JSON configs and absurd flags.

Every config kind jetimg reads -- the run config (generate, cluster, demo),
the preprocessing config, the network and training configs of train, the
CaloGAN config (train-gan, bench-shower) and the LAGAN config (train-lagan)
-- and every key in it gets a wrong type, an out-of-range or impossible
value, an absurd size (1e9 dense units, latent 1e8, images of 1e6 pixels ...)
and a value JSON cannot hold (1e999); each kind also gets unknown keys,
200000 levels of nesting (written with a loop), invalid JSON, an empty file,
binary junk and a directory. Expected: exit 1 or 2 with a short message
naming the config file and the key -- never a crash, a hang, unbounded
memory or exception text. A few values are legal but extreme ('either'):
those may run, and must then finish cleanly.

Absurd flags (--batches 2000000000, --events -5, --batch 0, -n 1e15 ...)
must be refused naming the flag, or capped and run ('either').
"""
import copy
import json
import os
import shutil
import sys
import tempfile

import harness

harness.require_h5py()
import make_valid  # noqa: E402

R, E = "refuse", "either"
DEV = ["--device", "cpu", "--threads", "1"]
WRONG = {"f": ['"x"', "1e999"], "i": ["1.5", "1e999"], "b": ["1", '"true"'], "s": ["5"],
         "p": ['"x"', "[1]", "[1, 2, 3]"], "l3": ['"x"', "[1]", "[1, 2, 3, 4]"]}
ABSURD_INT = "100000000"

# (key path, type, [(bad value, level)]) per config kind; value texts are raw JSON.
RUN = [
    ("generator.pt_min", "f", [("-1", R), ("1e300", R)]), ("generator.pt_max", "f", [("-5", R), ("0", R)]),
    ("generator.rapidity_max", "f", [("-1", R), ("1e6", R)]),
    ("generator.gluon_fraction", "f", [("-0.1", R), ("1.5", R)]),
    ("generator.qcd_max_angle", "f", [("-1", R), ("100", E)]),
    ("generator.shower_cutoff", "f", [("0", R), ("-1", R), ("1e-30", R)]),
    ("generator.alpha_s_mz", "f", [("-0.1", R), ("100", E)]),
    ("generator.flavours", "i", [("-1", R), ("7", R), (ABSURD_INT, R)]),
    ("generator.w_mass", "f", [("-1", R), ("0", R), ("1e300", R)]), ("generator.w_width", "f", [("-1", R), ("1e9", E)]),
    ("generator.top_mass", "f", [("-1", R), ("50", R)]), ("generator.top_width", "f", [("-1", R)]),
    ("generator.underlying_event", "b", []), ("generator.ue_density", "f", [("-1", R), ("1e9", R)]),
    ("generator.ue_mean_pt", "f", [("-1", R)]), ("generator.ue_eta_max", "f", [("-1", R), ("1e6", R)]),
    ("generator.towers", "b", []), ("generator.tower_size", "f", [("0", R), ("-1", R), ("1e-9", R)]),
    ("generator.tower_eta_max", "f", [("-1", R), ("1e6", R)]), ("generator.tower_stochastic", "f", [("-1", R)]),
    ("generator.tower_constant", "f", [("-1", R)]),
    ("jets.R", "f", [("0", R), ("-1", R), ("null", R), ("1e6", R)]), ("jets.trim_R", "f", [("-1", R)]),
    ("jets.trim_pt_fraction", "f", [("-0.1", R), ("1.5", R)]), ("jets.pt_min", "f", [("-1", R)]),
    ("jets.pt_max", "f", [("10", R)]), ("jets.eta_max", "f", [("-1", R)]), ("jets.mass_min", "f", [("-1", R)]),
    ("jets.mass_max", "f", [("-1", R)]),
    ("jets.max_constituents", "i", [("0", R), ("-1", R), (ABSURD_INT, R), (str(2**40), R)]),
    ("jets.max_subjets", "i", [("-1", R), (ABSURD_INT, R)]),
    ("top_jets.R", "f", [("-1", R)]), ("top_jets.max_constituents", "i", [(ABSURD_INT, R)]),
    ("events_per_sample", "i", [("0", R), ("-1", R), (str(10**12), R)]),
    ("seed", "i", [("-1", R), (str(2**70), R)]),
]
PREPROCESS = [(k, "s", [('"no_such_value"', R)]) for k in (
    "convention", "constituents", "centre", "rotation", "flip", "rotation_space", "intensity", "normalisation")] + [
    ("zoom", "b", []), ("zoom_R", "f", [("0", R), ("-1", R)]), ("zoom_mass", "f", [("0", R), ("-1", R)]),
    ("zoom_min", "f", [("-1", R)]),
    ("image_size", "p", [("[0, 0]", R), ("[-1, 25]", R), ("[1000000, 1000000]", R), ("[25.5, 25]", R),
                         ("[100000, 1]", R)]),
    ("pixel_size", "p", [("[0, 0.1]", R), ("[-0.1, 0.1]", R), ("[1e-300, 1e-300]", R), ("[1e999, 0.1]", R)]),
    ("threshold", "f", [("-1", E)]),
    ("channels", "p", [("[]", R), ('["x"]', R), ('["intensity", "count", "charged", "neutral", "count"]', R),
                       ('"intensity"', R)]),
    ("canvas_size", "i", [("-1", R), ("1000000", R)]),
]
TRAIN = [
    ("epochs", "i", [("0", R), ("-1", R)]), ("batch_size", "i", [("0", R), ("-1", R), (str(10**12), E)]),
    ("lr", "f", [("0", R), ("-1", R)]), ("clip", "f", [("-1", R)]),
    ("validation_fraction", "f", [("0", R), ("1", R), ("1.5", R)]), ("patience", "i", [("-1", R)]),
    ("seed", "i", [("-1", R)]), ("shuffle_buffer_mb", "i", [("0", R), (ABSURD_INT, R)]),
    ("weights", "s", [('"x"', R)]), ("pt_bins", "i", [("0", R), ("1000000000", R)]),
    ("loss", "s", [('"x"', R), ('"categorical_crossentropy"', R)]),
    ("optimiser", "p", [('{"type": "x"}', R), ('{"type": "sgd", "momentum": -1}', R),
                        ('{"type": "adam", "beta1": 1.5}', R), ('{"type": "adam", "beta2": -1}', R),
                        ('{"type": "adam", "eps": 0}', R), ('{"type": "adamw", "weight_decay": -1}', R),
                        ('{"type": "adam", "bogus": 1}', R), ('{"type": "adam", "beta1": 1e999}', R)]),
    ("schedule", "p", [('{"type": "x"}', R), ('{"type": "exponential", "decay_rate": 0}', R),
                       ('{"type": "exponential", "decay_epochs": 0}', R), ('{"type": "step", "gamma": -1}', R),
                       ('{"type": "step", "step_size": 0}', R)]),
]
CALOGAN = [(f"model.{k}", "i", [("0", R), (ABSURD_INT, R)]) for k in (
    "latent", "dense_channels", "gen_conv_filters", "gen_lc_filters", "disc_conv_filters", "mbd_features",
    "mbd_dims")] + [
    ("model.geometry", "p", [("[]", R), ("[[0, 1]]", R), ("[[3]]", R), ("[[100000, 100000]]", R)]),
    ("model.disc_lc_filters", "l3", [("[2, 2]", R), ("[0, 0, 0]", R), (f"[{ABSURD_INT}, 2, 2]", R)]),
    ("model.attention", "b", []), ("model.leaky_slope", "f", [("-1", E)]),
    ("model.bn_momentum", "f", [("2", R)]), ("model.bn_epsilon", "f", [("0", R)]),
    ("training.epochs", "i", [("0", R)]), ("training.batch_size", "i", [("0", R), (str(10**12), E)]),
    ("training.gen_lr", "f", [("0", R), ("-1", R)]), ("training.disc_lr", "f", [("-1", R)]),
    ("training.beta1", "f", [("1.5", R)]), ("training.beta2", "f", [("-1", R)]), ("training.eps", "f", [("0", R)]),
    ("training.energy_weight", "f", [("-1", R)]), ("training.generator_steps", "i", [("0", R)]),
    ("training.real_label", "f", [("2", R)]), ("training.fake_label", "f", [("-1", R)]),
    ("training.label_flip", "f", [("1.5", R)]), ("training.energy_min", "f", [("-1", R), ("500", R)]),
    ("training.energy_max", "f", [("0", R)]), ("training.seed", "i", [("-1", R)]),
    ("training.checkpoint_every", "i", [("-1", R)]), ("training.steps_per_epoch", "i", [("-1", R)]),
    ("training.shuffle_buffer_mb", "i", [("0", R), (ABSURD_INT, R)]),
]
LAGAN = [(k, "i", [("0", R), (ABSURD_INT, R)]) for k in (
    "latent", "dense_channels", "conv_filters", "lc_filters", "disc_conv_filters", "disc_lc_filters", "mbd_features",
    "mbd_dims")] + [
    ("classes", "i", [("0", R), ("3", R)]), ("leaky_slope", "f", [("-1", E)]),
    ("dropout", "f", [("1", R), ("-0.1", R)]), ("bn_momentum", "f", [("2", R)]), ("bn_epsilon", "f", [("0", R)]),
    ("epochs", "i", [("0", R)]), ("batch_size", "i", [("0", R)]), ("generator_steps", "i", [("0", R)]),
    ("steps_per_epoch", "i", [("-1", R)]), ("lr", "f", [("0", R), ("-1", R)]), ("beta1", "f", [("1.5", R)]),
    ("aux_weight", "f", [("-1", R)]), ("real_label", "f", [("2", R)]), ("seed", "i", [("-1", R)]),
    ("shuffle_buffer_mb", "i", [("0", R), (ABSURD_INT, R)]),
]
# Network layers: (layer config, input shape, the key the message must name)
FLAT, IMAGE = [25, 25], [1, 25, 25]
LAYERS = [
    ({"type": "dense", "units": 0}, FLAT, "units"), ({"type": "dense", "units": -1}, FLAT, "units"),
    ({"type": "dense", "units": 1000000000}, FLAT, "units"), ({"type": "dense", "units": "x"}, FLAT, "units"),
    ({"type": "dense", "units": 1.5}, FLAT, "units"), ({"type": "dense", "units": 4, "activation": "x"}, FLAT,
                                                       "activation"),
    ({"type": "dense", "units": 4, "init": "x"}, FLAT, "init"),
    ({"type": "dense", "units": 4, "activation": "leaky_relu", "slope": "x"}, FLAT, "slope"),
    ({"type": "maxout_dense", "units": 100000, "pieces": 100000}, FLAT, ("units", "pieces")),
    ({"type": "maxout_dense", "units": 4, "pieces": 0}, FLAT, "pieces"),
    ({"type": "dropout", "rate": 1}, FLAT, "rate"), ({"type": "dropout", "rate": -0.1}, FLAT, "rate"),
    ({"type": "reshape", "shape": [-1, -1]}, FLAT, "shape"), ({"type": "reshape", "shape": [0]}, FLAT, "shape"),
    ({"type": "reshape", "shape": [7, 7]}, FLAT, "shape"), ({"type": "batch_norm", "momentum": 2}, FLAT, "momentum"),
    ({"type": "batch_norm", "epsilon": 0}, FLAT, "epsilon"), ({"type": "leaky_relu", "slope": "x"}, FLAT, "slope"),
    ({"type": "conv2d", "filters": 0, "kernel_size": 3}, IMAGE, "filters"),
    ({"type": "conv2d", "filters": 1000000000, "kernel_size": 3}, IMAGE, "filters"),
    ({"type": "conv2d", "filters": 2, "kernel_size": 0}, IMAGE, "kernel_size"),
    ({"type": "conv2d", "filters": 2, "kernel_size": 100}, IMAGE, "kernel_size"),
    ({"type": "conv2d", "filters": 2, "kernel_size": [1, 2, 3]}, IMAGE, "kernel_size"),
    ({"type": "conv2d", "filters": 2, "kernel_size": 3, "strides": 0}, IMAGE, "strides"),
    ({"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "x"}, IMAGE, "padding"),
    ({"type": "conv2d", "filters": 2, "kernel_size": 3, "bias_init": [1, 2, 3]}, IMAGE, "bias_init"),
    ({"type": "locally_connected2d", "filters": 1000000, "kernel_size": 3}, IMAGE, "filters"),
    ({"type": "locally_connected2d", "filters": 2, "kernel_size": 26}, IMAGE, "kernel_size"),
    ({"type": "max_pool2d", "pool_size": 0}, IMAGE, "pool_size"),
    ({"type": "max_pool2d", "pool_size": 100}, IMAGE, "pool_size"),
    ({"type": "avg_pool2d", "pool_size": 2, "strides": 0}, IMAGE, "strides"),
    ({"type": "up_sampling2d", "size": 0}, IMAGE, "size"), ({"type": "up_sampling2d", "size": 100000}, IMAGE, "size"),
    ({"type": "zero_padding2d", "padding": -1}, IMAGE, "padding"),
    ({"type": "zero_padding2d", "padding": 100000}, IMAGE, "padding"),
    ({"type": "minibatch_discrimination", "features": 0}, FLAT, "features"),
    ({"type": "minibatch_discrimination", "features": 1000000, "dims": 1000000}, FLAT, ("features", "dims")),
    ({"type": "softmax", "bogus": 1}, FLAT, "bogus"), ({"units": 3}, FLAT, "type"), ({"type": 5}, FLAT, "type"),
]
NETS = [({"input_shape": s, "layers": [{"type": "flatten"}, {"type": "dense", "units": 1}]}, "input_shape")
        for s in ([0, 25], [-1, 25], [], "x", [1000000, 1000000], [1, 1, 1, 1, 25, 25])] + [
    ({"input_shape": [25, 25], "layers": v}, "layers") for v in ([], "x", [5])]


def set_path(config, path, raw):
    """config as JSON text with `path` (a.b.c) set to the raw JSON text `raw`."""
    c = copy.deepcopy(config)
    node = c
    keys = path.split(".")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = "@@VALUE@@"
    return json.dumps(c).replace('"@@VALUE@@"', raw)


def main():
    suite = harness.Suite("bad configs and absurd flags")
    scratch = tempfile.mkdtemp(prefix="jetimg-configs-")
    fx = make_valid.fixtures(suite, scratch)
    W, Q = fx["w_images"], fx["qcd_images"]
    cmds = {
        "generate": lambda c, p="qcd": ["generate", "--process", p, "--events", "5", "-o", "out.h5", "--config", c,
                                        "--threads", "1"],
        "cluster": lambda c: ["cluster", fx["w"], "-o", "out.h5", "--config", c, "--threads", "1"],
        "demo": lambda c: ["demo", "--config", c, "--output-dir", "demo", "--no-train", *DEV],
        "preprocess": lambda c: ["preprocess", fx["w_jets"], "-o", "out.h5", "--config", c, *DEV],
        "network": lambda c: ["train", "--signal", W, "--background", Q, "--network", c, "--config", fx["T_json"],
                              "-o", "run", *DEV],
        "train": lambda c: ["train", "--signal", W, "--background", Q, "--network", fx["small_net_json"],
                            "--config", c, "-o", "run", *DEV],
        "train-gan": lambda c: ["train-gan", "--data", fx["showers"], "--config", c, "-o", "gan", *DEV],
        "bench-shower": lambda c: ["bench-shower", "--config", c, "--batches", "1", "--seconds", "0.01", *DEV],
        "train-lagan": lambda c: ["train-lagan", "--signal", W, "--background", Q, "--config", c, "-o", "lagan",
                                  *DEV],
    }
    tiny = {k: json.load(open(fx[k + "_json"])) for k in ("T", "calogan_tiny", "lagan_tiny")}
    cases = []  # (label, [command names], config text or None, extra args, level, names)

    def add_keys(kind, table, base, commands, pick=None):
        for path, typ, bad in table:
            values = [(v, R) for v in WRONG[typ]] + bad
            for raw, level in values:
                text = set_path(base, path, raw)
                if path.startswith("generator.tower"):
                    text = text.replace('"generator": {', '"generator": {"towers": true, ', 1)
                if path == "jets.pt_max" and raw == "10":  # below the minimum
                    text = set_path({"jets": {"pt_min": 100}}, path, raw)
                if path == "pt_bins":  # the bins are used with flat-pT weights only
                    text = set_path(dict(base, weights="flat_pt"), path, raw)
                if path == "training.energy_min" and raw == "500":
                    text = text.replace('"training": {', '"training": {"energy_max": 100, ', 1)
                leaf = path.rsplit(".", 1)[-1]
                chosen = pick(path) if pick else commands
                if (raw, level) not in bad:  # a wrong type: one reader is enough
                    chosen = chosen[:1]
                cases.append((f"{kind} config: {path} = {raw}", chosen, text, [], level, (harness.Key(leaf),)))

    def run_pick(path):
        if path.startswith("generator."):
            return ["generate"] if "top" not in path else ["generate-top"]
        return ["demo"] if path == "events_per_sample" else ["cluster"]

    cmds["generate-top"] = lambda c: cmds["generate"](c, "top")
    add_keys("run", RUN, {}, None, run_pick)
    add_keys("preprocess", PREPROCESS, {"convention": "w"}, ["preprocess"])
    add_keys("training", TRAIN, tiny["T"], ["train"])
    add_keys("CaloGAN", CALOGAN, tiny["calogan_tiny"], ["train-gan"],
             lambda p: ["train-gan", "bench-shower"] if p.startswith("model.") else ["train-gan"])
    add_keys("LAGAN", LAGAN, tiny["lagan_tiny"], ["train-lagan"])
    for layer, shape, key in LAYERS:
        layers = [layer, {"type": "flatten"}, {"type": "dense", "units": 1}] if shape == IMAGE else \
            [{"type": "flatten"}, layer, {"type": "dense", "units": 1}]
        text = json.dumps({"input_shape": shape, "layers": layers})
        names = tuple(harness.Key(k) for k in (key if isinstance(key, tuple) else (key,)))
        names += (f"layers[{0 if shape == IMAGE else 1}]'",)  # "'layers[1]': reshape: cannot make ..." names it
        cases.append((f"network: {json.dumps(layer)}", ["network"], text, [], R, names))
    for net, key in NETS:
        cases.append((f"network: {json.dumps(net)[:70]}", ["network"], json.dumps(net), [], R, (harness.Key(key),)))
    # Whole-file damage, for every config kind.
    deep_obj = '{"a": ' * 200000 + "1" + "}" * 200000
    for kind, commands in (("run", ["generate", "cluster", "demo"]), ("preprocess", ["preprocess"]),
                           ("network", ["network"]), ("training", ["train"]), ("CaloGAN", ["train-gan", "bench-shower"]),
                           ("LAGAN", ["train-lagan"])):
        for label, text, names in (("unknown key", '{"bogus_key": 1}', (harness.Key("bogus_key"),)),
                                   ("200000-deep objects", deep_obj, ()), ("200000-deep lists", "[" * 200000 + "]" * 200000, ()),
                                   ("NaN literal", '{"seed": NaN}', ()), ("empty file", "", ()),
                                   ("a list, not an object", "[1, 2]", ()), ("binary junk", bytes(range(256)), ()),
                                   ("a directory", None, ())):
            cases.append((f"{kind} config: {label}", commands, text, [], R, names))
        if kind in ("run", "training", "CaloGAN"):
            nested = {"run": '{"jets": {"bogus_key": 1}}', "training": '{"optimiser": {"type": "adam", "bogus_key": 1}}',
                      "CaloGAN": '{"model": {"bogus_key": 1}}'}[kind]
            cases.append((f"{kind} config: unknown nested key", commands, nested, [], R, (harness.Key("bogus_key"),)))
    # Absurd flags.
    g = ["generate", "--process", "w", "-o", "out.h5", "--threads", "1"]
    s = ["simulate", "--particle", "e+", "-o", "out.h5", "--threads", "1"]
    gan = ["--config", fx["calogan_tiny_json"]]
    for args, level, flag in [
        (["bench-shower", *gan, "--batches", "2000000000", "--seconds", "0.01", *DEV], R, "--batches"),
        (["bench-shower", *gan, "--batches", "0", "--seconds", "0.01", *DEV], R, "--batches"),
        (["bench-shower", *gan, "--batches", "1", "--seconds", "nan", *DEV], R, "--seconds"),
        (["bench-shower", *gan, "--batches", "1", "--seconds", "-1", *DEV], R, "--seconds"),
        (g + ["--events", "-5"], R, "--events"), (g + ["--events", "0"], R, "--events"),
        (g + ["--events", str(10**15)], R, "--events"), (g + ["--events", str(2**64)], R, "--events"),
        (g + ["--events", "5", "--batch", "0"], R, "--batch"), (g + ["--events", "5", "--batch", str(10**12)], E, "--batch"),
        (g + ["--events", "5", "--threads", "100000"], R, "--threads"), (g + ["--events", "5", "--threads", "-1"], R, "--threads"),
        (s + ["-n", str(10**15)], R, ("-n", "--n", "--showers")), (s + ["-n", "5", "--chunk", "0"], R, "--chunk"),
        (s + ["-n", "5", "--chunk", str(10**12)], E, "--chunk"), (s + ["-n", "5", "--energy", "1e300"], R, "--energy"),
        (s + ["-n", "5", "--energy", "nan"], R, "--energy"), (s + ["-n", "5", "--energy", "inf"], R, "--energy"),
        (s + ["-n", "5", "--energy", "1-1e300"], R, "--energy"),
        (s + ["-n", "5", "--model", fx["gan_ckpt"], "--batch", "0", "--device", "cpu"], R, "--batch"),
        (s + ["-n", "5", "--model", fx["gan_ckpt"], "--batch", str(10**12), "--device", "cpu"], E, "--batch"),
        (["cluster", fx["w"], "-o", "out.h5", "--batch", "0"], R, "--batch"),
        (["cluster", fx["w"], "-o", "out.h5", "--batch", str(10**12)], E, "--batch"),
        (["preprocess", fx["w_jets"], "-o", "out.h5", "--batch", str(10**12), *DEV], E, "--batch"),
        (["predict", fx["ckpt"], W, "-o", "out.h5", "--batch", str(10**12), *DEV], E, "--batch"),
        (["stats", W, "-o", "out.h5", "--chunk", str(10**12), "--device", "cpu"], E, "--chunk"),
        (["stats", W, "-o", "out.h5", "--pt-bins", "0", "--device", "cpu"], R, "--pt-bins"),
        (["evaluate", fx["ckpt"], "--signal", W, "--background", Q, "-o", "ev", "--bootstrap", "-1", *DEV], R, "--bootstrap"),
        (["compare", fx["showers"], fx["showers_b"], "-o", "rep", "--bins", "0"], R, "--bins"),
        (["compare", fx["showers"], fx["showers_b"], "-o", "rep", "--threshold", "nan"], R, "--threshold"),
        (["compare", fx["showers"], fx["showers_b"], "-o", "rep", "--chunk", str(10**12)], E, "--chunk"),
        (["demo", "--events", str(10**12), "--output-dir", "demo", "--no-train", *DEV], R, "--events"),
        (["train-gan", "--data", fx["showers"], *gan, "-o", "gan", "--reference", fx["showers_b"],
          "--reference-showers", str(10**12), *DEV], E, "--reference-showers"),
        (["train", "--signal", W, "--background", Q, "--network", fx["small_net_json"], "-o", "run", "--epochs", "0",
          *DEV], R, "--epochs"),
    ]:
        cases.append(("flags: " + " ".join(a if len(a) < 40 else os.path.basename(a) for a in args), [], None, args,
                      level, (flag,) if isinstance(flag, str) else tuple(flag)))

    def one(item):
        i, (label, commands, text, args, level, names) = item
        d = os.path.join(scratch, f"case{i:04d}")
        os.makedirs(d)
        cfg = os.path.join(d, f"k{i:04d}.json")
        if text is None and commands:
            os.makedirs(cfg)  # "a directory" as the config
        elif text is not None:
            with open(cfg, "wb") as f:
                f.write(text if isinstance(text, bytes) else text.encode())
        ok = True
        for cmd in commands or [None]:
            argv = cmds[cmd](cfg) if cmd else args
            r = harness.run_jetimg(argv, d, timeout=15)
            must = ([os.path.basename(cfg)] if cmd else []) + [names]
            p = harness.expect_clean_failure(r, must) if level == R else harness.expect_either(r, must)
            p += harness.assert_no_temp_files(d, r)
            ok &= suite.check(f"{label} | {cmd or 'flag'}", p, r)
        if ok:  # only failing cases are kept
            shutil.rmtree(d, ignore_errors=True)

    print(f"{len(cases)} cases", flush=True)
    suite.parallel(one, list(enumerate(cases)))
    if suite.failures:
        print(f"failing configs kept in {scratch} (case NNNN: caseNNNN/kNNNN.json)")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
