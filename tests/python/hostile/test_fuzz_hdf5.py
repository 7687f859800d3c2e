"""Seeded bit-flip fuzzing of every HDF5 file kind jetimg reads.

For each kind (events, jets, images, checkpoint, showers in the CaloGAN and
the CaloChallenge layout) a valid file made by the tool is mutated: 1-4 random
bits flipped anywhere, 1-4 bits in the first 4 KB (superblock, root group),
1-4 bits just after an HDF5 metadata signature (B-trees, heaps, object
headers), or the file truncated. Each mutant goes through one subcommand that
reads the whole file, under a timeout and a 4 GiB address-space limit.

Acceptable: rc 0 (the flip hit data the tool cannot tell from valid data) or
rc 1 with one line naming the file. Not acceptable: a signal, a hang, rc 2 or
another code, 'internal error' or C++ exception text, more than 1 GiB peak
RSS, a temp file left behind, an output written by a failed run.

Environment: JETIMG_FUZZ_CASES (mutants per kind, default 150),
JETIMG_FUZZ_SEED (default 1), JETIMG_FUZZ_TIMEOUT (s, default 15),
JETIMG_FUZZ_ONLY=kind or kind:index (replay one mutant; its seed is
'SEED-kind-index'). Failing mutants are kept and their replay line printed.
"""
import collections
import os
import random
import re
import shutil
import sys
import tempfile

import harness

harness.require_h5py()
import make_valid  # noqa: E402

DEV = ["--device", "cpu", "--threads", "1"]
SIGNATURES = [b"TREE", b"HEAP", b"SNOD", b"OHDR", b"OCHK", b"GCOL", b"BTHD", b"BTLF", b"FRHP", b"FHDB", b"FSHD",
              b"SMTB", b"FAHD", b"FADB", b"EAHD", b"EAIB", b"EADB", b"\x89HDF"]


def kinds(fx):
    """kind -> (valid file, argv for mutant x, output the run writes)."""
    return {
        "events": (fx["w"], lambda x: ["cluster", x, "-o", "out.h5", "--threads", "1"], "out.h5"),
        "jets": (fx["w_jets"], lambda x: ["preprocess", x, "-o", "out.h5", *DEV], "out.h5"),
        "images": (fx["w_images"], lambda x: ["predict", fx["ckpt"], x, "-o", "out.h5", *DEV], "out.h5"),
        "checkpoint": (fx["ckpt"], lambda x: ["predict", x, fx["w_images"], "-o", "out.h5", *DEV], "out.h5"),
        "showers": (fx["showers"], lambda x: ["train-gan", "--data", x, "--config", fx["calogan_tiny_json"],
                                              "-o", "gan", *DEV], "gan/last.h5"),
        "showers_cc": (fx["showers_cc"], lambda x: ["compare", fx["showers_cc_b"], x, "-o", "report"],
                       "report/report.json"),
    }


def mutate(data, rng):
    """A mutant of `data` and a description of what was done."""
    buf = bytearray(data)
    style = rng.random()
    if style < 0.1:
        n = rng.randrange(len(buf))
        return bytes(buf[:n]), f"truncated to {n} of {len(buf)} bytes"
    if style < 0.5:
        lo, hi, where = 0, len(buf), "anywhere"
    elif style < 0.8:
        lo, hi, where = 0, min(4096, len(buf)), "in the first 4 KB"
    else:
        hits = [m.start() for s in SIGNATURES for m in re.finditer(re.escape(s), bytes(buf))]
        at = rng.choice(hits) if hits else 0
        lo, hi, where = at, min(at + 256, len(buf)), f"after the signature at {at}"
    flips = []
    for _ in range(rng.randint(1, 4)):
        pos, bit = rng.randrange(lo, hi), rng.randrange(8)
        buf[pos] ^= 1 << bit
        flips.append(f"{pos}:{bit}")
    return bytes(buf), f"bits flipped {where} (offset:bit {' '.join(flips)})"


def judge(r, x, cwd, out, before):
    """(outcome, problems): outcome is 'accepted', 'refused' or 'bad'."""
    if r.rc == 0 and not r.timed_out:
        p = harness.expect_success(r)
    else:
        p = harness.expect_clean_failure(r, [os.path.basename(x)], rcs=(1,), max_lines=1)
        if out and os.path.exists(os.path.join(cwd, out)):
            p.append(f"a failed run wrote {out}")
    p += harness.assert_no_temp_files(cwd, r)
    p += [f"the input {q}" for q in harness.assert_unchanged(before, x)]
    return ("bad" if p else "accepted" if r.rc == 0 else "refused"), p


def signature(r, problems):
    """A short key grouping bad outcomes by cause: the status or problem, and the message without paths and numbers."""
    line = re.sub(r"'[^']*'", "'…'", r.first_line())
    line = re.sub(r"\d+", "N", line)[:120]
    return f"{r.status() if (r.timed_out or r.signal) else problems[0]}: {line}"


def main():
    suite = harness.Suite("bit-flip fuzzing of HDF5 files")
    scratch = tempfile.mkdtemp(prefix="jetimg-fuzz-")
    fx = make_valid.fixtures(suite, scratch)
    cases = int(os.environ.get("JETIMG_FUZZ_CASES", "40" if harness.quick() else "150"))
    seed = os.environ.get("JETIMG_FUZZ_SEED", "1")
    timeout = float(os.environ.get("JETIMG_FUZZ_TIMEOUT", "15"))
    only = os.environ.get("JETIMG_FUZZ_ONLY", "")
    keep = os.path.join(scratch, "failures")
    all_kinds = kinds(fx)
    work = []
    for kind in all_kinds:
        if only and only.split(":")[0] != kind:
            continue
        indices = [int(only.split(":")[1])] if ":" in only else range(cases)
        work += [(kind, i) for i in indices]
    tally = collections.defaultdict(collections.Counter)
    causes = collections.defaultdict(collections.Counter)
    originals = {k: open(v[0], "rb").read() for k, v in all_kinds.items()}

    def one(item):
        kind, i = item
        base, argv, out = all_kinds[kind]
        rng = random.Random(f"{seed}-{kind}-{i}")
        data, how = mutate(originals[kind], rng)
        d = os.path.join(scratch, f"{kind}-{i:04d}")
        os.makedirs(d)
        x = os.path.join(d, f"{kind}_mutant_{i:04d}.h5")
        with open(x, "wb") as f:
            f.write(data)
        cwd = os.path.join(d, "run")
        os.makedirs(cwd)
        before = harness.snapshot(x)
        r = harness.run_jetimg(argv(x), cwd, timeout=timeout)
        outcome, problems = judge(r, x, cwd, out, before)
        with suite.lock:
            tally[kind][outcome] += 1
            if problems:
                causes[kind][signature(r, problems)] += 1
        if problems:
            os.makedirs(keep, exist_ok=True)
            saved = os.path.join(keep, os.path.basename(x))
            shutil.copy(x, saved)
            suite.check(f"{kind} mutant {i} ({how})", problems + [
                f"kept as {saved}; replay: JETIMG_FUZZ_SEED={seed} JETIMG_FUZZ_ONLY={kind}:{i} "
                f"{sys.executable} {os.path.abspath(__file__)} {suite.bin}"], r)
        else:
            suite.check(f"{kind} mutant {i}", [])
        shutil.rmtree(d, ignore_errors=True)

    print(f"{len(work)} mutants (seed {seed}, timeout {timeout:.0f} s)", flush=True)
    suite.parallel(one, work)
    print("\nper kind:  accepted  refused  bad")
    for kind in all_kinds:
        if tally[kind]:
            t = tally[kind]
            print(f"  {kind:<12} {t['accepted']:>6} {t['refused']:>8} {t['bad']:>4}")
            for cause, n in causes[kind].most_common():
                print(f"      {n:>4} x {cause}")
    if not suite.failures:
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        print(f"failing mutants kept in {keep}")
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
