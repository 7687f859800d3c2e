"""Crafted HDF5 files: every file kind jetimg reads, one thing wrong at a time.

Each case copies a valid file (made by the real tool, make_valid.py), changes
one thing with h5py or by patching bytes, and feeds it to the subcommands
that read that kind: (a) wrong shapes in every dimension, (b) wrong element
types, (c) row counts that disagree, (d) missing datasets and bad attributes
(including 100000-deep JSON), (e) absurd declared sizes (2**40 rows, nothing
written), (f) NaN/inf/negative values where physics forbids them, (g) chunk
layout damage (layout v3 and v4, the v4 object-header checksum recomputed),
(h) external storage, external links and virtual datasets (foreign files).

'refuse' cases need a clean failure naming the file and the dataset or
attribute; 'either' cases may also be accepted (rc 0), e.g. images of another
but consistent size. Nothing may crash, hang, exceed 1 GiB, leave a temp file,
write its output on failure, or change the input.

usage: test_crafted_hdf5.py [JETIMG]    ($JETIMG_CRAFTED_ONLY=substring runs matching cases only)
"""
import itertools
import os
import shutil
import sys
import tempfile

import harness

harness.require_h5py()
import crafting as C  # noqa: E402
import make_valid  # noqa: E402

CHARGED = os.path.join(harness.SOURCE_DIR, "configs", "preprocess_top_charged.json")
DEV = ["--device", "cpu", "--threads", "1"]


def readers(fx):
    """kind -> [(reader name, argv builder for crafted file x, output path or None)]."""
    W, Q = fx["w_images"], fx["qcd_images"]
    return {
        "events": [("cluster", lambda x: ["cluster", x, "-o", "out.h5", "--threads", "1"], "out.h5")],
        "jets": [("preprocess", lambda x: ["preprocess", x, "-o", "out.h5", *DEV], "out.h5"),
                 ("preprocess-charged", lambda x: ["preprocess", x, "-o", "out.h5", "--config", CHARGED, *DEV],
                  "out.h5")],
        "images": [
            ("show", lambda x: ["show", x, "-o", "out.png", "--device", "cpu"], "out.png"),
            ("stats", lambda x: ["stats", x, "-o", "out.h5", "--device", "cpu"], "out.h5"),
            ("train", lambda x: ["train", "--signal", x, "--background", Q, "--network", fx["small_net_json"],
                                 "--config", fx["T_json"], "-o", "run", *DEV], None),
            ("predict", lambda x: ["predict", fx["ckpt"], x, "-o", "out.h5", *DEV], "out.h5"),
            ("evaluate", lambda x: ["evaluate", fx["ckpt"], "--signal", x, "--background", Q, "-o", "ev",
                                    "--bootstrap", "2", *DEV], "ev/evaluation.json"),
            ("train-lagan", lambda x: ["train-lagan", "--signal", x, "--background", Q, "--config",
                                       fx["lagan_tiny_json"], "-o", "lagan", *DEV], None)],
        "checkpoint": [
            ("predict", lambda x: ["predict", x, W, "-o", "out.h5", *DEV], "out.h5"),
            ("evaluate", lambda x: ["evaluate", x, "--signal", W, "--background", Q, "-o", "ev", "--bootstrap", "2",
                                    *DEV], "ev/evaluation.json"),
            ("export", lambda x: ["export", x, "--onnx", "out.onnx"], "out.onnx"),
            ("train-resume", lambda x: ["train", "--resume", x, "--signal", W, "--background", Q, "--epochs", "2",
                                        "-o", "run", *DEV], None)],
        "calogan": [
            ("simulate-model", lambda x: ["simulate", "--particle", "e+", "--model", x, "-n", "8", "--batch", "8",
                                          "-o", "out.h5", *DEV], "out.h5"),
            ("train-gan-resume", lambda x: ["train-gan", "--data", fx["showers"], "--config", fx["calogan_tiny_json"],
                                            "--resume", x, "--epochs", "2", "-o", "gan", *DEV], None),
            ("bench-shower", lambda x: ["bench-shower", "--model", x, "--batches", "1", "--seconds", "0.01",
                                        *DEV], None)],
        "lagan": [("train-lagan-resume", lambda x: ["train-lagan", "--signal", W, "--background", Q, "--config",
                                                    fx["lagan_tiny_json"], "--resume", x, "--epochs", "2",
                                                    "-o", "lagan", *DEV], None)],
        "showers": [
            ("compare", lambda x: ["compare", x, fx["showers_b"], "-o", "report"], "report/report.json"),
            ("train-gan", lambda x: ["train-gan", "--data", x, "--config", fx["calogan_tiny_json"], "-o", "gan",
                                     *DEV], None),
            ("train-gan-reference", lambda x: ["train-gan", "--data", fx["showers"], "--reference", x, "--config",
                                               fx["calogan_tiny_json"], "-o", "gan", *DEV], None)],
        "showers_cc": [("compare", lambda x: ["compare", fx["showers_cc_b"], x, "-o", "report"], "report/report.json")],
        "toptag_table": [("cluster", lambda x: ["cluster", x, "-o", "out.h5", "--threads", "1"], "out.h5")],
        "toptag": [("cluster", lambda x: ["cluster", x, "-o", "out.h5", "--threads", "1"], "out.h5"),
                   ("cluster-toptag", lambda x: ["cluster", x, "-o", "out.h5", "--format", "toptag", "--threads", "1"],
                    "out.h5")],
    }


# kind: (fixture, main dataset (chunk damage, foreign storage), datasets mutated one by one, reference dataset)
KINDS = {
    "events": ("w", "particles", None, "particles"),
    "jets": ("w_jets", "constituents", None, "constituents"),
    "images": ("w_images", "images", None, "images"),
    "checkpoint": ("ckpt_last", "models/model/1.weight", None, None),
    "calogan": ("gan_ckpt", "models/generator/stream0.0.weight",
                ["models/generator/stream0.0.weight", "models/generator/stream0.5.bias", "models/generator/stream1.2.weight",
                 "models/discriminator/head.0.weight", "optimisers/generator/stream0.0.weight.m"], None),
    "lagan": ("lagan_ckpt", "models/generator/net.0.weight",
              ["models/generator/net.0.weight", "models/generator/embedding", "models/discriminator/real.0.weight",
               "optimisers/generator/net.0.weight.m"], None),
    "showers": ("showers", "layer_0", None, "energy"),
    "showers_cc": ("showers_cc", "showers", None, "incident_energies"),
    "toptag": ("toptag_fixed", "table/block0_values",
               ["table/block0_values", "table/block1_values", "table/block0_items", "table/block1_items"], None),
    "toptag_table": ("toptag_table", "table/table", ["table/table"], None),
}
COUPLED = [{"constituents", "constituent_in_trimmed", "constituent_pdg", "n_constituents"}, {"subjets", "n_subjets"},
           {"table/block0_values", "table/block0_items"}, {"table/block1_values", "table/block1_items"}]
ROTATE = {}  # kind -> a function giving the next two readers in turn
CONSISTENT = {("images", "images"), ("showers_cc", "showers"), ("jets", "subjets")}
TABLE_ROWS = ("toptag_table", "table/table", 0)
# Other words that say clearly what is missing: a dropped calorimeter layer shows as an overflow of the
# wrong width, a dropped pandas block as a missing column.
MISSING_ALSO = {"showers": (harness.Word("overflow"),), "toptag": ("column",)}
OPTIONAL = {("jets", "constituent_pdg"), ("images", "tau21"), ("images", "tau32"), ("showers", "overflow")}


def q(name):
    """How a message may name a dataset: its name or path as a whole word (or its leaf, when that says enough)."""
    leaf = name.rsplit("/", 1)[-1]
    generic = leaf.split(".")[0] in ("weight", "bias", "running_mean", "running_var", "embedding")
    return (harness.Word(name),) + ((harness.Word(leaf),) if leaf != name and not generic else ())


class Case:
    def __init__(self, kind, label, mutate, level="refuse", names=(), only=None, base=None):
        self.kind, self.label, self.mutate, self.level = kind, label, mutate, level
        self.names, self.only, self.base = names, only, base


# Datasets that get every shape and type change; the others (alike in structure) a reduced set.
FULL = {"jets": {"constituents", "n_constituents", "constituent_in_trimmed", "constituent_pdg", "subjets", "n_subjets",
                 "pt"},
        "images": {"images", "pt", "label", "weight"},
        "checkpoint": {"models/model/1.weight", "models/model/1.bias", "optimisers/model/1.weight.m"},
        "calogan": {"models/generator/stream0.0.weight", "models/generator/stream0.5.bias"}}


def generic_cases(kind, fx, all_readers):
    """(a) shapes, (b) types, (c) row counts, (d) missing datasets: one reader each (all for the main dataset)."""
    base_key, main, chosen, ref = KINDS[kind]
    base = fx[base_key]
    datasets = chosen or C.rows_datasets(base)
    shapes = {n: C.read(base, n).shape for n in datasets}
    dtypes = {n: C.read(base, n).dtype for n in datasets}
    everything = tuple(harness.Word(n) for n in C.rows_datasets(base))
    names_all = [r[0] for r in all_readers]
    rot = itertools.cycle(range(997))

    def pick(n):
        if kind in ("checkpoint", "calogan", "lagan") and n.startswith(("optimisers/", "models/discriminator/")):
            return [r for r in names_all if "resume" in r]  # only a resumed training reads these
        if n == main:
            return None  # every reader
        if kind == "jets" and n not in COUPLED[0]:
            return ["preprocess"]
        return [names_all[next(rot) % len(names_all)]]

    for n in datasets:
        shape, full = shapes[n], kind not in FULL or n in FULL[kind]
        coupled = next((c for c in COUPLED if n in c), {n})
        for axis, d in enumerate(shape):
            sizes = [("big", d + 7 if axis == 0 else max(d * 25, 64)), ("small", d - 7 if axis == 0 and d > 7 else
                     max(d // 2, 1) if d > 1 else 2), ("zero", 0)]
            for how, size in sizes if full else sizes[:1]:
                new = shape[:axis] + (size,) + shape[axis + 1:]
                level = "refuse"
                if how != "zero" and (axis > 0 and ((kind, n) in CONSISTENT or kind == "showers" and
                                                    n.startswith("layer_")) or (kind, n, axis) == TABLE_ROWS):
                    level = "either"  # a consistent other image size, geometry, subjet count or table length
                names = everything if axis == 0 else tuple(harness.Word(c) for c in coupled)
                if (kind, n, axis) == TABLE_ROWS and how == "zero":
                    names = ()  # an empty table: "no usable events" says it
                yield Case(kind, f"{n} {shape}->{new} ({how} dim {axis})",
                           lambda p, n=n, new=new: C.reshape(p, n, new), level,
                           names if level == "refuse" else (), pick(n))
        extra = shape + (3,)
        level = "either" if (kind, n) == ("images", "images") else "refuse"  # (N,25,25,3): 25 channels of 25x3
        yield Case(kind, f"{n} extra dimension {extra}", lambda p, n=n, s=extra: C.reshape(p, n, s), level,
                   q(n) if level == "refuse" else (), pick(n))
        if shape and full:
            less = shape[:-1]
            level = "either" if kind.startswith("showers") and n in ("energy", "incident_energies") else "refuse"
            yield Case(kind, f"{n} missing dimension {less}", lambda p, n=n, s=less: C.reshape(p, n, s), level,
                       q(n), pick(n))
        types = ["string", "compound"] + (["f64" if dtypes[n].itemsize == 4 else "f32", "i8"]
                                          if dtypes[n].kind == "f" else ["i64" if dtypes[n].itemsize == 4 else "f64"])
        if dtypes[n].kind in "SOV":
            types = ["f64"]
        for t in types if full else types[:1]:
            level = "refuse" if t in ("string", "compound") or dtypes[n].kind in "SOV" else "either"
            yield Case(kind, f"{n} stored as {t} (was {dtypes[n]})", lambda p, n=n, t=t: C.retype(p, n, t), level,
                       q(n), pick(n))
        level = {"*": "either", "preprocess-charged": "refuse"} if (kind, n) in OPTIONAL else "refuse"
        names = q(n) + MISSING_ALSO.get(kind, ()) + (("PDG",) if n == "constituent_pdg" else ())
        yield Case(kind, f"{n} missing", lambda p, n=n: C.delete(p, n), level, names, pick(n))


def attribute_cases(kind, all_readers):
    """(d) attributes: format, version, the JSON ones (garbage, 100000 levels deep, missing)."""
    for c in _attribute_cases(kind):
        if c.only is None and not any(a in c.label for a in ("network", "model", "config", "format")):
            c.only = ROTATE[kind]()  # parsed once per file by the shared reader: two readers each
        yield c


def _attribute_cases(kind):
    deep = C.nested_json(100000)
    fmt = kind not in ("showers", "showers_cc", "toptag", "toptag_table")  # files from other tools have no format
    if fmt:
        yield Case(kind, "attribute format missing", lambda p: C.set_attr(p, "format", None), names=("format",))
        yield Case(kind, "attribute format 'jetimg-other'", lambda p: C.set_attr(p, "format", "jetimg-other"))
        yield Case(kind, "attribute format an integer", lambda p: C.set_attr(p, "format", 7))
        yield Case(kind, "attribute format a list", lambda p: C.set_attr(p, "format", ["a", "b"]))
    if kind in ("events", "jets", "images", "checkpoint"):
        yield Case(kind, "attribute version 999", lambda p: C.set_attr(p, "version", 999), names=("version",))
        yield Case(kind, "attribute version a string", lambda p: C.set_attr(p, "version", "x"), "either",
                   ("version",))
    trained = ("checkpoint", "calogan", "lagan")
    json_attrs = {"events": ["provenance"], "jets": ["provenance"], "images": ["provenance", "preprocessing"],
                  "showers": ["provenance"], "showers_cc": ["provenance"]}.get(kind, [])
    if kind in trained:
        json_attrs = ["models", "optimisers", "training"]
    resume = {"checkpoint": "train-resume", "calogan": "train-gan-resume", "lagan": "train-lagan-resume"}.get(kind)
    for a in json_attrs:
        # every reader needs the models; a resumed training needs the optimisers and the training state
        level = "refuse" if a == "models" else {"*": "either", resume: "refuse"} if kind in trained else "either"
        for label, value in (("not JSON", "{not json"), ("100000-deep JSON", deep), ("missing", None),
                             ("an integer", 5)):
            yield Case(kind, f"attribute {a} {label}", lambda p, a=a, v=value: C.set_attr(p, a, v), level, (a,))

    def edit_json(attr, role, change):
        def mutate(p):
            import json
            value = json.loads(C.read_attr(p, attr))
            change(value[role] if role else value)
            C.set_attr(p, attr, json.dumps(value))
        return mutate

    if kind == "checkpoint":
        def units(m, n):
            m["layers"][1]["units"] = n
        yield Case(kind, "model with dense units 1e9", edit_json("models", "model", lambda m: units(m, 1000000000)),
                   names=("units",))
        yield Case(kind, "model with input_shape [0, 0]",
                   edit_json("models", "model", lambda m: m.update(input_shape=[0, 0])), names=("input_shape",))
        yield Case(kind, "training epoch a string", edit_json("training", None, lambda t: t.update(epoch="x")),
                   {"*": "either", "train-resume": "refuse"}, ("epoch",))
        yield Case(kind, "training epoch -5", edit_json("training", None, lambda t: t.update(epoch=-5)),
                   {"*": "either", "train-resume": "refuse"}, ("epoch",))
        yield Case(kind, "optimiser steps -1", edit_json("optimisers", "model", lambda o: o.update(steps=-1)),
                   {"*": "either", "train-resume": "refuse"}, ("steps",))
        yield Case(kind, "model group missing", lambda p: C.delete(p, "models/model"),
                   names=("models/model", "1.weight", "'model'"))
    if kind == "calogan":
        for label, key, value in (("latent 1e8", "latent", 100000000),
                                  ("geometry 100000x100000", "geometry", [[100000, 100000]])):
            yield Case(kind, f"generator with {label}",
                       edit_json("models", "generator", lambda m, k=key, v=value: m.update({k: v})), names=(key,))
        yield Case(kind, "generator group missing", lambda p: C.delete(p, "models/generator"),
                   names=("generator",))
        yield Case(kind, "generator optimiser steps a string",
                   edit_json("optimisers", "generator", lambda o: o.update(steps="x")),
                   {"*": "either", "train-gan-resume": "refuse"}, ("steps",))
    if kind == "lagan":
        yield Case(kind, "generator with latent 1e8",
                   edit_json("models", "generator", lambda m: m.update(latent=100000000)), names=("latent",))


def physics_cases(kind):
    nan, inf = float("nan"), float("inf")
    table = {
        "events": [("particles", (5, 0), nan), ("particles", (5, 1), inf), ("particles", (5, 0), -5.0),
                   ("n_particles", 3, -1), ("n_particles", 3, 2**31 - 1)],
        "jets": [("constituents", (3, 0, 0), nan), ("constituents", (3, 1, 1), inf), ("constituents", (3, 0, 0), -5.0),
                 ("n_constituents", 3, -1), ("n_constituents", 3, 201), ("n_subjets", 3, -1), ("n_subjets", 3, 5),
                 ("pt", 3, nan), ("jet", (3, 0), nan), ("weight", 3, nan), ("constituent_pdg", (3, 0), 2**31 - 1),
                 ("label", 3, 7)],
        "images": [("images", (3, 12, 12), nan), ("images", (3, 12, 12), inf), ("images", (3, 12, 12), -1.0),
                   ("label", 3, 7), ("label", 3, -1), ("weight", 3, nan), ("weight", 3, -1.0), ("pt", 3, nan),
                   ("pt", 3, inf), ("trimmed_mass", 3, nan), ("tau21", 3, nan)],
        "showers": [("energy", (3, 0), nan), ("energy", (3, 0), 0.0), ("energy", (3, 0), -5.0),
                    ("layer_0", (3, 1, 40), nan), ("layer_1", (3, 6, 6), -5.0), ("layer_2", (3, 0, 0), inf),
                    ("overflow", (3, 0), nan)],
        "showers_cc": [("incident_energies", (3, 0), nan), ("incident_energies", (3, 0), 0.0),
                       ("showers", (3, 100), nan), ("showers", (3, 100), -5.0)],
        "checkpoint": [("models/model/1.weight", (3, 3), nan)],
        "toptag": [("table/block1_values", (0, 1), 5), ("table/block0_values", (0, 0), inf)],
    }
    must = {("events", "particles"), ("events", "n_particles"), ("jets", "constituents"), ("jets", "n_constituents"),
            ("jets", "n_subjets"), ("images", "images"), ("showers", "energy"), ("showers", "layer_0"),
            ("showers", "layer_1"), ("showers", "layer_2"), ("showers", "overflow"), ("showers_cc", "showers"),
            ("showers_cc", "incident_energies")}
    for n, index, value in table.get(kind, []):
        level = "refuse" if (kind, n) in must and not (n == "images" and value == -1.0) else "either"
        if (kind, n) == ("images", "label"):
            level = "either"  # --signal/--background give the labels; the column may be ignored
        yield Case(kind, f"{n}[{index}] = {value}", lambda p, n=n, i=index, v=value: C.set_values(p, n, i, v), level,
                   (q(n) + ("event", "jet ", "shower", "image", "row")) if level != "either" else ())


def size_cases(kind, fx):
    base = fx[KINDS[kind][0]]
    rows = {"checkpoint": ["models/model/1.weight"], "calogan": ["models/generator/stream0.0.weight"],
            "lagan": ["models/generator/net.0.weight"], "toptag": ["table/block0_values", "table/block1_values"],
            "toptag_table": ["table/table"]}
    names = rows.get(kind) or [n for n in C.rows_datasets(base)]
    yield Case(kind, "every dataset declared with 2**40 rows", lambda p: C.huge_rows(p, names), names=())
    trailing = {"jets": (["constituents", "constituent_in_trimmed", "constituent_pdg"], [1], 2**31),
                "images": (["images"], [1, 2], 2**20), "showers": (["layer_0"], [1, 2], 2**20),
                "showers_cc": (["showers"], [1], 2**40), "events": (["particles"], [1], 2**40),
                "checkpoint": (["models/model/1.weight"], [1], 2**40)}
    if kind in trailing:
        ds, axes, size = trailing[kind]

        def mutate(p, ds=ds, axes=axes, size=size):
            for a in axes:
                C.huge_trailing(p, ds, a, size)
        yield Case(kind, f"{', '.join(ds)} declared with dims {axes} = {size}", mutate,
                   names=tuple(itertools.chain(*(q(d) for d in ds))))


def layout_cases(kind, fx, all_readers):
    """(g) chunk-layout damage (two readers each) and (h) foreign storage (every reader)."""
    main = KINDS[kind][1]
    names_all = [r[0] for r in all_readers]
    rot = itertools.cycle(range(997))
    shape, dtype = C.read(fx[KINDS[kind][0]], main).shape, C.read(fx[KINDS[kind][0]], main).dtype
    dims = (C.ROW_CHUNK,) + shape[1:]
    rank = len(dims) + 1
    patches = [("chunk rows 0", ("dim", 0), 0), ("chunk rows 255", ("dim", 0), 255), ("chunk rows 1000", ("dim", 0), 1000),
               ("chunk dim 1 = 0", ("dim", 1), 0), ("chunk dim 1 = 255", ("dim", 1), 255),
               ("dimensionality + 1", "rank", rank + 1), ("dimensionality - 1", "rank", rank - 1),
               ("element size doubled", "element", dtype.itemsize * 2)]
    for libver, lv in ((("v110", "v110"), "v4"), (("earliest", "v110"), "v3")):
        for label, field, value in patches:
            if field != "rank" and field != "element" and field[1] >= len(dims):
                continue

            def mutate(p, libver=libver, field=field, value=value):
                C.rewrite(p + ".src", p, main, libver)
                C.patch_layout(p, dims, dtype.itemsize, field, value)
            yield Case(kind, f"{main}: layout {lv}, {label}", mutate, "either", (), base="rewrite",
                       only=[names_all[next(rot) % len(names_all)], names_all[next(rot) % len(names_all)]])
    for label, fn in (("external storage", lambda p: C.external_storage(p, main, p + ".raw")),
                      ("external link", lambda p: C.external_link(p, main, p + ".other.h5")),
                      ("virtual dataset", lambda p: C.virtual(p, main, p + ".other.h5"))):
        yield Case(kind, f"{main} as {label} to another file", fn, "refuse", q(main), base="other")


def run_case(suite, fx, all_readers, scratch, counter, case):
    i = next(counter)
    d = os.path.join(scratch, f"case{i:04d}")
    os.makedirs(d)
    x = os.path.join(d, f"c{i:04d}.h5")
    base = fx[KINDS[case.kind][0]]
    title = f"{case.kind}: {case.label}"
    try:
        C.copy(base, x)
        if case.base == "rewrite":
            os.rename(x, x + ".src")
        elif case.base == "other":
            C.copy(base, x + ".other.h5")
        case.mutate(x)
        if case.base == "rewrite":
            os.remove(x + ".src")
    except Exception as e:  # noqa: BLE001 -- a crafting problem is the test's, reported and skipped
        suite.fail(title, f"could not craft the file: {type(e).__name__}: {e}")
        return
    before = harness.snapshot(d)
    ok = True
    chosen = case.only
    if harness.quick() and not chosen:  # quick mode: one reader per file, in turn
        chosen = [all_readers[i % len(all_readers)][0]]
    for name, argv, out in all_readers:
        if chosen and name not in chosen:
            continue
        level = case.level if isinstance(case.level, str) else case.level.get(name, case.level["*"])
        cwd = os.path.join(d, name)  # each reader writes into its own folder
        os.makedirs(cwd)
        r = harness.run_jetimg(argv(x), cwd, timeout=10)
        must = [os.path.basename(x)] + ([case.names] if case.names else [])
        if level == "valid":
            p = harness.expect_success(r)
        elif level == "refuse":
            p = harness.expect_clean_failure(r, must)
        else:
            p = harness.expect_either(r, must)
        if r.rc != 0 and out and os.path.exists(os.path.join(cwd, out)):
            p.append(f"a failed run wrote {out}")
        p += harness.assert_unchanged(before, d)
        p += harness.assert_no_temp_files(d, r)
        ok &= suite.check(f"{title} | {name}", p, r)
    if ok:  # only failing cases are kept, for replay
        shutil.rmtree(d, ignore_errors=True)


def main():
    suite = harness.Suite("crafted HDF5 files")
    scratch = tempfile.mkdtemp(prefix="jetimg-crafted-")
    fx = make_valid.fixtures(suite, scratch)
    fixture_snap = harness.snapshot(os.path.dirname(fx["w"]))
    all_readers = readers(fx)
    only = os.environ.get("JETIMG_CRAFTED_ONLY", "")
    cases = []
    for kind in KINDS:
        if KINDS[kind][0] not in fx:
            suite.skip(kind, "no valid input of this kind (pandas/tables missing?)")
            continue
        cases.append(Case(kind, "valid copy", lambda p: None, "valid"))
        names = [r[0] for r in all_readers[kind]]
        ROTATE[kind] = lambda names=names, rot=itertools.count(): [names[next(rot) % len(names)] for _ in range(2)]
        for gen in (generic_cases(kind, fx, all_readers[kind]), attribute_cases(kind, all_readers[kind]),
                    physics_cases(kind),
                    size_cases(kind, fx), layout_cases(kind, fx, all_readers[kind])):
            cases += [c for c in gen if only in f"{c.kind}: {c.label}"]
    counter = itertools.count()
    print(f"{len(cases)} crafted files", flush=True)
    suite.parallel(lambda c: run_case(suite, fx, all_readers[c.kind], scratch, counter, c), cases)
    suite.check("the valid inputs are unchanged", harness.assert_unchanged(fixture_snap, os.path.dirname(fx["w"])))
    if not suite.failures:
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        print(f"failing crafted files kept in {scratch} (case NNNN: caseNNNN/cNNNN.h5)")
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
