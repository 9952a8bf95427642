#!/usr/bin/env python
"""Bounded fuzzing of rotordx's readers, each input in an isolated worker process: mutated
KAMP CSVs, CSV/Parquet/WAV recordings, CWRU-style .mat files and manifests.

Valid seed files are generated, then mutated (byte flips, truncation, inserted text or bytes,
deleted / duplicated / swapped lines, swapped columns, special numbers such as ``nan`` or
``1e400``), mutated with knowledge of the container (MAT-5 tag sizes and types, dimension
arrays, array flags and classes, name and field-name lengths, compressed elements and their
zlib streams, zip bombs; WAV RIFF / fmt / data chunk sizes and fields, inserted and reordered
chunks, RF64; Parquet footer length, magic and footer bytes) or regenerated with random
structure (.mat variables of other types and shapes, Parquet columns of other types, names
and lengths), and fed to

* ``kamp_sensor``: :func:`rotordx.io.read_kamp_sensor`
* ``kamp_stream``: the chunked reader :func:`rotordx.io.kamp_stream.iter_kamp_sensor` (4 KiB
  chunks) against ``read_kamp_sensor``: both must reject with the same message, or both accept
  the same numbers
* ``kamp_group``: :func:`rotordx.io.load_kamp_group` (one of the four sensors mutated)
* ``csv``: :func:`rotordx.io.read_channels` on a CSV file (with or without ``rate``)
* ``parquet``: :func:`rotordx.io.read_channels` on a Parquet file
* ``cwru``: :func:`rotordx.io.read_cwru` (random channels)
* ``wav``: :func:`rotordx.io.load_entry` on a manifest entry naming a WAV file
* ``manifest``: :func:`rotordx.io.read_manifest`, then :func:`rotordx.io.load_entry` for
  every entry (the manifest lists a CSV, a Parquet, a .mat, a WAV, a TDMS and a UFF file)
* ``tdms``, ``uff``, ``matlab``: :func:`rotordx.io.read_recording` on a TDMS file, a UFF
  file and a .mat file not named like a CWRU file (random channel lists and rates;
  structure-aware mutations in ``scripts/fuzz_formats.py``)

and, only when named in ``--readers``, the native parsers alone (reference readers, to show
what the rotordx readers guard against: any Python exception is an ordinary rejection, only
a crash, a hang or memory beyond the limit is a finding):

* ``scipy_mat``: ``scipy.io.loadmat`` on the ``cwru`` inputs
* ``scipy_wav``: ``scipy.io.wavfile.read`` on the ``wav`` inputs
* ``pyarrow_parquet``: ``pyarrow.parquet.read_table`` on the ``parquet`` inputs
* ``nptdms``: ``nptdms.TdmsFile.read`` and every channel's data on the ``tdms`` inputs
* ``pyuff``: ``pyuff.UFF(path).read_sets()`` on the ``uff`` inputs

Every input is read in a pre-forked worker process (``--jobs`` of them; a worker that dies
is replaced) under an address-space limit (``--memory`` MiB above what the worker holds
after its imports, ``RLIMIT_AS``) and a time limit (``--timeout`` seconds, then the worker
is killed). A :class:`~rotordx.exceptions.RotordxError` whose message names the file is the
expected outcome for a bad input. A *finding* is: the worker killed by a signal (SIGSEGV,
SIGBUS, SIGABRT…) or exiting; a hang past ``--timeout``; a ``MemoryError``; any other
exception; a RotordxError that does not name the file; an input that took longer than
``--slow`` seconds; or an accepted input whose result is wrong (NaN or infinite values, time
not increasing, no samples, a rate that is not a positive number, values beyond the
documented bounds). Each finding is saved under ``--out`` with the input and a reproducer::

    python scripts/fuzz_readers.py --seconds 300            # exit status 1 if findings
    python scripts/fuzz_readers.py --examples 50 --seed 3   # 50 inputs per reader
    python scripts/fuzz_readers.py --replay fuzz-findings/cwru-17   # re-run one, isolated
    python scripts/fuzz_readers.py --seconds 60 --readers scipy_mat  # crash scipy, not us
    python scripts/fuzz_readers.py --minimize fuzz-findings/scipy_mat-0   # shrink a crasher

Runs are deterministic for a given ``--seed`` (only how many inputs fit in the time budget
varies): inputs are generated in the parent, in order, and only read in the workers.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import json
import os
import random
import re
import resource
import selectors
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # fuzz_formats beside this script

import fuzz_formats as ff
import numpy as np

from rotordx.exceptions import RotordxError
from rotordx.io._limits import MAX_ABS_VALUE, MAX_ACCELERATION

READERS = (
    *("kamp_sensor", "kamp_stream", "kamp_group", "csv", "parquet", "cwru", "wav"),
    *("manifest", "tdms", "uff", "matlab"),
)
#: The third-party parsers alone, isolated: run only when named in ``--readers``.
REFERENCE_READERS = ("scipy_mat", "scipy_wav", "pyarrow_parquet", "nptdms", "pyuff")
ALL_READERS = READERS + REFERENCE_READERS
#: The inputs a reference reader gets: those of this rotordx reader.
INPUTS_OF = {
    "scipy_mat": "cwru",
    "scipy_wav": "wav",
    "pyarrow_parquet": "parquet",
    "nptdms": "tdms",
    "pyuff": "uff",
}
CWRU_NAME = "12k_Drive_End_IR007_0_105.mat"
WAV_NAME = "rec.wav"
#: savemat writes the time of day into the header; a fixed one keeps runs deterministic.
MAT_HEADER_TEXT = b"MATLAB 5.0 MAT-file, Platform: posix, Created by: rotordx fuzz_readers"
TOKENS = (
    ",",
    "\n",
    "\r\n",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e400",
    "-1e309",
    "1e308",
    "9e15",
    "-7e7",
    "0",
    "-",
    "abc",
    '"',
    "\x00",
    " ",
    ";",
    "\ufeff",
    "é",
    "1,2",
    "time,normal,type1,type2,type3\n",
    "path,label\n",
    "../",
    "/",
    ".mat",
    ".wav",
    "0x10",
    "1_000",
    "--",
)


# -- seed inputs ------------------------------------------------------------------------------


def _kamp_rows(sensor: int, n: int = 300) -> list[str]:
    t = np.arange(n) * (0.001 + 1e-5 * sensor)
    vals = [np.sin(2 * np.pi * 30 * t + k) * (1 + k) for k in range(4)]
    return [",".join(f"{v:.9g}" for v in row) for row in np.column_stack([t, *vals])]


def _signal(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 1000.0
    return np.vstack([np.sin(2 * np.pi * 29 * t) + 0.1 * rng.standard_normal(n) for _ in range(3)])


def _csv_text(n: int = 300, *, header: bool = True) -> str:
    sig = _signal(n)
    t = np.arange(n) / 1000.0
    rows = [",".join(f"{v:.9g}" for v in r) for r in np.column_stack([t, sig[0], sig[1]])]
    return "\n".join((["time,a,b"] if header else []) + rows) + "\n"


def _write_parquet(path: Path, columns: list, names: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_arrays(columns, names=names), path)


def _parquet_bytes(tmp: Path) -> bytes:
    import pyarrow as pa

    sig = _signal(300)
    p = tmp / "seed.parquet"
    cols = [pa.array(np.arange(300) / 1000.0), pa.array(sig[0]), pa.array(sig[1])]
    _write_parquet(p, cols, ["time", "a", "b"])
    return p.read_bytes()


def _mat_vars(n: int = 2000) -> dict:
    sig = _signal(n) / 9.80665
    return {
        "X105_DE_time": sig[0][:, None],
        "X105_FE_time": sig[1][:, None],
        "X105_BA_time": sig[2][:, None],
        "X105RPM": np.array([[1797.0]]),
    }


def _rich_mat_vars() -> dict:
    """Every class the rotordx MAT-5 reader decodes, small: the structure-aware mutations
    reach struct, cell, char, logical, complex and integer elements from here."""
    cell = np.empty((1, 2), dtype=object)
    cell[0, 0], cell[0, 1] = np.arange(3.0)[None, :], "x"
    return {
        "X105_DE_time": (_signal(1100)[0] / 9.80665)[:, None],
        "X105RPM": np.array([[1797.0]]),
        "info": {"a": np.array([[1, 2, 3]], dtype=np.int16), "b": "text", "c": {"d": 1.0}},
        "cells": cell,
        "flag": np.array([[True, False]]),
        "z": np.array([[1 + 2j, 3 - 1j]]),
        "name": "abc",
        "rows": np.array(["ab", "cd"]),
        "u": np.array([[1, 2, 3, 4]], dtype=np.uint32),
        "cube": np.arange(12.0).reshape(2, 2, 3),
        "single": np.array([[1.5]], dtype=np.float32),
    }


def _mat_bytes(tmp: Path, variables: dict, *, compress: bool = False) -> bytes:
    import scipy.io

    p = tmp / "seed.mat"
    scipy.io.savemat(p, variables, do_compression=compress)
    data = p.read_bytes()
    return MAT_HEADER_TEXT.ljust(116) + data[116:]


def _wav_bytes(tmp: Path, kind: str) -> bytes:
    import scipy.io.wavfile

    sig = _signal(1200)[:2].T
    p = tmp / "seed.wav"
    if kind == "int16":
        scipy.io.wavfile.write(p, 8000, np.round(sig * 8000).astype(np.int16))
    elif kind == "uint8":
        scipy.io.wavfile.write(p, 8000, np.clip(sig[:, 0] * 50 + 128, 0, 255).astype(np.uint8))
    elif kind == "float32":
        scipy.io.wavfile.write(p, 8000, sig[:, 0].astype(np.float32))
    elif kind == "int32":
        scipy.io.wavfile.write(p, 8000, np.round(sig * 1e8).astype(np.int32))
    else:  # 24-bit PCM, mono: scipy does not write it
        pcm = np.round(sig[:, 0] * 1e6).astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
        body = pcm.tobytes()
        fmt = struct.pack("<HHIIHH", 1, 1, 8000, 8000 * 3, 3, 24)
        chunks = b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(body))
        return b"RIFF" + struct.pack("<I", 4 + len(chunks) + len(body)) + b"WAVE" + chunks + body
    return p.read_bytes()


@dataclass
class Seeds:
    """Valid inputs, as bytes."""

    kamp: list[bytes]
    csv: list[bytes]
    parquet: bytes
    mat: list[bytes]
    wav: list[bytes]
    manifest: bytes
    tdms: list[bytes] = field(default_factory=list)
    uff: list[bytes] = field(default_factory=list)
    matlab: list[bytes] = field(default_factory=list)

    @classmethod
    def make(cls, tmp: Path) -> Seeds:
        kamp = [("\n".join(_kamp_rows(s)) + "\n").encode() for s in range(1, 5)]
        csv = [_csv_text().encode(), _csv_text(header=False).encode()]
        mats = [
            _mat_bytes(tmp, _mat_vars()),
            _mat_bytes(tmp, _mat_vars(), compress=True),
            _mat_bytes(tmp, _rich_mat_vars()),
            _mat_bytes(tmp, _rich_mat_vars(), compress=True),
        ]
        wavs = [_wav_bytes(tmp, k) for k in ("int16", "uint8", "float32", "int32", "int24")]
        manifest = (
            "path,label,rate,channel,rpm,condition,units\n"
            "rec.csv,normal,,a;b,1800,site A,\n"
            "rec.parquet,fault,,a,1800,,g\n"
            f"{CWRU_NAME},inner_race,12000,DE;FE,,0hp,\n"
            f"{WAV_NAME},normal,,ch0,,,\n"
            "rec.tdms,normal,,Vib/x;Vib/y,,,\n"
            "rec.uff,fault,5000,1:+Z,,,m/s2\n"
        ).encode()
        return cls(
            kamp,
            csv,
            _parquet_bytes(tmp),
            mats,
            wavs,
            manifest,
            tdms=ff.tdms_seeds(tmp),
            uff=ff.uff_seeds(tmp),
            matlab=ff.matlab_seeds(tmp, _mat_bytes),
        )


def _write_manifest_targets(folder: Path, seeds: Seeds) -> None:
    (folder / "rec.csv").write_bytes(seeds.csv[0])
    (folder / "rec.parquet").write_bytes(seeds.parquet)
    (folder / CWRU_NAME).write_bytes(seeds.mat[0])
    (folder / WAV_NAME).write_bytes(seeds.wav[0])
    (folder / "rec.tdms").write_bytes(seeds.tdms[0])
    (folder / "rec.uff").write_bytes(seeds.uff[0])


# -- mutations --------------------------------------------------------------------------------


def _token(rng: random.Random) -> bytes:
    if rng.random() < 0.2:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return TOKENS[rng.randrange(len(TOKENS))].encode("utf-8")


def _mutate_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One byte-level mutation and its description."""
    b = bytearray(data)
    n = len(b)
    op = rng.choice(("flip", "truncate", "insert", "delete", "duplicate", "overwrite"))
    if n == 0:
        op = "insert"
    i = rng.randrange(n) if n else 0
    if op == "flip":
        k = rng.randint(1, 8)
        for _ in range(k):
            j = rng.randrange(n)
            b[j] ^= 1 << rng.randrange(8)
        return bytes(b), f"flip {k} bits"
    if op == "truncate":
        return bytes(b[:i]), f"truncate at {i}"
    if op == "insert":
        tok = _token(rng)
        return bytes(b[:i] + tok + b[i:]), f"insert {tok!r} at {i}"
    j = min(n, i + rng.randint(1, 64))
    if op == "delete":
        return bytes(b[:i] + b[j:]), f"delete [{i}:{j}]"
    if op == "duplicate":
        return bytes(b[:j] + b[i:j] + b[j:]), f"duplicate [{i}:{j}]"
    fill = rng.choice((0, 0xFF, rng.randrange(256)))
    b[i:j] = bytes([fill]) * (j - i)
    return bytes(b), f"overwrite [{i}:{j}] with {fill:#x}"


def _mutate_text(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One line- or cell-level mutation of a CSV-like file (falls back to bytes)."""
    lines = data.split(b"\n")
    if len(lines) < 3 or rng.random() < 0.35:
        return _mutate_bytes(data, rng)
    body = len(lines) - 1 if lines[-1] == b"" else len(lines)
    i, j = rng.randrange(body), rng.randrange(body)
    op = rng.choice(
        ("swap_lines", "dup_line", "del_line", "swap_columns", "cell", "drop_cell", "add_cell")
    )
    if op == "swap_lines":
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines), f"swap lines {i + 1} and {j + 1}"
    if op == "dup_line":
        lines.insert(i, lines[i])
        return b"\n".join(lines), f"duplicate line {i + 1}"
    if op == "del_line":
        del lines[i]
        return b"\n".join(lines), f"delete line {i + 1}"
    width = len(lines[0].split(b","))
    a, c = rng.randrange(width), rng.randrange(width)
    if op == "swap_columns":
        out = []
        for line in lines:
            cells = line.split(b",")
            if max(a, c) < len(cells):
                cells[a], cells[c] = cells[c], cells[a]
            out.append(b",".join(cells))
        return b"\n".join(out), f"swap columns {a} and {c}"
    cells = lines[i].split(b",")
    k = rng.randrange(len(cells))
    if op == "cell":
        cells[k] = _token(rng)
        what = f"cell {k} of line {i + 1} := {cells[k]!r}"
    elif op == "drop_cell":
        del cells[k]
        what = f"drop cell {k} of line {i + 1}"
    else:
        cells.insert(k, _token(rng))
        what = f"add cell {cells[k]!r} to line {i + 1}"
    lines[i] = b",".join(cells)
    return b"\n".join(lines), what


def _mutate(data: bytes, rng: random.Random, *, text: bool) -> tuple[bytes, list[str]]:
    how = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        data, what = (_mutate_text if text else _mutate_bytes)(data, rng)
        how.append(what)
    return data, how


def _random_array(rng: random.Random, n: int) -> tuple[object, str]:
    """A .mat variable value of random type and shape."""
    nrng = np.random.default_rng(rng.randrange(2**32))
    kind = rng.choice(("col", "col", "row", "matrix", "cube", "int", "complex", "bool", "text"))
    kind = rng.choice((kind, "cell", "struct", "empty", "scalar"))
    x = nrng.standard_normal(n)
    special = rng.choice((None, None, np.nan, np.inf, -np.inf, 1e300, 5e5, 1e-320))
    if special is not None and n:
        x[rng.randrange(n)] = special
    if kind == "col":
        return x[:, None], f"float ({n}, 1){'' if special is None else f' with {special}'}"
    if kind == "row":
        return x[None, :], f"float (1, {n})"
    if kind == "matrix":
        return np.resize(x, (max(n // 3, 1), 3)), "float (n, 3)"
    if kind == "cube":
        return np.resize(x, (2, 2, max(n // 4, 1))), "float (2, 2, n)"
    if kind == "int":
        return (x * 1000).astype(np.int16)[:, None], "int16 (n, 1)"
    if kind == "complex":
        return (x + 1j * x)[:, None], "complex (n, 1)"
    if kind == "bool":
        return (x > 0)[:, None], "logical (n, 1)"
    if kind == "text":
        return "not a signal", "text"
    if kind == "cell":
        cell = np.empty((2, 1), dtype=object)
        cell[0, 0], cell[1, 0] = x[:, None], "x"
        return cell, "cell"
    if kind == "struct":
        return {"a": x[:, None], "b": "text"}, "struct"
    if kind == "empty":
        return np.zeros((0, 1)), "empty (0, 1)"
    return np.array([[float(x[0]) if n else 0.0]]), "scalar"


def _random_mat(tmp: Path, rng: random.Random) -> tuple[bytes, list[str]]:
    names = ["X105_DE_time", "X105_FE_time", "X105_BA_time", "X105RPM", "X200_DE_time"]
    names += ["DE_time", "X105_de_time", "vibration"]
    chosen = rng.sample(names, rng.randint(0, 4))
    n = rng.choice((0, 1, 10, 1023, 1024, 2000))
    variables, how = {}, []
    for name in chosen:
        value, what = _random_array(rng, n if rng.random() < 0.8 else rng.choice((5, 1500)))
        variables[name] = value
        how.append(f"{name}: {what}")
    try:
        return _mat_bytes(tmp, variables, compress=rng.random() < 0.3), how or ["no variables"]
    except Exception as exc:  # savemat refused the structure: fall back to a byte mutation
        return _mutate(_mat_bytes(tmp, _mat_vars()), rng, text=False)[0], [
            f"savemat refused ({exc})"
        ]


PARQUET_KINDS = (
    *("float", "float", "float32", "float16", "int", "int_nulls", "bool", "string"),
    *("timestamp", "list", "dictionary", "decimal", "huge", "time_up", "time_flat"),
)


def _random_parquet(tmp: Path, rng: random.Random) -> tuple[bytes, list[str]]:
    import pyarrow as pa

    n = rng.choice((0, 1, 2, 3, 50, 300))
    nrng = np.random.default_rng(rng.randrange(2**32))
    cols, names, how = [], [], []
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(("time", "t", "a", "b", "a", "", "seconds", "ch0"))
        kind = rng.choice(PARQUET_KINDS)
        x = nrng.standard_normal(n)
        if kind == "float":
            if n and rng.random() < 0.3:
                x[rng.randrange(n)] = rng.choice((np.nan, np.inf, 1e300))
            arr = pa.array(x)
        elif kind == "float32":
            arr = pa.array(x.astype(np.float32))
        elif kind == "float16":
            arr = pa.array(x.astype(np.float16))
        elif kind == "int":
            arr = pa.array((x * 1000).astype(np.int64))
        elif kind == "int_nulls":
            arr = pa.array([None if i % 7 == 3 else int(v * 100) for i, v in enumerate(x)])
        elif kind == "bool":
            arr = pa.array(x > 0)
        elif kind == "string":
            arr = pa.array([f"{v:.3f}" if i % 5 else "x" for i, v in enumerate(x)])
        elif kind == "timestamp":
            arr = pa.array(np.arange(n).astype("datetime64[ms]"))
        elif kind == "list":
            arr = pa.array([[float(v)] for v in x])
        elif kind == "dictionary":
            arr = pa.array([f"{v:.1f}" for v in x]).dictionary_encode()
        elif kind == "decimal":
            import decimal

            arr = pa.array([decimal.Decimal(f"{v:.3f}") for v in x])
        elif kind == "huge":
            arr = pa.array(x * 1e300)
        elif kind == "time_up":
            arr = pa.array(np.arange(n) / 1000.0)
        else:
            arr = pa.array(np.zeros(n))
        cols.append(arr)
        names.append(name)
        how.append(f"{name!r}: {kind} x {n}")
    p = tmp / "random.parquet"
    _write_parquet(p, cols, names)
    return p.read_bytes(), how


# -- structure-aware mutations ----------------------------------------------------------------

#: Sizes that break size arithmetic: empty, one short, odd, the top of int32 / uint32…
_U32_SPECIAL = (0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 255, 256, 4095, 65535, 65536)
_U32_SPECIAL += (0x7FFFFFF8, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFF8, 0xFFFFFFFF)
_I32_SPECIAL = (0, 1, 2, -1, -2, 3, 1023, 1024, 65536, 10**6, 2**30, 2**31 - 1, -(2**31))


def _u32(rng: random.Random, old: int = 0, room: int = 0) -> int:
    """A uint32 near ``old``, near ``room`` (bytes left) or special."""
    pick = rng.random()
    if pick < 0.4:
        return rng.choice(_U32_SPECIAL)
    if pick < 0.7:
        return max(0, old + rng.choice((-9, -8, -4, -1, 1, 4, 8, 9, 16, old, -old // 2)))
    if pick < 0.9:
        return max(0, room + rng.choice((-8, -1, 0, 1, 8, 64)))
    return rng.randrange(2**32)


def _put(b: bytearray, pos: int, fmt: str, value: int) -> None:
    if pos >= 0 and pos + struct.calcsize(fmt) <= len(b):
        struct.pack_into(fmt, b, pos, value & ((1 << (8 * struct.calcsize(fmt))) - 1))


def _mat_layout(data: bytes, start: int = 128) -> list[tuple[str, int, int, tuple[int, ...]]]:
    """``(role, tag offset, end of the enclosing element, offsets of the enclosing matrix
    tags)`` of the elements of a valid little-endian MAT-5 file (or of a decompressed matrix
    element, ``start=0``).

    Roles: ``matrix`` and ``compressed`` (top level), ``flags``, ``dims``, ``name``,
    ``fieldlen``, ``fieldnames``, ``data``, ``child`` (a cell / struct element).
    """
    out: list[tuple[str, int, int, tuple[int, ...]]] = []
    pos = start
    while pos + 8 <= len(data):
        t, n = struct.unpack_from("<II", data, pos)
        end = min(pos + 8 + n, len(data))
        if t == 15:
            out.append(("compressed", pos, end, ()))
        else:
            out.append(("matrix", pos, end, ()))
            _walk_matrix(data, pos + 8, end, out, 0, (pos,))
        pos = end
    return out


def _walk_matrix(
    data: bytes, pos: int, end: int, out: list, depth: int, parents: tuple[int, ...]
) -> None:
    k, cls = 0, -1
    while pos + 8 <= end and depth < 12:
        (w,) = struct.unpack_from("<I", data, pos)
        if w >> 16:
            t, n, nxt = w & 0xFFFF, w >> 16, pos + 8
        else:
            t, n = w, struct.unpack_from("<I", data, pos + 4)[0]
            nxt = pos + 8 + n + (-n % 8)
        if k < 3:
            role = ("flags", "dims", "name")[k]
        elif cls == 2 and k in (3, 4):
            role = ("fieldlen", "fieldnames")[k - 3]
        elif cls in (1, 2):
            role = "child"
        else:
            role = "data"
        out.append((role, pos, end, parents))
        if role == "flags" and pos + 9 <= len(data):
            cls = data[pos + 8]
        if role == "child" and t == 14:
            _walk_matrix(data, pos + 8, min(pos + 8 + n, end), out, depth + 1, (*parents, pos))
        pos, k = nxt, k + 1


def _span(b: bytes, pos: int) -> int:
    """End (padded) of the element whose tag is at ``pos``."""
    (w,) = struct.unpack_from("<I", b, pos)
    if w >> 16:
        return pos + 8
    n = struct.unpack_from("<I", b, pos + 4)[0]
    return min(pos + 8 + n + (-n % 8), len(b))


def _rewrite(
    b: bytearray, role: str, pos: int, parents: tuple[int, ...], rng: random.Random
) -> tuple[bytes, str]:
    """Replace the element at ``pos`` by another of another length (new dimensions, data,
    name, field names; a cell or field dropped or repeated), and fix the sizes of the
    enclosing matrices so that the file still parses as far as the change."""
    stop = _span(b, pos)
    (w,) = struct.unpack_from("<I", b, pos)
    mtype = w & 0xFFFF if w >> 16 else w
    if role == "dims":
        dims = [rng.choice((0, 0, 1, 1, 2, 3, 4, 7, 1000, 2**16, 2**31 - 1)) for _ in range(9)]
        dims = dims[: rng.choice((0, 1, 2, 2, 2, 3, 4, 5, 9))]
        payload, what = struct.pack(f"<{len(dims)}i", *dims), f"dims -> {dims}"
        mtype = 5
    elif role == "data":
        old = struct.unpack_from("<I", b, pos + 4)[0] if not w >> 16 else w >> 16
        size = rng.choice((0, 1, 3, 4, 8, max(old - 8, 0), old + 8, min(2 * old, 65536)))
        mtype = rng.choice((mtype, mtype, rng.choice((1, 2, 4, 7, 9, 16, 17, 18))))
        payload, what = bytes(rng.randrange(256) for _ in range(size)), f"data -> {size} bytes"
        what += f" of type {mtype}"
    elif role == "name":
        payload = rng.choice((b"", b"x", b"a" * 70, b"X105_DE_time\0\0", b"\xff\xfe\x00name"))
        what = f"name -> {payload!r}"
    elif role == "fieldnames":
        names = rng.choice(([], [b"a"], [b"a", b"a"], [b"a", b"b", b"c"], [b"\xff"]))
        payload = b"".join(n.ljust(32, b"\0") for n in names)
        what = f"field names -> {names}"
    elif role == "child":
        piece = bytes(b[pos:stop])
        if rng.random() < 0.5:
            new = bytes(b[:pos]) + bytes(b[stop:])
            what = f"child at {pos} dropped"
        else:
            new = bytes(b[:stop]) + piece + bytes(b[stop:])
            what = f"child at {pos} repeated"
        return _fix_sizes(new, parents, len(new) - len(b)), what
    else:
        return bytes(b), _mutate_field(b, role, pos, len(b), rng)
    elem = struct.pack("<II", mtype, len(payload)) + payload + bytes(-len(payload) % 8)
    new = bytes(b[:pos]) + elem + bytes(b[stop:])
    return _fix_sizes(new, parents, len(new) - len(b)), what


def _fix_sizes(data: bytes, parents: tuple[int, ...], delta: int) -> bytes:
    b = bytearray(data)
    for p in parents:
        n = struct.unpack_from("<I", b, p + 4)[0]
        _put(b, p + 4, "<I", max(n + delta, 0))
    return bytes(b)


_REWRITABLE = ("dims", "data", "name", "fieldnames", "child")


def _mutate_tag(b: bytearray, pos: int, end: int, rng: random.Random) -> str:
    """Change the size or the type of the element tag at ``pos``."""
    (w,) = struct.unpack_from("<I", b, pos)
    small = w >> 16
    if rng.random() < 0.6:  # size
        if small:
            n = rng.randint(0, 9)
            _put(b, pos, "<I", (n << 16) | (w & 0xFFFF))
            return f"small tag at {pos}: size {n}"
        old = struct.unpack_from("<I", b, pos + 4)[0]
        n = _u32(rng, old, end - pos - 8)
        _put(b, pos + 4, "<I", n)
        return f"tag at {pos}: size {old} -> {n}"
    t = rng.choice((*range(0, 20), 0x809, 0xFFFF, rng.randrange(2**16)))
    if small:
        _put(b, pos, "<I", (w & 0xFFFF0000) | t)
        return f"small tag at {pos}: type {t}"
    if rng.random() < 0.2:  # full tag -> small format
        n = rng.randint(1, 8)
        _put(b, pos, "<I", (n << 16) | t)
        return f"tag at {pos}: small format, type {t}, size {n}"
    _put(b, pos, "<I", t)
    return f"tag at {pos}: type {t}"


def _mutate_field(b: bytearray, role: str, pos: int, end: int, rng: random.Random) -> str:
    """A mutation that knows what the element at ``pos`` is."""
    (w,) = struct.unpack_from("<I", b, pos)
    data = pos + 4 if w >> 16 else pos + 8
    if role == "flags" and rng.random() < 0.7:
        if rng.random() < 0.6:
            cls = rng.choice((*range(0, 19), 255, rng.randrange(256)))
            _put(b, data, "<B", cls)
            return f"flags at {pos}: class {cls}"
        bit = rng.choice((0x02, 0x04, 0x08))
        if data + 1 < len(b):
            b[data + 1] ^= bit
        return f"flags at {pos}: toggle {bit:#x}"
    if role == "dims" and rng.random() < 0.8:
        n = struct.unpack_from("<I", b, pos + 4)[0] if not w >> 16 else w >> 16
        if rng.random() < 0.75 and n >= 4:
            i = rng.randrange(max(n // 4, 1))
            old = struct.unpack_from("<i", b, data + 4 * i)[0] if data + 4 * i + 4 <= len(b) else 0
            v = rng.choice((*_I32_SPECIAL, old + 1, old - 1, old * 2, old * 8))
            _put(b, data + 4 * i, "<i", v)
            return f"dims at {pos}: dim {i} {old} -> {v}"
        v = rng.choice((0, 4, 12, 16, 20, 256, 4 * 40))
        _put(b, pos + 4, "<I", v)
        return f"dims at {pos}: {v} bytes"
    if role == "name" and rng.random() < 0.5:
        v = rng.choice((0, 1, 2, 63, 64, 200, 65535, 2**31))
        if w >> 16:
            _put(b, pos, "<I", ((v & 0xF) << 16) | (w & 0xFFFF))
        else:
            _put(b, pos + 4, "<I", v)
        return f"name at {pos}: length {v}"
    if role == "fieldlen" and rng.random() < 0.8:
        v = rng.choice((0, -1, 1, 2, 3, 31, 32, 64, 2**31 - 1, -(2**31)))
        _put(b, data, "<i", v)
        return f"field-name length at {pos}: {v}"
    return _mutate_tag(b, pos, end, rng)


def _deflate(body: bytes, rng: random.Random) -> bytes:
    return zlib.compress(body, rng.choice((1, 6, 9)))


_BOMBS: dict[tuple[int, int], bytes] = {}


def _bomb(claimed: int, actual: int) -> bytes:
    """A compressed element whose matrix tag claims ``claimed`` bytes; ``actual`` zero bytes
    follow in the stream (compressed once, then cached)."""
    key = (claimed, actual)
    if key not in _BOMBS:
        _BOMBS[key] = _compressed_element(struct.pack("<II", 14, claimed), actual)
    return _BOMBS[key]


def _compressed_element(head: bytes, zeros: int) -> bytes:
    """A miCOMPRESSED element: ``head`` then ``zeros`` zero bytes, deflated a MiB at a time."""
    z = zlib.compressobj(9)
    out = [z.compress(head)]
    chunk = bytes(1 << 20)
    left = zeros
    while left > 0:
        out.append(z.compress(chunk[: min(left, len(chunk))]))
        left -= len(chunk)
    out.append(z.flush())
    body = b"".join(out)
    return struct.pack("<II", 15, len(body)) + body


def _honest_bomb(rows: int) -> bytes:
    """A compressed double array of ``rows`` x 1 zeros named X105_DE_time: valid, large."""
    key = (-rows, 0)
    if key not in _BOMBS:
        data = rows * 8
        name = b"X105_DE_time"
        inner = struct.pack("<II", 6, 8) + struct.pack("<II", 6, 0)
        inner += struct.pack("<II", 5, 8) + struct.pack("<ii", rows, 1)
        inner += struct.pack("<II", 1, len(name)) + name.ljust(16, b"\0")
        head = struct.pack("<II", 14, len(inner) + 8 + data) + inner
        _BOMBS[key] = _compressed_element(head + struct.pack("<II", 9, data), data)
    return _BOMBS[key]


def _mutate_compressed(b: bytearray, pos: int, end: int, rng: random.Random) -> tuple[bytes, str]:
    comp = bytes(b[pos + 8 : end])
    op = rng.choice(("inner", "inner", "inner", "flip", "cut", "size", "bomb", "tail", "nest"))
    if op in ("inner", "nest"):
        try:
            inner = bytearray(zlib.decompress(comp))
        except zlib.error:
            op = "flip"
        else:
            if op == "nest":  # a compressed element inside the compressed element
                body = _deflate(struct.pack("<II", 15, len(inner)) + bytes(inner), rng)
                what = "compressed element nested in a compressed element"
            else:
                fields = _mat_layout(bytes(inner), 0)
                if not fields:
                    return bytes(b), "compressed: nothing inside"
                role, p, e, parents = rng.choice(fields)
                if role in _REWRITABLE and rng.random() < 0.4:
                    changed, what = _rewrite(inner, role, p, parents, rng)
                    inner = bytearray(changed)
                else:
                    what = _mutate_field(inner, role, p, e, rng)
                what = "inside compressed: " + what
                body = _deflate(bytes(inner), rng)
            return bytes(b[:pos]) + struct.pack("<II", 15, len(body)) + body + bytes(b[end:]), what
    if op == "flip":
        c = bytearray(comp)
        for _ in range(rng.randint(1, 4)):
            if c:
                c[rng.randrange(len(c))] ^= 1 << rng.randrange(8)
        return bytes(b[: pos + 8]) + bytes(c) + bytes(b[end:]), f"compressed at {pos}: flip bits"
    if op == "cut":
        k = rng.randrange(len(comp) + 1)
        cut = comp[:k]
        return (
            bytes(b[:pos]) + struct.pack("<II", 15, len(cut)) + cut + bytes(b[end:]),
            f"compressed at {pos}: stream cut to {k} of {len(comp)} bytes",
        )
    if op == "size":
        n = _u32(rng, len(comp), len(b) - pos - 8)
        _put(b, pos + 4, "<I", n)
        return bytes(b), f"compressed at {pos}: size {len(comp)} -> {n}"
    if op == "tail":
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        body = comp + junk
        return (
            bytes(b[:pos]) + struct.pack("<II", 15, len(body)) + body + bytes(b[end:]),
            f"compressed at {pos}: {len(junk)} bytes after the zlib stream",
        )
    kind = rng.choice(("lying", "lying", "honest"))
    if kind == "honest":
        rows = rng.choice((2**20, 2**22, 2**23))
        return bytes(b[:pos]) + _honest_bomb(rows) + bytes(b[end:]), f"zip bomb: {rows} x 1 zeros"
    claimed = rng.choice((2**31 - 8, 0xFFFFFFF0, 2**30, 2**28))
    actual = rng.choice((0, 2**16, 2**22))
    return (
        bytes(b[:pos]) + _bomb(claimed, actual) + bytes(b[end:]),
        f"zip bomb: tag claims {claimed} bytes, stream holds {actual}",
    )


def _mutate_mat(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One structure-aware mutation of a valid little-endian MAT-5 file."""
    fields = _mat_layout(data)
    b = bytearray(data)
    if not fields or rng.random() < 0.05:
        what = rng.choice(("version", "endian", "v4"))
        if what == "version":
            _put(b, 124, "<H", rng.choice((0, 0x0200, 0x0101, 0xFFFF)))
        elif what == "endian":
            b[126:128] = rng.choice((b"MI", b"II", b"\0\0"))
        else:
            b[0:4] = bytes(4)
        return bytes(b), f"header: {what}"
    role, pos, end, parents = rng.choice(fields)
    if role == "compressed":
        return _mutate_compressed(b, pos, end, rng)
    if role in _REWRITABLE and rng.random() < 0.4:
        return _rewrite(b, role, pos, parents, rng)
    if role == "matrix" and rng.random() < 0.3:
        op = rng.choice(("zero", "swap_order", "duplicate"))
        if op == "zero":
            _put(b, pos + 4, "<I", 0)
            return bytes(b), f"matrix at {pos}: empty"
        if op == "duplicate":
            return bytes(b[:end]) + bytes(b[pos:end]) + bytes(b[end:]), f"matrix at {pos}: twice"
        b[126:128] = b"MI"  # the same bytes read as big-endian
        return bytes(b), "header says big-endian"
    return bytes(b), _mutate_field(b, role, pos, end, rng)


def _wav_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """``(id, offset, size)`` of the chunks of a valid little-endian WAV file."""
    out, pos = [], 12
    while pos + 8 <= len(data):
        cid, n = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        out.append((cid, pos, n))
        pos += 8 + n + (n & 1)
    return out


def _mutate_wav(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One structure-aware mutation of a valid WAV file."""
    b = bytearray(data)
    chunks = _wav_chunks(data)
    fmt = next((c for c in chunks if c[0] == b"fmt "), None)
    dat = next((c for c in chunks if c[0] == b"data"), None)
    op = rng.choice(
        (
            *("riff", "magic", "fmt_size", "fmt_field", "fmt_field", "fmt_field", "data_size"),
            *("data_size", "insert", "swap", "rf64", "extensible", "cut", "dup"),
        )
    )
    if op == "riff":
        v = _u32(rng, len(data) - 8, len(data) - 8)
        _put(b, 4, "<I", v)
        return bytes(b), f"RIFF size {v}"
    if op == "magic":
        v = rng.choice((b"RIFX", b"RF64", b"FFIR", b"RIF\0"))
        if rng.random() < 0.3:
            b[8:12] = b"WAVX"
            return bytes(b), "form WAVX"
        b[0:4] = v
        return bytes(b), f"magic {v!r}"
    if op == "fmt_size" and fmt:
        v = rng.choice((0, 14, 15, 16, 17, 18, 20, 39, 40, 41, 0xFFFFFFF0, fmt[2] + 1))
        _put(b, fmt[1] + 4, "<I", v)
        return bytes(b), f"fmt size {v}"
    if op == "fmt_field" and fmt:
        name, off, width = rng.choice(
            (
                *(("tag", 0, "<H"), ("channels", 2, "<H"), ("rate", 4, "<I")),
                *(("byte rate", 8, "<I"), ("block", 12, "<H"), ("block", 12, "<H")),
                *(("bits", 14, "<H"), ("bits", 14, "<H")),
            )
        )
        pick = (0, 1, 2, 3, 4, 7, 8, 9, 12, 16, 20, 24, 32, 33, 64, 65, 255, 0xFFFE, 0xFFFF)
        v = rng.choice(pick) if width == "<H" else rng.choice(_U32_SPECIAL)
        _put(b, fmt[1] + 8 + off, width, v)
        return bytes(b), f"fmt {name} {v}"
    if op == "data_size" and dat:
        v = _u32(rng, dat[2], len(data) - dat[1] - 8)
        _put(b, dat[1] + 4, "<I", v)
        return bytes(b), f"data size {dat[2]} -> {v}"
    if op == "insert":
        cid = rng.choice((b"LIST", b"JUNK", b"fact", b"abcd", b"data", b"fmt ", b"ds64"))
        n = rng.choice((0, 1, 3, 4, 16, 17, 40))
        claimed = n if rng.random() < 0.6 else _u32(rng, n, len(data))
        chunk = cid + struct.pack("<I", claimed) + bytes(rng.randrange(256) for _ in range(n))
        at = rng.choice([12] + [c[1] for c in chunks] + [len(data)])
        return bytes(b[:at]) + chunk + bytes(b[at:]), f"insert {cid!r} ({claimed} bytes) at {at}"
    if op == "swap" and fmt and dat:
        f = bytes(b[fmt[1] : fmt[1] + 8 + fmt[2]])
        d = bytes(b[dat[1] : dat[1] + 8 + dat[2]])
        return bytes(b[:12]) + d + f + bytes(b[dat[1] + 8 + dat[2] :]), "data chunk before fmt"
    if op == "rf64":
        ds = struct.pack("<IQQQI", 28, _u32(rng, len(data)), _u32(rng, dat[2] if dat else 0), 0, 0)
        head = b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + b"ds64" + ds
        return head + bytes(b[12:]), "as RF64 with a ds64 chunk"
    if op == "extensible" and fmt:
        _, ch, rate, brate, block, bits = struct.unpack_from("<HHIIHH", b, fmt[1] + 8)
        ext = rng.choice((22, 22, 0, 10, 30))
        guid = struct.pack("<I", rng.choice((1, 3, 2, 0))) + (
            b"\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        )
        body = struct.pack("<HHIIHH", 0xFFFE, ch, rate, brate, block, bits)
        body += struct.pack("<HHI", ext, bits, 0) + guid
        size = rng.choice((40, 40, 18, 24))
        new = b"fmt " + struct.pack("<I", size) + body[:size]
        return (
            bytes(b[: fmt[1]]) + new + bytes(b[fmt[1] + 8 + fmt[2] :]),
            f"extensible fmt ({size} bytes, extension {ext})",
        )
    if op == "dup" and chunks:
        c = rng.choice(chunks)
        piece = bytes(b[c[1] : c[1] + 8 + c[2] + (c[2] & 1)])
        return bytes(b) + piece, f"{c[0]!r} chunk again at the end"
    k = rng.choice([c[1] + d for c in chunks for d in (0, 4, 8, 9)] or [12])
    return bytes(b[:k]), f"cut at {k}"


def _mutate_parquet(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One mutation of a Parquet file's footer, magic or first page header."""
    b = bytearray(data)
    n = len(b)
    footer = struct.unpack_from("<I", b, n - 8)[0] if n >= 12 else 0
    lo = max(4, n - 8 - footer)
    op = rng.choice(("length", "magic", "footer", "footer", "footer", "cut", "page", "varint"))
    if op == "length":
        v = _u32(rng, footer, n - 12)
        _put(b, n - 8, "<I", v)
        return bytes(b), f"footer length {footer} -> {v}"
    if op == "magic":
        where = rng.choice((0, n - 4))
        b[where : where + 4] = rng.choice((b"PARE", b"PAR0", b"\0\0\0\0"))
        return bytes(b), f"magic at {where}"
    if op == "footer" and n - 8 > lo:
        k = rng.randint(1, 8)
        for _ in range(k):
            i = rng.randrange(lo, n - 8)
            b[i] = rng.choice(
                (0, 0xFF, 0x7F, 0x80, b[i] ^ (1 << rng.randrange(8)), rng.randrange(256))
            )
        return bytes(b), f"{k} footer bytes changed"
    if op == "cut" and n - 8 > lo:
        k = rng.randrange(lo, n - 8)
        body = bytes(b[:k])
        new_len = max(0, k - lo)
        return body + struct.pack("<I", new_len) + b"PAR1", f"footer cut to {new_len} bytes"
    if op == "varint" and n - 8 > lo:
        i = rng.randrange(lo, n - 8)
        junk = b"\xff" * rng.randint(1, 12) + b"\x7f"
        body = bytes(b[:i]) + junk + bytes(b[i : n - 8])
        return body + struct.pack("<I", footer + len(junk)) + b"PAR1", f"long varint at {i}"
    k = rng.randint(1, 6)
    for _ in range(k):
        i = rng.randrange(4, min(n, 200))
        b[i] = rng.randrange(256)
    return bytes(b), f"{k} bytes of the first page header changed"


def _mutate_structured(
    data: bytes, rng: random.Random, mutator: Callable[[bytes, random.Random], tuple[bytes, str]]
) -> tuple[bytes, list[str]]:
    """One to three structure-aware mutations (each on the result of the last)."""
    how = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        try:
            data, what = mutator(data, rng)
        except (struct.error, IndexError, ValueError, zlib.error) as exc:  # layout now broken
            data, what = _mutate_bytes(data, rng)
            what = f"{what} (structure lost: {type(exc).__name__})"
        how.append(what)
    return data, how


# -- checks of accepted inputs ----------------------------------------------------------------


def _check_recording(rec, *, limit: float) -> str | None:
    x = rec.signals
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 1:
        return f"signals of shape {x.shape}"
    if x.shape[0] != len(rec.channel_names):
        return f"{x.shape[0]} channels but names {rec.channel_names}"
    if not np.isfinite(x).all():
        return "NaN or infinite values returned"
    if np.abs(x).max() > limit:
        return f"|x| = {np.abs(x).max():g} beyond {limit:g} returned"
    if not (np.isfinite(rec.fs) and rec.fs > 0):
        return f"sample rate {rec.fs!r}"
    return None


def _check_sensor(s) -> str | None:
    if s.values.ndim != 2 or s.values.shape[1] != 4 or s.values.shape[0] != s.time.shape[0]:
        return f"values {s.values.shape}, time {s.time.shape}"
    if s.time.shape[0] < 2:
        return f"{s.time.shape[0]} samples"
    if not (np.isfinite(s.time).all() and np.isfinite(s.values).all()):
        return "NaN or infinite values returned"
    if not (np.diff(s.time) > 0).all():
        return "time not strictly increasing"
    if np.abs(s.values).max() > MAX_ACCELERATION:
        return f"|x| = {np.abs(s.values).max():g} m/s² returned"
    return None


def _check_result(reader: str, result) -> str | None:
    if reader in ("kamp_sensor", "kamp_stream"):
        return _check_sensor(result)
    if reader == "kamp_group":
        if len(result.sensors) != 4:
            return f"{len(result.sensors)} sensors"
        return next((p for p in map(_check_sensor, result.sensors) if p), None)
    if reader in ("csv", "parquet"):
        return _check_recording(result, limit=MAX_ABS_VALUE)
    if reader == "cwru":
        if result.rpm is not None and not (np.isfinite(result.rpm) and result.rpm > 0):
            return f"rpm {result.rpm!r}"
        return _check_recording(result.recording, limit=MAX_ACCELERATION)
    if reader == "wav":
        return _check_recording(result.recording, limit=MAX_ABS_VALUE)
    if reader in ("tdms", "uff", "matlab"):  # (values converted to m/s² may exceed 1e12)
        limit = MAX_ABS_VALUE if result.units is None else float("inf")
        return _check_recording(result.recording, limit=limit)
    if reader == "manifest":
        for e, lr in result:
            if not e.path.is_file() or not e.label:
                return f"entry {e}"
            if e.rate is not None and not (np.isfinite(e.rate) and e.rate > 0):
                return f"rate {e.rate!r}"
            limit = MAX_ACCELERATION if e.path.suffix.lower() == ".mat" else MAX_ABS_VALUE
            limit = limit if lr.units is None or e.path.suffix == ".mat" else float("inf")
            problem = _check_recording(lr.recording, limit=limit)
            if problem:
                return f"line {e.line}: {problem}"
        return None
    raise AssertionError(reader)


# -- running one input (in a worker) ----------------------------------------------------------


def _call(reader: str, target: Path, options: dict):
    """Run the reader(s) on ``target``; return what they returned."""
    from rotordx.io import (
        load_entry,
        load_kamp_group,
        read_channels,
        read_cwru,
        read_kamp_sensor,
        read_manifest,
    )

    if reader == "kamp_sensor":
        return read_kamp_sensor(target)
    if reader == "kamp_stream":
        return _stream_vs_whole(target)
    if reader == "kamp_group":
        return load_kamp_group(target.parent)
    if reader in ("csv", "parquet"):
        return read_channels(target, rate=options.get("rate"))
    if reader == "cwru":
        return read_cwru(target, channels=tuple(options.get("channels", ("DE",))))
    if reader == "wav":
        from rotordx.io import ManifestEntry

        return load_entry(ManifestEntry(path=target, label="normal", line=2))
    if reader == "manifest":
        return [(e, load_entry(e)) for e in read_manifest(target)]
    if reader in ("tdms", "uff", "matlab"):
        from rotordx.io import read_recording

        chans = options.get("channels")
        return read_recording(
            target, channels=tuple(chans) if chans else None, rate=options.get("rate")
        )
    if reader == "nptdms":
        import logging

        from nptdms import TdmsFile
        from nptdms.log import log_manager

        log_manager.set_level(logging.ERROR)  # its warnings on stderr: noise here
        try:
            f = TdmsFile.read(str(target))
            return [c[:] for g in f.groups() for c in g.channels()]
        finally:  # (rotordx's TDMS reader, in a child of this worker, reads them)
            log_manager.set_level(logging.WARNING)
    if reader == "pyuff":
        import pyuff

        return pyuff.UFF(str(target)).read_sets()
    if reader == "scipy_mat":
        import scipy.io

        return scipy.io.loadmat(target)
    if reader == "scipy_wav":
        import scipy.io.wavfile

        return scipy.io.wavfile.read(target)
    if reader == "pyarrow_parquet":
        import pyarrow.parquet as pq

        return pq.read_table(target)
    raise AssertionError(reader)


@dataclass
class Finding:
    reader: str
    kind: str
    message: str
    where: str
    how: list[str]
    saved: Path | None = None


def _names_file(message: str, reader: str, target: Path) -> bool:
    """Whether a RotordxError message names the file it is about."""
    names = {target.name, target.parent.name}
    if reader == "manifest":
        names |= {"rec.csv", "rec.parquet", CWRU_NAME, WAV_NAME, "rec.tdms", "rec.uff"}
    return any(n and n in message for n in names)


def run_one(
    reader: str, target: Path, options: dict, *, slow: float
) -> tuple[str, Finding | None, str | None]:
    """Read one input; return its outcome (``"accepted"`` or an exception name), any
    finding and the exception's message."""
    t0 = time.perf_counter()
    finding, msg = None, None
    try:
        result = _call(reader, target, options)
    except RotordxError as exc:
        outcome = type(exc).__name__
        msg = str(exc)
        if not _names_file(msg, reader, target):
            finding = Finding(reader, f"{outcome} without the file name", msg, "message", [])
        elif "np.float64(" in msg:
            finding = Finding(reader, f"{outcome} with a numpy repr", msg, "message", [])
        elif "\n" in msg:
            finding = Finding(reader, f"{outcome} of several lines", msg, "message", [])
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # anything else is a finding, even MemoryError / SystemExit
        msg = f"{type(exc).__name__}: {exc}"[:500]
        tb = traceback.extract_tb(exc.__traceback__)
        frame = next((f for f in reversed(tb) if "rotordx" in f.filename), tb[-1] if tb else None)
        where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
        if reader in REFERENCE_READERS and not isinstance(exc, MemoryError):
            outcome = f"rejected ({type(exc).__name__})"  # a native parser may raise anything
        else:
            outcome = f"{type(exc).__name__} (finding)"
            finding = Finding(reader, type(exc).__name__, str(exc)[:300], where, [])
    else:
        outcome = "accepted"
        problem = None if reader in REFERENCE_READERS else _check_result(reader, result)
        if problem:
            outcome = "accepted, wrong (finding)"
            finding = Finding(reader, "silently wrong output", problem, "result", [])
    elapsed = time.perf_counter() - t0
    if finding is None and elapsed > slow:
        finding = Finding(reader, "slow", f"took {elapsed:.1f} s", "time", [])
    return outcome, finding, msg


# -- isolation: pre-forked workers ------------------------------------------------------------


def _vm_size() -> int:
    """This process's address-space size in bytes (0 if unknown)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _limit_memory(memory_mb: float) -> None:
    """Cap this process's address space at what it holds now plus ``memory_mb`` MiB."""
    if memory_mb <= 0:
        return
    limit = _vm_size() + int(memory_mb * 2**20)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _peak_rss_kib() -> int:
    """High-water resident memory (KiB) of this process and of its waited-for children
    (the child that reads a Parquet file)."""
    return max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )


def _job(task: dict) -> dict:
    """What a worker does with one task: read the input, return outcome and finding.

    A peak resident memory above ``task["rss_mib"]`` while reading is a finding even when
    the reader ended with a DataError (a native parser may have caught its own
    MemoryError); the worker is then replaced, so that the next input starts from a low
    high-water mark. The library's Parquet child gets half of ``task["memory_mb"]``.
    """
    import warnings

    from rotordx.io import _limits

    if "memory_mb" in task:
        _limits.MAX_PARQUET_MEMORY = int(task["memory_mb"] * 2**20 / 2)
        _limits.MAX_READER_MEMORY = int(task["memory_mb"] * 2**20 / 2)
    if "reader_timeout" in task:  # the TDMS / UFF child, before the worker itself is killed
        _limits.READER_TIMEOUT = _limits.PARQUET_TIMEOUT = task["reader_timeout"]
    before = _peak_rss_kib()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        outcome, finding, message = run_one(
            task["reader"], Path(task["target"]), task["options"], slow=task["slow"]
        )
    peak = _peak_rss_kib()
    over = "rss_mib" in task and peak > before and peak > task["rss_mib"] * 1024
    if over and finding is None:
        finding = Finding(task["reader"], "memory", f"peak RSS {peak // 1024} MiB", "rss", [])
    return {
        "outcome": outcome,
        "message": message,
        "recycle": over,
        "finding": None
        if finding is None
        else {"kind": finding.kind, "message": finding.message, "where": finding.where},
    }


def _send(sock: socket.socket, obj: dict) -> None:
    sock.sendall(json.dumps(obj).encode() + b"\n")


class _Worker:
    """A forked process that reads tasks (JSON lines) from a socket and answers each."""

    def __init__(self, job: Callable[[dict], dict], memory_mb: float, log: Path) -> None:
        parent, child = socket.socketpair()
        self.log = log
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            code = 0
            try:
                parent.close()
                _limit_memory(memory_mb)
                with open(log, "w") as fh:
                    faulthandler.enable(file=fh)
                    self._serve(child, job, fh)
            except BaseException:
                code = 70
            finally:
                os._exit(code)
        child.close()
        self.pid, self.sock, self.buf = pid, parent, b""
        self.task: dict | None = None
        self.started = 0.0
        self.done = 0

    @staticmethod
    def _serve(sock: socket.socket, job: Callable[[dict], dict], log) -> None:
        reader = sock.makefile("rb")
        for line in reader:
            log.seek(0)
            log.truncate()
            try:
                answer = job(json.loads(line))
            except MemoryError:
                answer = {"outcome": "MemoryError (finding)", "finding": None, "memory": True}
            _send(sock, answer)

    def submit(self, task: dict) -> None:
        self.task, self.started = task, time.monotonic()
        _send(self.sock, task)

    def receive(self) -> dict | None:
        """The answer, once a whole line has arrived; ``None`` while incomplete. Raises
        EOFError when the worker is gone."""
        data = self.sock.recv(1 << 16)
        if not data:
            raise EOFError
        self.buf += data
        if b"\n" not in self.buf:
            return None
        line, self.buf = self.buf.split(b"\n", 1)
        self.done += 1
        return json.loads(line)

    def death(self) -> tuple[str, str]:
        """Reap the dead worker: ``(kind, where)`` of its end (signal or exit status)."""
        _, status = os.waitpid(self.pid, 0)
        self.sock.close()
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            kind = f"signal {signal.Signals(sig).name}" if sig in signal.valid_signals() else ""
            kind = kind or f"signal {sig}"
        else:
            kind = f"worker exited with status {os.WEXITSTATUS(status)}"
        return kind, self._where()

    def _where(self) -> str:
        """The innermost Python frame faulthandler wrote when the worker crashed."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "?"
        frames = re.findall(r'File "([^"]+)", line (\d+)', text)
        return f"{Path(frames[0][0]).name}:{frames[0][1]}" if frames else "native code"

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.sock.close()


class WorkerPool:
    """``jobs`` pre-forked workers running ``job(task)`` under a memory and a time limit.

    :meth:`run` feeds tasks from an iterator and yields ``(task, answer)``; a worker that
    dies (a signal, an exit) or overruns ``timeout`` seconds gives an answer with
    ``"death"`` (the kind and the Python frame, if any) and is replaced.
    """

    def __init__(
        self,
        job: Callable[[dict], dict] = _job,
        *,
        jobs: int = 1,
        timeout: float = 20.0,
        memory_mb: float = 1024.0,
        logs: Path | None = None,
        recycle: int = 2000,
    ) -> None:
        self.job, self.jobs, self.timeout, self.memory_mb = job, max(1, jobs), timeout, memory_mb
        self.logs = Path(logs or tempfile.mkdtemp(prefix="rotordx-fuzz-logs-"))
        self.recycle = recycle
        self.workers: list[_Worker] = []
        self._n = 0

    def _spawn(self) -> _Worker:
        self._n += 1
        w = _Worker(self.job, self.memory_mb, self.logs / f"worker-{self._n}.log")
        self.workers.append(w)
        return w

    def close(self) -> None:
        for w in self.workers:
            w.kill()
        self.workers = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, tasks, *, deadline: float | None = None):
        """Yield ``(task, answer)`` for the tasks of the iterable ``tasks`` (not started
        after ``deadline``, a ``time.monotonic()`` value)."""
        tasks = iter(tasks)
        exhausted = False
        sel = selectors.DefaultSelector()
        try:
            while True:
                while not exhausted and len(self.workers) < self.jobs:
                    self._spawn()
                for w in self.workers:
                    if w.task is None and not exhausted:
                        if deadline is not None and time.monotonic() > deadline:
                            exhausted = True
                            break
                        task = next(tasks, None)
                        if task is None:
                            exhausted = True
                            break
                        w.submit(task)
                        sel.register(w.sock, selectors.EVENT_READ, w)
                busy = [w for w in self.workers if w.task is not None]
                if not busy:
                    return
                wait = min(w.started + self.timeout for w in busy) - time.monotonic()
                for key, _ in sel.select(timeout=max(wait, 0.0)):
                    w = key.data
                    try:
                        answer = w.receive()
                    except (EOFError, ConnectionError):
                        task = w.task
                        sel.unregister(w.sock)
                        kind, where = w.death()
                        self.workers.remove(w)
                        yield task, {"outcome": f"{kind} (finding)", "death": [kind, where]}
                        continue
                    if answer is not None:
                        task, w.task = w.task, None
                        sel.unregister(w.sock)
                        if w.done >= self.recycle or answer.get("recycle"):  # a fresh one
                            w.kill()
                            self.workers.remove(w)
                        yield task, answer
                now = time.monotonic()
                for w in [w for w in busy if w in self.workers and w.task is not None]:
                    if now - w.started > self.timeout:
                        task = w.task
                        sel.unregister(w.sock)
                        w.kill()
                        self.workers.remove(w)
                        kind = f"hang (over {self.timeout:g} s)"
                        yield task, {"outcome": f"{kind} (finding)", "death": [kind, "time"]}
        finally:
            sel.close()


class StreamMismatch(Exception):
    """The chunked KAMP reader and the whole-file reader disagree (always a finding)."""


def _stream_vs_whole(target: Path):
    """Read ``target`` both ways; the whole-file result when they agree."""
    from rotordx.io import read_kamp_sensor
    from rotordx.io.kamp_stream import iter_kamp_sensor

    try:
        whole = read_kamp_sensor(target)
    except RotordxError as exc:
        whole = exc
    try:
        chunks = list(iter_kamp_sensor(target, block_bytes=4096))
    except RotordxError as exc:
        if not isinstance(whole, RotordxError) or str(exc) != str(whole):
            raise StreamMismatch(f"stream rejected ({exc}); whole-file: {whole}") from None
        raise
    if isinstance(whole, RotordxError):
        raise StreamMismatch(f"stream accepted; whole-file rejected: {whole}")
    t = np.concatenate([c[0] for c in chunks])
    v = np.column_stack([np.concatenate(x) for x in zip(*(c[1] for c in chunks), strict=True)])
    if not (np.array_equal(t, whole.time) and np.array_equal(v, whole.values)):
        raise StreamMismatch("stream and whole-file readers returned different numbers")
    return whole


@dataclass
# -- the fuzzing loop -------------------------------------------------------------------------


@dataclass
class Report:
    tried: Counter = field(default_factory=Counter)
    outcomes: dict = field(default_factory=lambda: defaultdict(Counter))
    findings: list = field(default_factory=list)
    seconds: float = 0.0

    def unique_findings(self) -> list[Finding]:
        seen, out = set(), []
        for f in self.findings:
            key = (f.reader, f.kind, f.where)
            if key not in seen:
                seen.add(key)
                out.append(f)
        return out

    def kinds(self) -> Counter:
        """Findings by kind (``signal SIGSEGV``, ``hang (over 20 s)``, ``MemoryError``…)."""
        return Counter(f.kind for f in self.findings)


def _make_input(reader: str, seeds: Seeds, rng: random.Random, work: Path) -> tuple[Path, dict]:
    """Write one mutated input for ``reader`` into the empty folder ``work``."""
    options: dict = {}
    pick = rng.random()
    kind = INPUTS_OF.get(reader, reader)
    if kind in ("kamp_sensor", "kamp_stream", "kamp_group"):
        k = rng.randrange(4)
        for s in range(4):
            (work / f"g1_sensor{s + 1}.csv").write_bytes(seeds.kamp[s])
        data, how = _mutate(seeds.kamp[k], rng, text=True)
        target = work / f"g1_sensor{k + 1}.csv"
        if kind != "kamp_group":
            for s in range(4):
                if s != k:
                    (work / f"g1_sensor{s + 1}.csv").unlink()
    elif kind == "csv":
        base = seeds.csv[rng.randrange(2)]
        data, how = _mutate(base, rng, text=True)
        target = work / "rec.csv"
        options["rate"] = None if base.startswith(b"time") and rng.random() < 0.7 else 1000.0
    elif kind == "parquet":
        tmp = work / ".seed"
        tmp.mkdir()
        if pick < 0.3:
            data, how = _random_parquet(tmp, rng)
        elif pick < 0.6:
            data, how = _mutate_structured(seeds.parquet, rng, _mutate_parquet)
        else:
            data, how = _mutate(seeds.parquet, rng, text=False)
        shutil.rmtree(tmp)
        target = work / "rec.parquet"
        options["rate"] = rng.choice((None, None, 1000.0))
    elif kind == "cwru":
        tmp = work / ".seed"
        tmp.mkdir()
        if pick < 0.25:
            data, how = _random_mat(tmp, rng)
        elif pick < 0.65:
            data, how = _mutate_structured(seeds.mat[rng.randrange(4)], rng, _mutate_mat)
        else:
            data, how = _mutate(seeds.mat[rng.randrange(4)], rng, text=False)
        shutil.rmtree(tmp)
        target = work / CWRU_NAME
        chans = ["DE", "FE", "BA"]
        options["channels"] = rng.sample(chans, rng.randint(1, 3))
    elif kind == "wav":
        seed = seeds.wav[rng.randrange(len(seeds.wav))]
        if pick < 0.6:
            data, how = _mutate_structured(seed, rng, _mutate_wav)
        else:
            data, how = _mutate(seed, rng, text=False)
        target = work / WAV_NAME
    elif kind in ("tdms", "uff", "matlab"):
        pool = {"tdms": seeds.tdms, "uff": seeds.uff, "matlab": seeds.matlab}[kind]
        k = rng.randrange(len(pool))
        seed = pool[k]
        mutator = {"tdms": ff.mutate_tdms, "uff": ff.mutate_uff, "matlab": _mutate_mat}[kind]
        if pick < 0.6:
            data, how = _mutate_structured(seed, rng, mutator)
        else:
            data, how = _mutate(seed, rng, text=kind == "uff")
        target = work / f"rec.{'mat' if kind == 'matlab' else kind}"
        lists = {"tdms": ff.TDMS_CHANNELS, "uff": ff.UFF_CHANNELS, "matlab": ff.MATLAB_CHANNELS}
        options["channels"] = ff.channels_for(lists[kind], k, rng)
        options["rate"] = rng.choice((None,) * 6 + (5000.0, 1000.0))
    elif kind == "manifest":
        _write_manifest_targets(work, seeds)
        data, how = _mutate(seeds.manifest, rng, text=True)
        target = work / "manifest.csv"
    else:
        raise AssertionError(reader)
    target.write_bytes(data)
    how = [*how, f"options {options}"] if options else how
    return target, {"options": options, "how": how}


def _command(reader: str, target: Path, options: dict) -> str:
    """A one-line command that reads ``target`` as ``reader`` does (outside the fuzzer)."""
    t = repr(str(target))
    calls = {
        "scipy_mat": f"import scipy.io; scipy.io.loadmat({t})",
        "scipy_wav": f"import scipy.io.wavfile; scipy.io.wavfile.read({t})",
        "pyarrow_parquet": f"import pyarrow.parquet as pq; pq.read_table({t})",
        "nptdms": f"from nptdms import TdmsFile; f = TdmsFile.read({t}); "
        "[c[:] for g in f.groups() for c in g.channels()]",
        "pyuff": f"import pyuff; pyuff.UFF({t}).read_sets()",
        **dict.fromkeys(
            ("tdms", "uff", "matlab"),
            f"from rotordx.io import read_recording; read_recording({t}, "
            f"channels={tuple(options['channels']) if options.get('channels') else None!r}, "
            f"rate={options.get('rate')!r})",
        ),
        "cwru": "from rotordx.io import read_cwru; "
        f"read_cwru({t}, channels={tuple(options.get('channels') or ('DE',))!r})",
        "parquet": f"from rotordx.io import read_channels; read_channels({t}, "
        f"rate={options.get('rate')!r})",
        "csv": f"from rotordx.io import read_channels; read_channels({t}, "
        f"rate={options.get('rate')!r})",
        "wav": "from rotordx.io import ManifestEntry, load_entry; "
        f"load_entry(ManifestEntry(path=__import__('pathlib').Path({t}), label='x'))",
        "manifest": "from rotordx.io import load_entry, read_manifest; "
        f"[load_entry(e) for e in read_manifest({t})]",
    }
    code = calls.get(reader, f"from rotordx.io import read_kamp_sensor; read_kamp_sensor({t})")
    return f'python -c "{code}"'


def _save_finding(finding: Finding, work: Path, out: Path, target: Path, info: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    n = len(list(out.glob(f"{finding.reader}-*")))
    dest = out / f"{finding.reader}-{n}"
    shutil.copytree(work, dest, ignore=shutil.ignore_patterns(".seed"))
    (dest / "finding.json").write_text(
        json.dumps(
            {
                "reader": finding.reader,
                "target": target.name,
                "options": info["options"],
                "how": info["how"],
                "kind": finding.kind,
                "message": finding.message,
                "where": finding.where,
                "replay": f"python scripts/fuzz_readers.py --replay {dest}",
                "command": _command(finding.reader, dest / target.name, info["options"]),
            },
            indent=2,
        )
        + "\n"
    )
    return dest


def _finding_of(reader: str, target: Path, answer: dict) -> Finding | None:
    if "death" in answer:
        kind, where = answer["death"]
        what = "did not finish" if kind.startswith("hang") else f"died: {kind}"
        return Finding(reader, kind, f"the worker reading {target.name} {what}", where, [])
    if answer.get("memory"):
        return Finding(reader, "MemoryError", "the worker ran out of memory", "worker", [])
    f = answer.get("finding")
    return None if f is None else Finding(reader, f["kind"], f["message"], f["where"], [])


def fuzz(
    *,
    seconds: float | None = None,
    examples: int | None = None,
    seed: int = 0,
    readers: tuple[str, ...] = READERS,
    out: Path | None = None,
    slow: float = 10.0,
    progress: Callable[[str], None] | None = None,
    jobs: int = 1,
    timeout: float = 20.0,
    memory_mb: float = 1024.0,
    rss_mb: float = 1536.0,
) -> Report:
    """Feed mutated inputs to ``readers`` in turn until ``seconds`` pass or every reader has
    had ``examples`` inputs (whichever comes first), each read in a worker process of a
    :class:`WorkerPool` (``jobs`` workers, ``timeout`` s and ``memory_mb`` MiB per input;
    a peak RSS above ``rss_mb`` MiB is a finding). Findings are copied to ``out``."""
    import warnings

    if seconds is None and examples is None:
        raise ValueError("give seconds or examples")
    report = Report()
    rngs = {r: random.Random(f"{seed}:{r}") for r in readers}
    t_start = time.perf_counter()
    deadline = None if seconds is None else time.monotonic() + seconds
    root = Path(tempfile.mkdtemp(prefix="rotordx-fuzz-"))
    issued: Counter = Counter()
    pending: dict[int, tuple[str, Path, Path, dict]] = {}

    def tasks():
        i = 0
        while True:
            active = [r for r in readers if examples is None or issued[r] < examples]
            if not active:
                return
            reader = active[i % len(active)]
            i += 1
            work = root / f"in-{i}"
            work.mkdir()
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                target, info = _make_input(reader, seeds, rngs[reader], work)
            issued[reader] += 1
            pending[i] = (reader, work, target, info)
            yield {
                "id": i,
                "reader": reader,
                "target": str(target),
                "options": info["options"],
                "slow": slow,
                "memory_mb": memory_mb,
                "rss_mib": rss_mb,
                "reader_timeout": timeout / 2,
            }

    try:
        seeds = Seeds.make(root)
        (root / "logs").mkdir()
        pool = WorkerPool(jobs=jobs, timeout=timeout, memory_mb=memory_mb, logs=root / "logs")
        with pool:
            for task, answer in pool.run(tasks(), deadline=deadline):
                reader, work, target, info = pending.pop(task["id"])
                report.tried[reader] += 1
                report.outcomes[reader][answer["outcome"]] += 1
                finding = _finding_of(reader, target, answer)
                if finding is not None:
                    finding.how = info["how"]
                    if out is not None:
                        finding.saved = _save_finding(finding, work, out, target, info)
                    report.findings.append(finding)
                    if progress:
                        progress(f"finding: {reader}: {finding.kind}: {finding.message[:120]}")
                shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report.seconds = time.perf_counter() - t_start
    return report


def print_report(report: Report, file=sys.stdout) -> None:
    total = sum(report.tried.values())
    print(f"fuzzed {total} inputs in {report.seconds:.0f} s (each in a worker process)", file=file)
    for reader, n in report.tried.items():
        outs = ", ".join(f"{k} {v}" for k, v in report.outcomes[reader].most_common())
        print(f"  {reader:15s} {n:6d} inputs: {outs}", file=file)
    uniq = report.unique_findings()
    kinds = ", ".join(f"{k}: {v}" for k, v in report.kinds().most_common()) or "none"
    print(f"findings: {len(report.findings)} ({len(uniq)} distinct); by kind: {kinds}", file=file)
    for f in uniq:
        print(f"- {f.reader}: {f.kind} at {f.where}: {f.message[:200]}", file=file)
        print(f"    input: {'; '.join(f.how)}", file=file)
        if f.saved is not None:
            print(f"    reproduce: python scripts/fuzz_readers.py --replay {f.saved}", file=file)


# -- replay and minimise ----------------------------------------------------------------------


def _isolated(reader: str, target: Path, options: dict, *, timeout: float, memory_mb: float):
    """``(answer, message)`` of reading ``target`` once in a fresh worker."""
    task = {"id": 0, "reader": reader, "target": str(target), "options": options, "slow": 1e9}
    logs = Path(tempfile.mkdtemp(prefix="rotordx-replay-"))
    try:
        with WorkerPool(_job, jobs=1, timeout=timeout, memory_mb=memory_mb, logs=logs) as pool:
            ((_, answer),) = list(pool.run([task]))
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    return answer


def replay(folder: Path, *, timeout: float = 20.0, memory_mb: float = 1024.0) -> int:
    """Re-run one saved finding in a worker process; 1 if it is still a finding."""
    info = json.loads((folder / "finding.json").read_text())
    target = folder / info["target"]
    print(f"{info['reader']} on {target} ({'; '.join(info['how'])})")
    answer = _isolated(
        info["reader"], target, info["options"], timeout=timeout, memory_mb=memory_mb
    )
    finding = _finding_of(info["reader"], target, answer)
    print(f"outcome: {answer['outcome']}")
    if answer.get("message"):
        print(f"message: {answer['message']}")
    if finding is not None:
        print(f"finding: {finding.kind} at {finding.where}: {finding.message}")
    print(f"outside the fuzzer: {_command(info['reader'], target, info['options'])}")
    return 1 if finding is not None else 0


def minimize(folder: Path, *, timeout: float = 20.0, memory_mb: float = 1024.0) -> Path:
    """Shrink the input of a saved crash (a signal death) while it still crashes: remove
    ever smaller byte ranges, then set bytes to 0, each try in a fresh worker. Writes
    ``minimized-<name>`` into ``folder`` and returns its path."""
    info = json.loads((folder / "finding.json").read_text())
    reader, name, options = info["reader"], info["target"], info["options"]
    data = (folder / name).read_bytes()
    work = Path(tempfile.mkdtemp(prefix="rotordx-minimize-"))
    tries = 0

    def crashes(candidate: bytes) -> bool:
        nonlocal tries
        tries += 1
        (work / name).write_bytes(candidate)
        answer = _isolated(reader, work / name, options, timeout=timeout, memory_mb=memory_mb)
        return answer.get("death", [""])[0].startswith("signal")

    try:
        if not crashes(data):
            raise SystemExit(f"{folder}: the input does not crash {reader}; nothing to minimise")
        chunk = max(len(data) // 2, 1)
        while True:
            i, changed = 0, False
            while i < len(data):
                candidate = data[:i] + data[i + chunk :]
                if candidate and crashes(candidate):
                    data, changed = candidate, True
                else:
                    i += chunk
            if chunk == 1 and not changed:
                break
            chunk = max(chunk // 2, 1) if not changed else chunk
        for i in range(len(data)):
            if data[i] and crashes(data[:i] + b"\0" + data[i + 1 :]):
                data = data[:i] + b"\0" + data[i + 1 :]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    dest = folder / f"minimized-{name}"
    dest.write_bytes(data)
    print(f"{len(data)} bytes after {tries} tries: {dest}")
    print(f"bytes.fromhex({data.hex()!r})")
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, help="time budget for all readers together")
    ap.add_argument("--examples", type=int, help="stop after this many inputs per reader")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--readers",
        default=",".join(READERS),
        help=f"comma-separated subset of {', '.join(ALL_READERS)} (default: the rotordx ones)",
    )
    ap.add_argument("--out", type=Path, default=Path("fuzz-findings"), help="findings folder")
    ap.add_argument("--slow", type=float, default=10.0, help="seconds per input that count")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds before a worker is killed")
    ap.add_argument("--memory", type=float, default=1024.0, help="MiB a worker may add (RLIMIT_AS)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--rss", type=float, default=1536.0, help="peak RSS (MiB) that counts")
    ap.add_argument("--replay", type=Path, help="re-run one saved finding")
    ap.add_argument("--minimize", type=Path, help="shrink the input of one saved crash")
    args = ap.parse_args(argv)
    if args.replay:
        return replay(args.replay, timeout=args.timeout, memory_mb=args.memory)
    if args.minimize:
        minimize(args.minimize, timeout=args.timeout, memory_mb=args.memory)
        return 0
    readers = tuple(r.strip() for r in args.readers.split(",") if r.strip())
    unknown = [r for r in readers if r not in ALL_READERS]
    if unknown:
        ap.error(f"unknown reader(s) {unknown}; expected some of {', '.join(ALL_READERS)}")
    if args.seconds is None and args.examples is None:
        args.seconds = 60.0
    report = fuzz(
        seconds=args.seconds,
        examples=args.examples,
        seed=args.seed,
        readers=readers,
        out=args.out,
        slow=args.slow,
        progress=lambda m: print(m, file=sys.stderr, flush=True),
        jobs=args.jobs,
        timeout=args.timeout,
        memory_mb=args.memory,
        rss_mb=args.rss,
    )
    print_report(report)
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
