#!/usr/bin/env python
"""Bounded fuzzing of rotordx's readers: mutated KAMP CSVs, CSV/Parquet recordings, CWRU-style
.mat files and manifests.

Valid seed files are generated, then mutated (byte flips, truncation, inserted text or bytes,
deleted / duplicated / swapped lines, swapped columns, special numbers such as ``nan`` or
``1e400``) or regenerated with random structure (.mat variables of other types and shapes,
Parquet columns of other types, names and lengths), and fed to

* ``kamp_sensor``: :func:`rotordx.io.read_kamp_sensor`
* ``kamp_stream``: the chunked reader :func:`rotordx.io.kamp_stream.iter_kamp_sensor` (4 KiB
  chunks) against ``read_kamp_sensor``: both must reject with the same message, or both accept
  the same numbers
* ``kamp_group``: :func:`rotordx.io.load_kamp_group` (one of the four sensors mutated)
* ``csv``: :func:`rotordx.io.read_channels` on a CSV file (with or without ``rate``)
* ``parquet``: :func:`rotordx.io.read_channels` on a Parquet file
* ``cwru``: :func:`rotordx.io.read_cwru` (random channels)
* ``manifest``: :func:`rotordx.io.read_manifest`, then :func:`rotordx.io.load_entry` for
  every entry (the manifest lists a CSV, a Parquet, a .mat and a WAV file)

A :class:`~rotordx.exceptions.RotordxError` whose message names the file is the expected
outcome for a bad input. A *finding* is any other exception, a RotordxError that does not
name the file, an input that took longer than ``--slow`` seconds, or an accepted input whose
result is wrong (NaN or infinite values, time not increasing, no samples, a rate that is not
a positive number, values beyond the documented bounds). Each finding is saved under
``--out`` with a reproducer::

    python scripts/fuzz_readers.py --seconds 300            # exit status 1 if findings
    python scripts/fuzz_readers.py --examples 50 --seed 3   # 50 inputs per reader
    python scripts/fuzz_readers.py --replay fuzz-findings/cwru-17   # re-run one finding

Runs are deterministic for a given ``--seed`` (only how many inputs fit in the time budget
varies).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from rotordx.exceptions import RotordxError
from rotordx.io._limits import MAX_ABS_VALUE, MAX_ACCELERATION

READERS = ("kamp_sensor", "kamp_stream", "kamp_group", "csv", "parquet", "cwru", "manifest")
CWRU_NAME = "12k_Drive_End_IR007_0_105.mat"
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


def _mat_bytes(tmp: Path, variables: dict, *, compress: bool = False) -> bytes:
    import scipy.io

    p = tmp / "seed.mat"
    scipy.io.savemat(p, variables, do_compression=compress)
    return p.read_bytes()


@dataclass
class Seeds:
    """Valid inputs, as bytes."""

    kamp: list[bytes]
    csv: list[bytes]
    parquet: bytes
    mat: list[bytes]
    manifest: bytes

    @classmethod
    def make(cls, tmp: Path) -> Seeds:
        kamp = [("\n".join(_kamp_rows(s)) + "\n").encode() for s in range(1, 5)]
        csv = [_csv_text().encode(), _csv_text(header=False).encode()]
        mats = [_mat_bytes(tmp, _mat_vars()), _mat_bytes(tmp, _mat_vars(), compress=True)]
        manifest = (
            "path,label,rate,channel,rpm,condition\n"
            "rec.csv,normal,,a;b,1800,site A\n"
            "rec.parquet,fault,,a,1800,\n"
            f"{CWRU_NAME},inner_race,12000,DE;FE,,0hp\n"
            "rec.wav,normal,,ch0,,\n"
        ).encode()
        return cls(kamp, csv, _parquet_bytes(tmp), mats, manifest)


def _write_manifest_targets(folder: Path, seeds: Seeds) -> None:
    import scipy.io.wavfile

    (folder / "rec.csv").write_bytes(seeds.csv[0])
    (folder / "rec.parquet").write_bytes(seeds.parquet)
    (folder / CWRU_NAME).write_bytes(seeds.mat[0])
    pcm = np.round(_signal(2000)[:2].T * 8000).astype(np.int16)
    scipy.io.wavfile.write(folder / "rec.wav", 8000, pcm)


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
    if reader == "manifest":
        for e, lr in result:
            if not e.path.is_file() or not e.label:
                return f"entry {e}"
            if e.rate is not None and not (np.isfinite(e.rate) and e.rate > 0):
                return f"rate {e.rate!r}"
            limit = MAX_ACCELERATION if e.path.suffix.lower() == ".mat" else MAX_ABS_VALUE
            problem = _check_recording(lr.recording, limit=limit)
            if problem:
                return f"line {e.line}: {problem}"
        return None
    raise AssertionError(reader)


# -- running one input ------------------------------------------------------------------------


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
    if reader == "manifest":
        return [(e, load_entry(e)) for e in read_manifest(target)]
    raise AssertionError(reader)


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
class Finding:
    reader: str
    kind: str
    message: str
    where: str
    how: list[str]
    saved: Path | None = None


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


def _names_file(message: str, reader: str, target: Path) -> bool:
    """Whether a RotordxError message names the file it is about."""
    names = {target.name, target.parent.name}
    if reader == "manifest":
        names |= {"rec.csv", "rec.parquet", CWRU_NAME, "rec.wav"}
    return any(n and n in message for n in names)


def run_one(reader: str, target: Path, options: dict, *, slow: float) -> tuple[str, Finding | None]:
    """Read one input; return its outcome (``"accepted"`` or an exception name) and any
    finding."""
    t0 = time.perf_counter()
    finding = None
    try:
        result = _call(reader, target, options)
    except RotordxError as exc:
        outcome = type(exc).__name__
        msg = str(exc)
        if not _names_file(msg, reader, target):
            finding = Finding(reader, f"{outcome} without the file name", msg, "message", [])
        elif "np.float64(" in msg:
            finding = Finding(reader, f"{outcome} with a numpy repr", msg, "message", [])
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # anything else is a finding, even MemoryError / SystemExit
        outcome = f"{type(exc).__name__} (finding)"
        tb = traceback.extract_tb(exc.__traceback__)
        frame = next((f for f in reversed(tb) if "rotordx" in f.filename), tb[-1] if tb else None)
        where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
        finding = Finding(reader, type(exc).__name__, str(exc)[:300], where, [])
    else:
        problem = _check_result(reader, result)
        outcome = "accepted"
        if problem:
            outcome = "accepted, wrong (finding)"
            finding = Finding(reader, "silently wrong output", problem, "result", [])
    elapsed = time.perf_counter() - t0
    if finding is None and elapsed > slow:
        finding = Finding(reader, "slow", f"took {elapsed:.1f} s", "time", [])
    return outcome, finding


def _make_input(reader: str, seeds: Seeds, rng: random.Random, work: Path) -> tuple[Path, dict]:
    """Write one mutated input for ``reader`` into the empty folder ``work``."""
    options: dict = {}
    structured = rng.random() < 0.3
    if reader in ("kamp_sensor", "kamp_stream", "kamp_group"):
        k = rng.randrange(4)
        for s in range(4):
            (work / f"g1_sensor{s + 1}.csv").write_bytes(seeds.kamp[s])
        data, how = _mutate(seeds.kamp[k], rng, text=True)
        target = work / f"g1_sensor{k + 1}.csv"
        if reader != "kamp_group":
            for s in range(4):
                if s != k:
                    (work / f"g1_sensor{s + 1}.csv").unlink()
    elif reader == "csv":
        base = seeds.csv[rng.randrange(2)]
        data, how = _mutate(base, rng, text=True)
        target = work / "rec.csv"
        options["rate"] = None if base.startswith(b"time") and rng.random() < 0.7 else 1000.0
    elif reader == "parquet":
        tmp = work / ".seed"
        tmp.mkdir()
        if structured:
            data, how = _random_parquet(tmp, rng)
        else:
            data, how = _mutate(seeds.parquet, rng, text=False)
        shutil.rmtree(tmp)
        target = work / "rec.parquet"
        options["rate"] = rng.choice((None, None, 1000.0))
    elif reader == "cwru":
        tmp = work / ".seed"
        tmp.mkdir()
        if structured:
            data, how = _random_mat(tmp, rng)
        else:
            data, how = _mutate(seeds.mat[rng.randrange(2)], rng, text=False)
        shutil.rmtree(tmp)
        target = work / CWRU_NAME
        chans = ["DE", "FE", "BA"]
        options["channels"] = rng.sample(chans, rng.randint(1, 3))
    elif reader == "manifest":
        _write_manifest_targets(work, seeds)
        data, how = _mutate(seeds.manifest, rng, text=True)
        target = work / "manifest.csv"
    else:
        raise AssertionError(reader)
    target.write_bytes(data)
    how = [*how, f"options {options}"] if options else how
    return target, {"options": options, "how": how}


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
            },
            indent=2,
        )
        + "\n"
    )
    return dest


def fuzz(
    *,
    seconds: float | None = None,
    examples: int | None = None,
    seed: int = 0,
    readers: tuple[str, ...] = READERS,
    out: Path | None = None,
    slow: float = 10.0,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Feed mutated inputs to ``readers`` in turn until ``seconds`` pass or every reader has
    had ``examples`` inputs (whichever comes first). Findings are copied to ``out``."""
    import warnings

    if seconds is None and examples is None:
        raise ValueError("give seconds or examples")
    report = Report()
    rngs = {r: random.Random(f"{seed}:{r}") for r in readers}
    t_start = time.perf_counter()
    deadline = None if seconds is None else t_start + seconds
    root = Path(tempfile.mkdtemp(prefix="rotordx-fuzz-"))
    try:
        seeds = Seeds.make(root)
        i = 0
        while True:
            active = [r for r in readers if examples is None or report.tried[r] < examples]
            if not active or (deadline is not None and time.perf_counter() > deadline):
                break
            reader = active[i % len(active)]
            i += 1
            work = root / f"in-{i}"
            work.mkdir()
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                target, info = _make_input(reader, seeds, rngs[reader], work)
                outcome, finding = run_one(reader, target, info["options"], slow=slow)
            report.tried[reader] += 1
            report.outcomes[reader][outcome] += 1
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
    print(f"fuzzed {total} inputs in {report.seconds:.0f} s", file=file)
    for reader, n in report.tried.items():
        outs = ", ".join(f"{k} {v}" for k, v in report.outcomes[reader].most_common())
        print(f"  {reader:12s} {n:6d} inputs: {outs}", file=file)
    uniq = report.unique_findings()
    print(f"findings: {len(report.findings)} ({len(uniq)} distinct)", file=file)
    for f in uniq:
        print(f"- {f.reader}: {f.kind} at {f.where}: {f.message[:200]}", file=file)
        print(f"    input: {'; '.join(f.how)}", file=file)
        if f.saved is not None:
            print(f"    reproduce: python scripts/fuzz_readers.py --replay {f.saved}", file=file)


def replay(folder: Path) -> int:
    """Re-run one saved finding, with the full traceback."""
    info = json.loads((folder / "finding.json").read_text())
    print(f"{info['reader']} on {folder / info['target']} ({'; '.join(info['how'])})")
    try:
        result = _call(info["reader"], folder / info["target"], info["options"])
    except RotordxError as exc:
        print(f"rejected: {type(exc).__name__}: {exc}")
        return 0
    problem = _check_result(info["reader"], result)
    print(f"accepted; {problem or 'output looks valid'}")
    return 1 if problem else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, help="time budget for all readers together")
    ap.add_argument("--examples", type=int, help="stop after this many inputs per reader")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--readers", default=",".join(READERS), help="comma-separated subset")
    ap.add_argument("--out", type=Path, default=Path("fuzz-findings"), help="findings folder")
    ap.add_argument("--slow", type=float, default=10.0, help="seconds per input that count")
    ap.add_argument("--replay", type=Path, help="re-run one saved finding")
    args = ap.parse_args(argv)
    if args.replay:
        return replay(args.replay)
    readers = tuple(r.strip() for r in args.readers.split(",") if r.strip())
    unknown = [r for r in readers if r not in READERS]
    if unknown:
        ap.error(f"unknown reader(s) {unknown}; expected some of {', '.join(READERS)}")
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
    )
    print_report(report)
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
