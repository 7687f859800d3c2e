"""Output paths: nothing the user had may be lost, nothing half-written left.

(a) an output equal to an input -- the same spelling, ./x, an absolute path,
    sub/../x, a symlink, a hard link -- for every subcommand that reads and
    writes: a clean refusal and the input's bytes unchanged;
(b) output folders that are files, or not writable (skipped as root);
(c) a legal 253-character output file name must work (the temporary name
    must not push it past NAME_MAX);
(d) a fresh train/train-gan/train-lagan into a folder holding a previous run
    is refused without touching it, unless --overwrite or --resume is given;
(e) a full file system (a 256 KiB tmpfs, only as root where mount works);
(f) Ctrl-C (SIGINT to the jetimg process) during simulate, generate,
    preprocess and a Pythia generate: it ends within seconds, the previous
    output keeps its bytes, no temp file and no helper process remain.
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import harness

harness.require_h5py()
import h5py  # noqa: E402

import make_valid  # noqa: E402

DEV = ["--device", "cpu", "--threads", "1"]
KEEP = b"keep me: the user's previous output\n"


def case_dir(scratch, name, files):
    """A fresh folder holding copies of `files` ({name in folder: source})."""
    d = tempfile.mkdtemp(prefix=name.replace(" ", "_")[:40] + "-", dir=scratch)
    for dst, src in files.items():
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(d, dst))
    return d


def same_path(suite, fx, scratch):
    """(a): refuse, name the file, keep its bytes, leave no temp file."""
    W, Q, CK, GAN = "w_images.h5", "qcd_images.h5", "ck.h5", "gan.h5"
    inputs = {"e.h5": fx["w"], "j.h5": fx["w_jets"], W: fx["w_images"], Q: fx["qcd_images"], CK: fx["ckpt"],
              GAN: fx["gan_ckpt"], "s.h5": fx["showers"], "s2.h5": fx["showers_b"], "net.json": fx["small_net_json"],
              "cfg.json": os.path.join(harness.SOURCE_DIR, "configs", "demo.json"),
              "lagan.json": fx["lagan_tiny_json"], "gan.json": fx["calogan_tiny_json"]}
    # Read-and-write subcommands, each tried with every spelling of "the same file".
    spelled = [
        ("cluster", "e.h5", lambda o: ["cluster", "e.h5", "-o", o, "--threads", "1"]),
        ("preprocess", "j.h5", lambda o: ["preprocess", "j.h5", "-o", o, *DEV]),
        ("simulate --model", GAN, lambda o: ["simulate", "--particle", "e+", "--model", GAN, "-n", "4", "-o", o, *DEV]),
        ("predict -o CKPT", CK, lambda o: ["predict", CK, W, "-o", o, *DEV]),
        ("predict -o IMAGES", W, lambda o: ["predict", CK, W, "-o", o, *DEV]),
    ]
    once = [
        ("stats", W, lambda o: ["stats", W, "-o", o, "--device", "cpu"]),
        ("show", W, lambda o: ["show", W, "-o", o, "--device", "cpu"]),
        ("show, the second input", Q, lambda o: ["show", W, Q, "-o", o, "--device", "cpu"]),
        ("export", CK, lambda o: ["export", CK, "--onnx", o]),
        ("compare", "s.h5", lambda o: ["compare", "s.h5", "s2.h5", "-o", o]),
        ("evaluate", W, lambda o: ["evaluate", CK, "--signal", W, "--background", Q, "-o", o, "--bootstrap", "2",
                                   *DEV]),
        ("train", W, lambda o: ["train", "--signal", W, "--background", Q, "--network", "net.json", "-o", o, *DEV]),
        ("train, -o the network", "net.json", lambda o: ["train", "--signal", W, "--background", Q, "--network",
                                                         "net.json", "-o", o, *DEV]),
        ("train-gan", "s.h5", lambda o: ["train-gan", "--data", "s.h5", "--config", "gan.json", "-o", o, *DEV]),
        ("train-lagan", Q, lambda o: ["train-lagan", "--signal", W, "--background", Q, "--config", "lagan.json",
                                      "-o", o, *DEV]),
        ("cluster, -o the config", "cfg.json", lambda o: ["cluster", "e.h5", "-o", o, "--config", "cfg.json"]),
    ]
    cases = [c + (s,) for s in ("{x}", "./{x}", "{d}/{x}", "sub/../{x}", "link_{x}", "hard_{x}") for c in spelled]
    cases += [c + ("{x}",) for c in once]

    def one(c):
        lbl, x, f, spelling = c
        d = case_dir(scratch, "same", inputs)
        os.makedirs(os.path.join(d, "sub"))
        os.symlink(x, os.path.join(d, "link_" + x))
        os.link(os.path.join(d, x), os.path.join(d, "hard_" + x))
        before = harness.snapshot(d)
        r = harness.run_jetimg(f(spelling.format(x=x, d=d)), d)
        p = harness.expect_clean_failure(r, [harness.Word(x) if "{x}" == spelling else
                                             (x, spelling.format(x=x, d=d))])
        suite.check(f"(a) same path as input: {lbl}, -o {spelling.format(x=x, d='$DIR')}",
                    p + harness.assert_unchanged(before, d) + harness.assert_no_temp_files(d), r)
    suite.parallel(one, cases)


def output_dirs(suite, fx, scratch):
    """(b): an output folder that is a file, below a file, or not writable."""
    W, Q = fx["w_images"], fx["qcd_images"]
    commands = {
        "train": lambda o: ["train", "--signal", W, "--background", Q, "--network", fx["small_net_json"], "-o", o, *DEV],
        "train-gan": lambda o: ["train-gan", "--data", fx["showers"], "--config", fx["calogan_tiny_json"], "-o", o,
                                *DEV],
        "train-lagan": lambda o: ["train-lagan", "--signal", W, "--background", Q, "--config", fx["lagan_tiny_json"],
                                  "-o", o, *DEV],
        "evaluate": lambda o: ["evaluate", fx["ckpt"], "--signal", W, "--background", Q, "-o", o, "--bootstrap", "2",
                               *DEV],
        "compare": lambda o: ["compare", fx["showers"], fx["showers_b"], "-o", o],
        "demo": lambda o: ["demo", "--events", "50", "--output-dir", o, *DEV],
    }
    root = os.geteuid() == 0
    cases = [(n, how) for n in commands for how in ("a file", "below a file", "read-only folder")]

    def one(c):
        name, how = c
        d = case_dir(scratch, "outdir", {})
        with open(os.path.join(d, "taken"), "wb") as f:
            f.write(KEEP)
        if how == "read-only folder":
            if root:
                suite.skip(f"(b) {name} into a read-only folder", "running as root, which ignores permissions")
                return
            os.makedirs(os.path.join(d, "ro"))
            os.chmod(os.path.join(d, "ro"), 0o555)
        o = {"a file": "taken", "below a file": "taken/run", "read-only folder": "ro/run"}[how]
        before = harness.snapshot(d)
        r = harness.run_jetimg(commands[name](o), d)
        p = harness.expect_clean_failure(r, [o.split("/")[0]])
        suite.check(f"(b) {name} -o {how}", p + harness.assert_unchanged(before, d, allow_new=False) +
                    harness.assert_no_temp_files(d), r)
    suite.parallel(one, cases)


def long_names(suite, fx, scratch):
    """(c): a 253-character name is legal (NAME_MAX is 255): the run must work."""
    name = "n" * 250 + ".h5"
    for lbl, argv in (("generate", ["generate", "--process", "w", "--events", "20", "-o", name, "--threads", "1"]),
                      ("cluster", ["cluster", fx["w"], "-o", name, "--threads", "1"]),
                      ("preprocess", ["preprocess", fx["w_jets"], "-o", name, *DEV]),
                      ("simulate", ["simulate", "--particle", "e+", "-n", "20", "-o", name, "--threads", "1"])):
        d = case_dir(scratch, "long", {})
        r = harness.run_jetimg(argv, d)
        p = harness.expect_success(r)
        if not os.path.exists(os.path.join(d, name)):
            p.append("the 253-character output was not written")
        suite.check(f"(c) {lbl} -o <253 characters>.h5", p + harness.assert_no_temp_files(d), r)


def previous_runs(suite, fx, scratch):
    """(d): a fresh training into a folder with a previous run."""
    W, Q = fx["w_images"], fx["qcd_images"]
    runs = {
        "train": ("run_small", ["train", "--signal", W, "--background", Q, "--network", fx["small_net_json"],
                                "--config", fx["T_json"], *DEV], "last.h5"),
        "train-gan": ("gan", ["train-gan", "--data", fx["showers"], "--config", fx["calogan_tiny_json"], *DEV],
                      "last.h5"),
        "train-lagan": ("lagan", ["train-lagan", "--signal", W, "--background", Q, "--config", fx["lagan_tiny_json"],
                                  *DEV], "last.h5"),
    }
    for name, (fixture, argv, last) in runs.items():
        d = case_dir(scratch, "prev", {"old": fx[fixture]})
        before = harness.snapshot(os.path.join(d, "old"))
        r = harness.run_jetimg(argv + ["-o", "old"], d)
        suite.check(f"(d) {name} into a folder with a previous run", harness.expect_clean_failure(r, ["old"]) +
                    harness.assert_unchanged(before, os.path.join(d, "old"), allow_new=False) +
                    harness.assert_no_temp_files(d), r)
        r = harness.run_jetimg(argv + ["-o", "old", "--overwrite"], d)
        p = harness.expect_success(r)
        if not p and harness.snapshot(os.path.join(d, "old")).get(last) == before.get(last):
            p.append(f"--overwrite left the old {last}")
        suite.check(f"(d) {name} --overwrite into a folder with a previous run", p, r)
        d = case_dir(scratch, "prev", {"old": fx[fixture]})
        extra = ["--epochs", "2"]
        r = harness.run_jetimg(argv + ["-o", "old", "--resume", os.path.join("old", last)] + extra, d)
        suite.check(f"(d) {name} --resume into its own folder", harness.expect_success(r), r)


def full_disk(suite, fx, scratch):
    """(e): a 256 KiB tmpfs, nearly filled; outputs that do not fit must fail cleanly."""
    mnt = os.path.join(scratch, "tmpfs")
    os.makedirs(mnt)
    if os.geteuid() != 0:
        suite.skip("(e) full file system", "needs root to mount a tmpfs")
        return
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt], capture_output=True, text=True)
    if m.returncode != 0:
        suite.skip("(e) full file system", f"mount -t tmpfs failed: {m.stderr.strip()}")
        return
    try:
        W, Q = fx["w_images"], fx["qcd_images"]
        for lbl, argv, out in (
                ("simulate", ["simulate", "--particle", "e+", "-n", "2000", "-o", f"{mnt}/out.h5", "--threads", "1"],
                 "out.h5"),
                ("preprocess", ["preprocess", fx["w_jets"], "-o", f"{mnt}/out.h5", *DEV], "out.h5"),
                ("train", ["train", "--signal", W, "--background", Q, "--network", fx["small_net_json"], "--config",
                           fx["T_json"], "-o", f"{mnt}/run", *DEV], "run")):
            with open(os.path.join(mnt, "filler"), "wb") as f:  # leave about 16 KiB free
                try:
                    f.write(b"\0" * (240 * 1024))
                except OSError:
                    pass
            r = harness.run_jetimg(argv, scratch)
            p = harness.expect_clean_failure(r, [out, ("disk", "space", "cannot write", "full", "write")])
            suite.check(f"(e) {lbl} into a full file system", p + harness.assert_no_temp_files(mnt), r)
            for n in os.listdir(mnt):
                full = os.path.join(mnt, n)
                shutil.rmtree(full) if os.path.isdir(full) else os.remove(full)
    finally:
        subprocess.run(["umount", mnt], capture_output=True)


def big_jets(fx, path, copies=200):
    """The valid jets file repeated `copies` times (a few seconds of preprocessing)."""
    with h5py.File(fx["w_jets"], "r") as s, h5py.File(path, "w") as d:
        for k, v in s.attrs.items():
            d.attrs[k] = v
        for name, ds in s.items():
            data = ds[()]
            out = d.create_dataset(name, shape=(data.shape[0] * copies,) + data.shape[1:], dtype=data.dtype,
                                   chunks=(256,) + data.shape[1:])
            for i in range(copies):
                out[i * data.shape[0]:(i + 1) * data.shape[0]] = data


def interrupts(suite, fx, scratch):
    """(f): SIGINT to the process; it must stop soon, keep the old output, and leave nothing behind."""
    jets = os.path.join(scratch, "big_jets.h5")
    big_jets(fx, jets)
    commands = [("simulate", ["simulate", "--particle", "e+", "-n", "200000", "-o", "out.h5", "--threads", "1"]),
                ("generate", ["generate", "--process", "qcd", "--events", "2000000", "--batch", "20000", "-o",
                              "out.h5", "--threads", "1"]),
                ("preprocess", ["preprocess", jets, "-o", "out.h5", *DEV])]
    py = os.path.join(harness.SOURCE_DIR, ".venv", "bin", "python")
    if subprocess.run([py, "-c", "import pythia8mc"], capture_output=True).returncode == 0:
        commands.append(("generate --generator pythia", ["generate", "--generator", "pythia", "--process", "w",
                                                         "--events", "200000", "-o", "out.h5", "--threads", "1"]))
    else:
        suite.skip("(f) Pythia generate interrupted", "pythia8mc is not importable from .venv")
    for lbl, argv in commands:
        for delay in ((1.0, 3.0) if "pythia" in lbl else (0.2, 0.5, 1.0)):
            d = case_dir(scratch, "intr", {})
            with open(os.path.join(d, "out.h5"), "wb") as f:
                f.write(KEEP)
            before = harness.snapshot(d)
            logs = set(glob.glob("/tmp/jetimg-pythia-*"))
            run = harness.Running(argv, d)
            time.sleep(delay)
            if run.finished():
                suite.skip(f"(f) {lbl} interrupted after {delay} s", "it finished before the interrupt")
                run.wait(5)
                continue
            run.send(signal.SIGINT)
            r = run.wait(timeout=5, kill_group=False)
            p = []
            if r.timed_out:
                p.append("still running 5 s after SIGINT")
            elif not (r.signal == signal.SIGINT or r.rc in (1, 130)):
                p.append(f"ended with {r.status()} (expected SIGINT, 130 or 1)")
            if not r.timed_out:  # ended by the SIGINT itself is fine; crash text or memory is not
                p += [q for q in harness.crash_problems(r) if q != r.status()]
            if "pythia" in lbl:
                time.sleep(3)
                left = subprocess.run(["pgrep", "-s", str(run.pid), "-f", "pythia_events.py"], capture_output=True,
                                      text=True).stdout.split()
                new = sorted(set(glob.glob("/tmp/jetimg-pythia-*")) - logs)
                if new:  # the helper's log, made for this run
                    p.append(f"left {' '.join(new)} behind")
                    for n in new:  # appeared during this run: tidy up
                        if os.path.isfile(n):
                            os.remove(n)
                if left:
                    p.append(f"Python helper(s) still running 3 s later: pid {' '.join(left)}")
                    for pid in left:  # ours: started by the run above, in its own session
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                        except (ProcessLookupError, ValueError):
                            pass
            try:
                os.killpg(run.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            suite.check(f"(f) {lbl} interrupted after {delay} s", p + harness.assert_unchanged(before, d) +
                        harness.assert_no_temp_files(d), r)


def main():
    suite = harness.Suite("output paths, full disks and interrupts")
    scratch = tempfile.mkdtemp(prefix="jetimg-paths-")
    fx = make_valid.fixtures(suite, scratch)
    fixture_snap = harness.snapshot(os.path.dirname(fx["w"]))
    for part in (same_path, output_dirs, long_names, previous_runs, full_disk, interrupts):
        try:
            part(suite, fx, scratch)
        except Exception as e:  # a bug in a part of the test: report it, run the others
            suite.fail(part.__name__, f"the test itself failed: {type(e).__name__}: {e}")
    suite.check("the valid inputs are unchanged", harness.assert_unchanged(fixture_snap, os.path.dirname(fx["w"])))
    shutil.rmtree(scratch, ignore_errors=True)
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
