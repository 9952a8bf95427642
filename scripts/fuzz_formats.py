"""Seeds and structure-aware mutations of TDMS, UFF and generic MATLAB files, for
``scripts/fuzz_readers.py`` (readers ``tdms``, ``uff``, ``matlab``; reference readers
``nptdms`` and ``pyuff``).

TDMS: a walker finds every field of every segment (lead-in: ToC mask, version, next-segment
and raw-data offsets; metadata: object count, path lengths and paths, raw data index length,
data type, dimension, value count, string byte count; property counts, name lengths, types
and values) and a mutation sets one to a special value, flips ToC bits, changes a data or
property type, rewrites a path or a string with the lengths and offsets fixed, or
duplicates, drops, swaps or cuts segments, or writes NaN/inf into the raw data.

UFF: a walker finds the data sets (blocks between ``    -1`` lines) and the fixed-width
fields of a type-58 header (function type, nodes, directions, ordinate data type, number
of points, spacing, abscissa minimum and increment, data types and unit labels; the 58b
binary fields: byte order, floating-point format, ASCII lines, bytes); a mutation writes a
special token into one, drops, repeats or inserts delimiters, changes a data set's type,
cuts or pads data lines, or flips bytes of a binary data block.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

import numpy as np

# -- seeds ------------------------------------------------------------------------------------

FS = 5000.0


def _sig(n: int, k: int = 0) -> np.ndarray:
    t = np.arange(n) / FS
    return np.sin(2 * np.pi * (30 + 7 * k) * t) * (1 + k) + 0.05 * np.cos(2 * np.pi * 900 * t)


def tdms_seeds(tmp: Path) -> list[bytes]:
    """Valid TDMS files: one group of two waveform channels; three segments of float32,
    int16, a string and a time channel in two groups; a timestamp time axis."""
    from nptdms import ChannelObject, GroupObject, TdmsWriter

    wf = {"wf_increment": 1 / FS, "wf_start_offset": 0.0, "wf_xunit_string": "s"}
    out = []
    p = tmp / "seed.tdms"
    with TdmsWriter(str(p)) as w:
        w.write_segment(
            [
                GroupObject("Vib", properties={"rig": "A"}),
                ChannelObject("Vib", "x", _sig(600), properties={**wf, "unit_string": "g"}),
                ChannelObject("Vib", "y", _sig(600, 1), properties={**wf, "unit_string": "m/s^2"}),
            ]
        )
    out.append(p.read_bytes())
    with TdmsWriter(str(p)) as w:
        for s in range(3):
            objs = [GroupObject("Meta"), GroupObject("Data")] if s == 0 else []
            objs += [
                ChannelObject("Data", "Time", np.arange(s * 200, (s + 1) * 200) / FS),
                ChannelObject("Data", "a", _sig(200, s).astype(np.float32)),
                ChannelObject("Data", "b", (_sig(200, s) * 1000).astype(np.int16)),
            ]
            if s == 0:
                objs.append(ChannelObject("Meta", "note", np.array(["one", "two"])))
            w.write_segment(objs)
    out.append(p.read_bytes())
    stamps = np.datetime64("2024-01-01T00:00:00", "us") + (np.arange(400) * 200).astype(
        "timedelta64[us]"
    )
    with TdmsWriter(str(p)) as w:
        w.write_segment(
            [
                GroupObject("G"),
                ChannelObject("G", "Timestamp", stamps),
                ChannelObject("G", "acc", _sig(400, 2), properties={"unit_string": "V"}),
            ]
        )
    out.append(p.read_bytes())
    return out


def uff_seeds(tmp: Path) -> list[bytes]:
    """Valid UFF files: two ASCII time responses (+Z, -X); one binary (58b) with a
    spectrum beside it; a header data set (151) and an ASCII single-precision record."""
    import pyuff

    def rec(node, direction, data, **kw):
        fields = {
            "binary": 0,
            "id1": f"r{node}",
            "func_type": 1,
            "rsp_node": node,
            "rsp_dir": direction,
            "ref_node": 0,
            "ref_dir": 0,
            "ord_data_type": 4,
            "num_pts": len(data),
            "abscissa_spacing": 1,
            "abscissa_min": 0.0,
            "abscissa_inc": 1 / FS,
            "abscissa_spec_data_type": 17,
            "abscissa_axis_units_lab": "s",
            "ordinate_spec_data_type": 12,
            "ordinate_axis_units_lab": "g",
            "orddenom_spec_data_type": 0,
            "z_axis_spec_data_type": 0,
            "data": data,
        }
        fields.update(kw)
        fields["x"] = np.arange(len(data)) * fields["abscissa_inc"]
        return pyuff.prepare_58(**fields)

    out = []
    p = tmp / "seed.uff"
    for sets, double in (
        ([rec(1, 3, _sig(300)), rec(2, -1, _sig(300, 1))], True),
        ([rec(1, 3, _sig(300), binary=1), rec(3, 2, _sig(300, 2), func_type=4, binary=1)], True),
        ([rec(4, 1, _sig(200), ord_data_type=2, ordinate_axis_units_lab="mm/s")], False),
    ):
        p.unlink(missing_ok=True)
        pyuff.UFF(str(p)).write_sets(sets, mode="add", force_double=double)
        out.append(p.read_bytes())
    header = b"    -1\n   151\nmodel\ndescription\nrotordx\n    -1\n"
    out.append(header + out[0])
    return out


def matlab_seeds(tmp: Path, mat_bytes) -> list[bytes]:
    """Valid generic .mat files: a struct with a channel and its rate (MFPT layout), a
    matrix and a time vector, struct and cell arrays."""
    Y = np.empty((1, 2), dtype=object)
    Y[0, 0], Y[0, 1] = {"Data": _sig(500)[:, None]}, {"Data": _sig(500, 1)[:, None]}
    c = np.empty((2, 1), dtype=object)
    c[0, 0], c[1, 0] = _sig(500, 2), "text"
    return [
        mat_bytes(tmp, {"bearing": {"gs": _sig(800)[:, None], "sr": FS, "rate": 25.0}}),
        mat_bytes(
            tmp, {"acc": np.column_stack([_sig(700), _sig(700, 1)]), "t": np.arange(700) / FS}
        ),
        mat_bytes(tmp, {"K": {"Y": Y}, "c": c, "fs": FS}, compress=True),
    ]


#: Per seed (in the order of the seed lists), the channel lists the fuzzer asks for (None:
#: the reader's default); one list in ten is taken from another seed (mostly absent).
MATLAB_CHANNELS = (
    (None, ("bearing.gs",), ("bearing.sr",), ("bearing.gs.x",)),
    (None, ("acc",), ("acc(:,2)",), ("acc(2,:)",), ("t",)),
    (("K.Y(2).Data", "c{1}"), ("K.Y(1).Data",), ("c{2}",), ("K.Y.Data",), ("K.Y(3).Data",)),
)
TDMS_CHANNELS = (
    (None, ("Vib/x",), ("x", "y"), ("Vib/y", "Vib/x")),
    (None, ("Data/a", "Data/b"), ("Meta/note",), ("Data/Time",), ("b",)),
    (None, ("acc",), ("G/acc",), ("G/Timestamp",)),
)
UFF_CHANNELS = (
    (None, ("1:+Z",), ("2:-X", "1:+Z")),
    (None, ("1:+Z",), ("3:+Y",)),
    (None, ("4:+X",)),
    (None, ("1:+Z",), ("2:-X",)),
)


def channels_for(lists: tuple, seed: int, rng: random.Random) -> list[str] | None:
    """A channel list for an input mutated from seed number ``seed``."""
    pool = lists[seed] if rng.random() < 0.9 else lists[rng.randrange(len(lists))]
    chans = rng.choice(pool)
    return list(chans) if chans else None


# -- TDMS structure ---------------------------------------------------------------------------

_FIXED = {1: 1, 2: 2, 3: 4, 4: 8, 5: 1, 6: 2, 7: 4, 8: 8, 9: 4, 10: 8, 11: 16, 0x19: 4}
_FIXED |= {0x1A: 8, 0x1B: 16, 0x21: 1, 0x44: 16, 0x08000C: 8, 0x10000D: 16}
_TYPES = (0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 0x19, 0x20, 0x21, 0x44, 0x4F, 0x08000C, 0x10000D)
_TYPES += (0xFFFFFFFF, 12345, 0x7FFFFFFF)
_U32 = (0, 1, 2, 3, 4, 7, 8, 16, 20, 28, 255, 65535, 2**31 - 1, 2**31, 2**32 - 2, 2**32 - 1)
_U64 = (0, 1, 2, 8, 2**31, 2**32, 2**40, 2**62, 2**63 - 1, 2**63, 2**64 - 2, 2**64 - 1)
_TOC_BITS = (1 << 1, 1 << 2, 1 << 3, 1 << 5, 1 << 6, 1 << 7)


def tdms_fields(data: bytes) -> tuple[list[tuple[int, int, str, int]], list[tuple[int, int]]]:
    """``(fields, segments)`` of a little-endian TDMS file: each field as ``(offset, size,
    role, segment index)``, each segment as ``(start, end)``."""
    fields: list[tuple[int, int, str, int]] = []
    segments: list[tuple[int, int]] = []
    pos = 0
    try:
        while pos + 28 <= len(data) and data[pos : pos + 4] == b"TDSm":
            k = len(segments)
            toc, _, nxt, raw = struct.unpack_from("<IIQQ", data, pos + 4)
            lead = ((4, 4, "toc"), (8, 4, "version"), (12, 8, "next"), (20, 8, "raw"))
            fields += [(pos + off, size, role, k) for off, size, role in lead]
            end = min(pos + 28 + nxt, len(data))
            segments.append((pos, end))
            if toc & 2:
                _walk_metadata(data, pos + 28, min(pos + 28 + raw, len(data)), fields, k)
            if end <= pos:
                break
            pos = end
    except struct.error:
        pass
    return fields, segments


def _walk_metadata(data: bytes, p: int, end: int, fields: list, k: int) -> None:
    (n_obj,) = struct.unpack_from("<I", data, p)
    fields.append((p, 4, "n_objects", k))
    p += 4
    for _ in range(min(n_obj, 200)):
        if p >= end:
            return
        (n,) = struct.unpack_from("<I", data, p)
        fields += [(p, 4, "path_len", k), (p + 4, n, "path", k)]
        p += 4 + n
        (idx,) = struct.unpack_from("<I", data, p)
        fields.append((p, 4, "raw_index", k))
        p += 4
        if idx not in (0, 0xFFFFFFFF):
            (dtype,) = struct.unpack_from("<I", data, p)
            fields += [(p, 4, "data_type", k), (p + 4, 4, "dimension", k)]
            fields.append((p + 8, 8, "n_values", k))
            if dtype == 0x20:
                fields.append((p + 16, 8, "total_size", k))
            p += idx
        (n_props,) = struct.unpack_from("<I", data, p)
        fields.append((p, 4, "n_props", k))
        p += 4
        for _ in range(min(n_props, 200)):
            (n,) = struct.unpack_from("<I", data, p)
            fields += [(p, 4, "name_len", k), (p + 4, n, "name", k)]
            p += 4 + n
            (ptype,) = struct.unpack_from("<I", data, p)
            fields.append((p, 4, "prop_type", k))
            p += 4
            if ptype == 0x20:
                (n,) = struct.unpack_from("<I", data, p)
                fields += [(p, 4, "string_len", k), (p + 4, n, "string", k)]
                p += 4 + n
            else:
                size = _FIXED.get(ptype, 0)
                fields.append((p, size, "value", k))
                p += size


def _special(rng: random.Random, size: int, old: int, room: int) -> int:
    pool = _U64 if size == 8 else _U32
    pick = rng.random()
    if pick < 0.5:
        return rng.choice(pool)
    if pick < 0.8:
        return max(0, old + rng.choice((-8, -1, 1, 4, 8, old, -old // 2)))
    if pick < 0.9:
        return max(0, room + rng.choice((-1, 0, 1, 8)))
    return rng.randrange(2 ** (8 * size))


def _resize(
    b: bytearray, pos: int, size: int, new: bytes, seg: tuple[int, int], meta: bool
) -> bytes:
    """Replace ``size`` bytes at ``pos`` by ``new``, fixing the segment's offsets."""
    delta = len(new) - size
    start = seg[0]
    nxt, raw = struct.unpack_from("<QQ", b, start + 12)
    struct.pack_into("<Q", b, start + 12, max(nxt + delta, 0))
    if meta:
        struct.pack_into("<Q", b, start + 20, max(raw + delta, 0))
    return bytes(b[:pos] + new + b[pos + size :])


def mutate_tdms(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One structure-aware mutation of a TDMS file."""
    fields, segments = tdms_fields(data)
    if not fields:
        raise ValueError("no TDMS structure")
    b = bytearray(data)
    op = rng.choice(("field", "field", "field", "toc", "type", "text", "segment", "raw"))
    if op == "segment" and segments:
        i = rng.randrange(len(segments))
        s, e = segments[i]
        what = rng.choice(("duplicate", "drop", "swap", "cut", "incomplete"))
        if what == "duplicate":
            return bytes(b[:e] + b[s:e] + b[e:]), f"segment {i} repeated"
        if what == "drop" and len(segments) > 1:
            return bytes(b[:s] + b[e:]), f"segment {i} dropped"
        if what == "swap" and len(segments) > 1:
            j = rng.randrange(len(segments))
            parts = [bytes(b[x:y]) for x, y in segments]
            parts[i], parts[j] = parts[j], parts[i]
            return b"".join(parts) + bytes(b[segments[-1][1] :]), f"segments {i} and {j} swapped"
        if what == "incomplete":
            struct.pack_into("<Q", b, s + 12, 2**64 - 1)
            return bytes(b), f"segment {i}: next offset 0xFFFFFFFFFFFFFFFF (incomplete)"
        cut = rng.randrange(s, e + 1)
        return bytes(b[:cut]), f"cut at {cut} (segment {i}: {s}-{e})"
    if op == "toc":
        pos = rng.choice([p for p, _, r, _ in fields if r == "toc"])
        bit = rng.choice(_TOC_BITS)
        b[pos : pos + 4] = struct.pack("<I", struct.unpack_from("<I", b, pos)[0] ^ bit)
        return bytes(b), f"ToC at {pos}: bit {bit:#x} flipped"
    if op == "type":
        typed = [(p, r) for p, _, r, _ in fields if r in ("data_type", "prop_type")]
        if typed:
            pos, role = rng.choice(typed)
            t = rng.choice(_TYPES)
            struct.pack_into("<I", b, pos, t)
            return bytes(b), f"{role} at {pos} := {t:#x}"
    if op == "text":
        texts = [f for f in fields if f[2] in ("path", "name", "string")]
        if texts:
            pos, size, role, k = rng.choice(texts)
            junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 9)))
            new = rng.choice(
                (b"", b"/", b"/'G'", b"/'Vib'/'x'", b"/'Data'/'a'", b"'", b"/'a''b'/'c'",
                 b"\xff\xfe", bytes(b[pos : pos + size]) * 2, junk)
            )  # fmt: skip
            struct.pack_into("<I", b, pos - 4, len(new))
            return _resize(b, pos, size, new, segments[k], True), f"{role} at {pos} := {new[:20]!r}"
    if op == "raw":
        s, e = rng.choice(segments)
        (raw,) = struct.unpack_from("<Q", b, s + 20)
        lo = s + 28 + raw
        if lo + 8 <= e:
            at = rng.randrange(lo, e - 7)
            value = rng.choice((np.nan, np.inf, -np.inf, 1e300, 5e12))
            struct.pack_into("<d", b, at, value)
            return bytes(b), f"raw data at {at} := {value} (as a double)"
    numeric = [f for f in fields if f[1] in (4, 8) and f[2] not in ("path", "name", "string")]
    pos, size, role, k = rng.choice(numeric)
    old = struct.unpack_from("<Q" if size == 8 else "<I", b, pos)[0]
    new = _special(rng, size, old, segments[k][1] - pos)
    struct.pack_into("<Q" if size == 8 else "<I", b, pos, new)
    return bytes(b), f"{role} at {pos}: {old} -> {new}"


# -- UFF structure ----------------------------------------------------------------------------

#: The fixed-width fields of a type-58 header: (line within the block, column, width, name).
UFF58_FIELDS = (
    (1, 0, 6, "set type"),
    (1, 6, 1, "binary flag"),
    (1, 7, 6, "byte ordering"),
    (1, 13, 6, "fp format"),
    (1, 19, 12, "ascii lines"),
    (1, 31, 12, "bytes"),
    (7, 0, 5, "func_type"),
    (7, 25, 11, "rsp_ent_name"),
    (7, 36, 10, "rsp_node"),
    (7, 46, 4, "rsp_dir"),
    (7, 71, 4, "ref_dir"),
    (8, 0, 10, "ord_data_type"),
    (8, 10, 10, "num_pts"),
    (8, 20, 10, "abscissa_spacing"),
    (8, 30, 13, "abscissa_min"),
    (8, 43, 13, "abscissa_inc"),
    (9, 0, 10, "abscissa_spec_data_type"),
    (10, 0, 10, "ordinate_spec_data_type"),
    (10, 48, 20, "ordinate units"),
)
_TOKENS = (
    "0", "-1", "1", "2", "4", "5", "6", "58", "99999999", "2147483648", "-2147483649",
    "1e300", "-1e300", "0.0", "-0.0", "nan", "inf", "*", "", " ", "1.0e-300", "58b", "abc",
    "1e-320", "0x10", "3.33333e-04", "1.95312e-04", "NONE", "\xff",
)  # fmt: skip


def uff_blocks(data: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` byte offsets of the ``    -1`` delimiter lines, in order."""
    out = []
    pos = 0
    for line in data.splitlines(keepends=True):
        if line.rstrip(b"\r\n").rstrip() == b"    -1":
            out.append((pos, pos + len(line)))
        pos += len(line)
    return out


def mutate_uff(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One structure-aware mutation of a UFF file."""
    delims = uff_blocks(data)
    if len(delims) < 2:
        raise ValueError("no UFF structure")
    op = rng.choice(("field", "field", "field", "delimiter", "type", "data", "binary"))
    k = rng.randrange(len(delims) // 2)
    start, end = delims[2 * k][1], delims[2 * k + 1][0]
    block = data[start:end]
    lines = block.splitlines(keepends=True)
    if op == "delimiter":
        i, j = rng.choice(delims)
        what = rng.choice(("drop", "repeat", "insert"))
        if what == "drop":
            return data[:i] + data[j:], f"delimiter at {i} dropped"
        if what == "repeat":
            return data[:j] + data[i:j] + data[j:], f"delimiter at {i} repeated"
        at = rng.randrange(start, max(start + 1, end))
        return data[:at] + b"    -1\n" + data[at:], f"delimiter inserted at {at}"
    if op == "type" and lines:
        t = rng.choice((b"    15", b"    55", b"    58", b"   58b", b"   151", b"   164", b"  2411",
                        b"  2412", b"  2414", b"     0", b"999999", b"      "))  # fmt: skip
        lines[0] = t + lines[0][6:]
        return data[:start] + b"".join(lines) + data[end:], f"data set {k}: type := {t!r}"
    if op == "data" and len(lines) > 13:
        i = rng.randrange(13, len(lines))
        what = rng.choice(("cut", "drop", "repeat", "token", "pad"))
        line = lines[i]
        if what == "cut":
            lines[i] = line[: rng.randrange(len(line) + 1)]
        elif what == "drop":
            del lines[i]
        elif what == "repeat":
            lines.insert(i, line)
        elif what == "token":
            tok = rng.choice(_TOKENS).encode("utf-8", "replace")
            c = rng.randrange(max(len(line) - 20, 1))
            lines[i] = line[:c] + tok.rjust(20) + line[c + 20 :]
        else:
            lines[i] = line.rstrip(b"\r\n") + b" " * rng.randint(1, 30) + b"\n"
        return data[:start] + b"".join(lines) + data[end:], f"data set {k}, line {i}: {what}"
    if op == "binary" and len(lines) > 13:
        head = sum(len(x) for x in lines[:13])
        body = bytearray(block[head:])
        if body:
            for _ in range(rng.randint(1, 8)):
                body[rng.randrange(len(body))] = rng.randrange(256)
            out = data[: start + head] + bytes(body) + data[end:]
            return out, f"data set {k}: data bytes changed"
    line_no, col, width, name = rng.choice(UFF58_FIELDS)
    if line_no >= len(lines):
        raise ValueError("short block")
    line = lines[line_no]
    tok = rng.choice(_TOKENS).encode("utf-8", "replace")
    if rng.random() < 0.8:
        tok = tok[:width].rjust(width)
    lines[line_no] = line[:col] + tok + line[col + width :]
    return data[:start] + b"".join(lines) + data[end:], f"data set {k}: {name} := {tok!r}"
