"""Runs the whole hostile-input suite: every test_*.py here, each as its own process.

usage: run_all.py [JETIMG]      (default: $JETIMG_BIN, else build/jetimg)

The valid inputs are made once (make_valid.py) and shared through
$JETIMG_HOSTILE_FIXTURES. One file crashing cannot take the others down. Prints
a summary table; exits 0 only if every file passed, 77 if all were skipped
(no h5py/numpy), 1 otherwise. Each file can also be run alone the same way.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import harness

FILES = ["test_crafted_hdf5.py", "test_fuzz_hdf5.py", "test_configs.py", "test_paths.py"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    binary = harness.binary_from_argv()
    try:
        import h5py  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        print(f"SKIP: {e} (run with the project's .venv/bin/python)")
        return harness.SKIP
    import make_valid
    scratch = tempfile.mkdtemp(prefix="jetimg-hostile-")
    env = dict(os.environ, JETIMG_BIN=binary)
    rows, t_all = [], time.monotonic()
    try:
        harness.BIN = binary
        t0 = time.monotonic()
        try:
            make_valid.make_valid_inputs(binary, os.path.join(scratch, "valid"))
            env["JETIMG_HOSTILE_FIXTURES"] = os.path.join(scratch, "valid")
            print(f"valid inputs made in {time.monotonic() - t0:.0f} s", flush=True)
        except make_valid.FixtureError as e:
            print(f"FAIL valid inputs: {e}")
            rows.append(("make_valid.py", "FAIL", "", time.monotonic() - t0))
        for name in FILES if not rows else []:
            t0 = time.monotonic()
            p = subprocess.run([sys.executable, os.path.join(here, name), binary], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            sys.stdout.write(p.stdout)
            summary = re.findall(r"^SUMMARY [^:]*: (.*) in \d+ s$", p.stdout, re.M)
            status = {0: "PASS", 77: "SKIP", 1: "FAIL"}.get(p.returncode, f"CRASH (rc {p.returncode})")
            rows.append((name, status, summary[-1] if summary else "", time.monotonic() - t0))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n{'file':<24} {'result':<16} {'seconds':>8}  cases")
    for name, status, summary, seconds in rows:
        print(f"{name:<24} {status:<16} {seconds:>8.0f}  {summary}")
    print(f"{'total':<24} {'':<16} {time.monotonic() - t_all:>8.0f}")
    if all(s == "SKIP" for _, s, _, _ in rows):
        return harness.SKIP
    return 0 if all(s in ("PASS", "SKIP") for _, s, _, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
