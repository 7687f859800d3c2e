"""Building blocks for crafted HDF5 files: copy a valid file, change one thing.

Used by test_crafted_hdf5.py. Every function edits a file in place with h5py
(or, for chunk-layout damage, by patching bytes) and returns nothing useful;
a function that cannot do its edit raises CraftError, which the test reports
as a problem of the test, not of jetimg.
"""
import json
import os
import struct

import h5py
import numpy as np


class CraftError(Exception):
    pass


def _attrs(obj):
    return {k: obj.attrs[k] for k in obj.attrs}


def replace(path, name, data=None, shape=None, dtype=None, **create):
    """Deletes dataset `name` and writes another in its place (same attributes)."""
    with h5py.File(path, "r+", locking=False) as f:
        old = f[name]
        attrs = _attrs(old)
        del f[name]
        if data is None and shape is None:
            raise CraftError("replace needs data or shape")
        ds = f.create_dataset(name, data=data, shape=shape, dtype=dtype, **create)
        for k, v in attrs.items():
            ds.attrs[k] = v


def read(path, name):
    with h5py.File(path, "r", locking=False) as f:
        return f[name][()]


def read_attr(path, name, obj="/"):
    with h5py.File(path, "r", locking=False) as f:
        v = f[obj].attrs[name]
    return v.decode() if isinstance(v, bytes) else str(v)


def reshape(path, name, shape):
    """`name` with another shape, filled by repeating its own values (dtype kept)."""
    old = read(path, name)
    replace(path, name, data=np.resize(old, shape).astype(old.dtype))


def retype(path, name, kind):
    """`name` stored as another type: 'f64', 'f32', 'i8', 'i64', 'string' or 'compound'."""
    old = np.asarray(read(path, name))
    if kind == "string":
        new = np.full(old.shape, b"abc", dtype="S8")
    elif kind == "compound":
        new = np.zeros(old.shape, dtype=[("a", "<f4"), ("b", "<i4")])
    elif old.dtype.kind in "SOUV":  # strings or a compound: numbers of the same shape
        new = np.zeros(old.shape, dtype={"f64": "<f8", "f32": "<f4", "i8": "i1", "i64": "<i8"}[kind])
    else:
        new = old.astype({"f64": "<f8", "f32": "<f4", "i8": "i1", "i64": "<i8"}[kind])
    replace(path, name, data=new)


def delete(path, name):
    with h5py.File(path, "r+", locking=False) as f:
        del f[name]


def set_values(path, name, index, value):
    """data[index] = value in dataset `name`."""
    data = np.array(read(path, name))
    data[index] = value
    replace(path, name, data=data)


def set_attr(path, name, value, obj="/"):
    with h5py.File(path, "r+", locking=False) as f:
        if value is None:
            if name in f[obj].attrs:
                del f[obj].attrs[name]
        else:
            f[obj].attrs[name] = value


def nested_json(depth):
    """A valid JSON text nested `depth` levels deep (built with a loop, not json.dumps)."""
    return "[" * depth + "]" * depth


def huge_rows(path, names, rows=2**40):
    """Every dataset in `names` declared with `rows` rows (chunked, nothing written: a few KB)."""
    with h5py.File(path, "r+", locking=False) as f:
        for name in names:
            old = f[name]
            trailing, dtype, attrs = old.shape[1:], old.dtype, _attrs(old)
            del f[name]
            ds = f.create_dataset(name, shape=(rows,) + trailing, dtype=dtype,
                                  chunks=(min(64, rows),) + trailing)
            for k, v in attrs.items():
                ds.attrs[k] = v


def huge_trailing(path, names, axis, size):
    """Every dataset in `names` declared with dimension `axis` = size (chunked, nothing written)."""
    with h5py.File(path, "r+", locking=False) as f:
        for name in names:
            old = f[name]
            shape = list(old.shape)
            shape[axis] = size
            chunks = [1] * len(shape)
            dtype, attrs = old.dtype, _attrs(old)
            del f[name]
            ds = f.create_dataset(name, shape=tuple(shape), dtype=dtype, chunks=tuple(chunks))
            for k, v in attrs.items():
                ds.attrs[k] = v


def rows_datasets(path):
    """The datasets of a file (nested paths too)."""
    out = []
    with h5py.File(path, "r", locking=False) as f:
        f.visititems(lambda n, o: out.append(n) if isinstance(o, h5py.Dataset) else None)
    return out


# --- foreign storage --------------------------------------------------------------------

def external_storage(path, name, raw_path):
    """`name` stored in the raw file raw_path (HDF5 external storage) instead of in the file."""
    data = np.ascontiguousarray(read(path, name))
    data.tofile(raw_path)
    replace(path, name, shape=data.shape, dtype=data.dtype, external=[(raw_path, 0, data.nbytes)])


def external_link(path, name, other):
    """`name` becomes a link to the same dataset in another file."""
    with h5py.File(path, "r+", locking=False) as f:
        del f[name]
        f[name] = h5py.ExternalLink(other, "/" + name)


def virtual(path, name, other):
    """`name` becomes a virtual dataset mapping the same dataset of another file."""
    with h5py.File(other, "r", locking=False) as o:
        shape, dtype = o[name].shape, o[name].dtype
    layout = h5py.VirtualLayout(shape=shape, dtype=dtype)
    layout[...] = h5py.VirtualSource(other, "/" + name, shape=shape)
    with h5py.File(path, "r+", locking=False) as f:
        del f[name]
        f.create_virtual_dataset(name, layout)


# --- chunk-layout damage by byte patching --------------------------------------------------
#
# A dataset is rewritten with the recognisable chunk shape (1237, d1, ...)
# (maxshape unlimited in rows so 1237 may exceed the row count), the file
# written with libver v110 (object header v2 with a checksum, layout message
# v4) or with the default libver (object header v1, layout message v3). The
# layout message is then found by its bytes and one field changed.

ROW_CHUNK = 1237


def rewrite(src, dst, target, libver):
    """Copies src to dst with h5py under `libver`, `target` chunked as (1237, ...)."""
    with h5py.File(src, "r", locking=False) as s, h5py.File(dst, "w", libver=libver, locking=False) as d:
        for k, v in s.attrs.items():
            d.attrs[k] = v

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                g = d.require_group(name)
                for k, v in obj.attrs.items():
                    g.attrs[k] = v
                return
            data = obj[()]
            kw = {}
            if name == target:
                if data.ndim == 0:
                    raise CraftError(f"{target} is a scalar")
                kw = dict(chunks=(ROW_CHUNK,) + data.shape[1:], maxshape=(None,) + data.shape[1:])
            elif obj.chunks:
                kw = dict(chunks=obj.chunks, maxshape=obj.maxshape, compression=obj.compression,
                          shuffle=obj.shuffle)
            ds = d.create_dataset(name, data=data, **kw)
            for k, v in obj.attrs.items():
                ds.attrs[k] = v
        s.visititems(copy)


def lookup3(data, initval=0):
    """Bob Jenkins' lookup3 hashlittle(), as HDF5's H5_checksum_lookup3 (byte-wise, little-endian)."""
    M = 0xFFFFFFFF

    def rot(x, k):
        return ((x << k) | (x >> (32 - k))) & M

    length = len(data)
    a = b = c = (0xDEADBEEF + length + initval) & M
    i = 0
    while length > 12:
        a = (a + int.from_bytes(data[i:i + 4], "little")) & M
        b = (b + int.from_bytes(data[i + 4:i + 8], "little")) & M
        c = (c + int.from_bytes(data[i + 8:i + 12], "little")) & M
        a = (a - c) & M; a ^= rot(c, 4); c = (c + b) & M    # noqa: E702  (the mix() macro)
        b = (b - a) & M; b ^= rot(a, 6); a = (a + c) & M    # noqa: E702
        c = (c - b) & M; c ^= rot(b, 8); b = (b + a) & M    # noqa: E702
        a = (a - c) & M; a ^= rot(c, 16); c = (c + b) & M   # noqa: E702
        b = (b - a) & M; b ^= rot(a, 19); a = (a + c) & M   # noqa: E702
        c = (c - b) & M; c ^= rot(b, 4); b = (b + a) & M    # noqa: E702
        length -= 12
        i += 12
    if length == 0:  # HDF5: "case 0: goto done" -- no final mix
        return c
    tail = bytes(data[i:i + length]) + bytes(12 - length)  # the switch adds the last bytes, zero-padded
    a = (a + int.from_bytes(tail[0:4], "little")) & M
    b = (b + int.from_bytes(tail[4:8], "little")) & M
    c = (c + int.from_bytes(tail[8:12], "little")) & M
    c ^= b; c = (c - rot(b, 14)) & M   # noqa: E702  (the final() macro)
    a ^= c; a = (a - rot(c, 11)) & M   # noqa: E702
    b ^= a; b = (b - rot(a, 25)) & M   # noqa: E702
    c ^= b; c = (c - rot(b, 16)) & M   # noqa: E702
    a ^= c; a = (a - rot(c, 4)) & M    # noqa: E702
    b ^= a; b = (b - rot(a, 14)) & M   # noqa: E702
    c ^= b; c = (c - rot(b, 24)) & M   # noqa: E702
    return c


def _ohdr_span(buf, pos):
    """(start, checksum offset) of the version-2 object header chunk #0 holding byte pos.

    Layout: 'OHDR', version 2, flags, [4 timestamps if flags & 0x20], [2 phase-change
    values if flags & 0x10], size of chunk #0 in 1 << (flags & 3) bytes, the
    messages, then the lookup3 checksum of everything from 'OHDR' up to it.
    """
    start = buf.rfind(b"OHDR", 0, pos)
    if start < 0 or buf[start + 4] != 2:
        raise CraftError("no version-2 object header before the layout message")
    flags = buf[start + 5]
    off = start + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
    width = 1 << (flags & 3)
    size = int.from_bytes(buf[off:off + width], "little")
    end = off + width + size
    if not start < pos < end:
        raise CraftError("the layout message is not in object header chunk #0")
    stored = int.from_bytes(buf[end:end + 4], "little")
    if lookup3(buf[start:end]) != stored:
        raise CraftError("lookup3 does not reproduce the stored object-header checksum")
    return start, end


def patch_layout(path, dims, element_size, field, value):
    """Changes one field of the chunked layout message of the dataset chunked as `dims`.

    dims: the chunk shape written ((1237, d1, ...)); field: ('dim', i) for chunk
    dimension i, 'rank' for the dimensionality byte (value: the new byte) or
    'element' for the element-size entry. Handles layout v3 (uint32 dims) and
    v4 (dims in 'encoded length' bytes, object header checksum recomputed).
    """
    buf = bytearray(open(path, "rb").read())
    all_dims = list(dims) + [element_size]
    v3 = struct.pack(f"<{len(all_dims)}I", *all_dims)
    width = max(1, (max(all_dims).bit_length() + 7) // 8)
    v4 = bytes([width]) + b"".join(d.to_bytes(width, "little") for d in all_dims)
    q = buf.find(v3)
    if q >= 11 and buf[q - 11] == 3 and buf[q - 10] == 2 and buf[q - 9] == len(all_dims):
        # v3: version 3, class 2 (chunked), dimensionality, 8-byte B-tree address, dims (uint32)
        if field == "rank":
            buf[q - 9] = value
        else:
            k = len(dims) if field == "element" else field[1]
            buf[q + 4 * k:q + 4 * k + 4] = struct.pack("<I", value)
        open(path, "wb").write(buf)
        return "v3"
    p = buf.find(v4)
    if p >= 4 and buf[p - 4] == 4 and buf[p - 3] == 2 and buf[p - 1] == len(all_dims):
        # v4: version 4, class 2, flags, dimensionality, encoded length, dims, index type ...
        start, end = _ohdr_span(buf, p)
        if field == "rank":
            buf[p - 1] = value
        else:
            k = len(dims) if field == "element" else field[1]
            if value >= 1 << (8 * width):
                raise CraftError(f"{value} does not fit in {width} bytes")
            buf[p + 1 + width * k:p + 1 + width * (k + 1)] = value.to_bytes(width, "little")
        buf[end:end + 4] = lookup3(buf[start:end]).to_bytes(4, "little")
        open(path, "wb").write(buf)
        return "v4"
    raise CraftError(f"layout message with chunk dims {dims} not found")


def json_attr(value):
    return json.dumps(value)


def copy(src, dst):
    with open(src, "rb") as s, open(dst, "wb") as d:
        d.write(s.read())
    os.chmod(dst, 0o644)
