"""Writes a small file in the top-tagging reference dataset's layout.

The public train/val/test.h5 files are pandas DataFrames stored with
DataFrame.to_hdf(key="table") (PyTables; public code reads them both with
pd.read_hdf and with HDFStore.select(columns=...), which only the 'table'
layout allows, so both layouts are made here): 200 constituents as
columns E_i, PX_i, PY_i, PZ_i (zero-padded), then truthE, truthPX, truthPY,
truthPZ, ttv and is_signal_new. This script makes the same kind of file with
the same tools, so the C++ reader is tested against what pandas writes.

usage: make_toptag_fixture.py OUTPUT.h5 [fixed|table]   (pandas' HDF5 layout; default fixed)
Rows written (all GeV):
  0: top  (label 1), 3 constituents
  1: QCD  (label 0), 2 constituents
  2: QCD, a NaN constituent            -> the reader skips it
  3: top, no constituents (all zero)   -> the reader skips it
  4: QCD, 200 constituents (every column filled)
"""
import sys

import numpy as np
import pandas as pd

N_CONSTITUENTS = 200


def constituent(pt, eta, phi):
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return [float(np.sqrt(px * px + py * py + pz * pz)), px, py, pz]


def main(path, layout="fixed"):
    rows = [
        ([constituent(300, 0.1, 0.2), constituent(200, 0.3, 0.5), constituent(100, -0.2, 0.1)], 1),
        ([constituent(400, 1.0, -1.0), constituent(150, 1.1, -1.2)], 0),
        ([constituent(400, 1.0, -1.0), [np.nan, 1.0, 2.0, 3.0]], 0),
        ([], 1),
        ([constituent(1.0 + i, 0.01 * i, -0.01 * i) for i in range(N_CONSTITUENTS)], 0),
    ]
    columns = {}
    for name in ("E", "PX", "PY", "PZ"):
        for i in range(N_CONSTITUENTS):
            columns[f"{name}_{i}"] = np.zeros(len(rows))
    # The public files interleave the columns as E_0, PX_0, PY_0, PZ_0, E_1, ...
    ordered = [f"{n}_{i}" for i in range(N_CONSTITUENTS) for n in ("E", "PX", "PY", "PZ")]
    for r, (parts, _) in enumerate(rows):
        for i, p in enumerate(parts):
            for name, value in zip(("E", "PX", "PY", "PZ"), p):
                columns[f"{name}_{i}"][r] = value
    frame = pd.DataFrame({c: columns[c] for c in ordered})
    for name in ("truthE", "truthPX", "truthPY", "truthPZ"):
        frame[name] = 0.0
    frame["ttv"] = np.zeros(len(rows), dtype=np.int64)
    frame["is_signal_new"] = np.array([label for _, label in rows], dtype=np.int64)
    frame.to_hdf(path, key="table", mode="w", format=layout)


if __name__ == "__main__":
    main(*sys.argv[1:3])
