"""A CSV recording read block by block, for recordings too long to hold whole.

:func:`scan_csv` reads a CSV file once in blocks of rows (pyarrow's streaming
CSV reader), checking what :func:`rotordx.io.tabular.read_channels` checks
(numbers only, no empty cell, finite, plausible magnitudes) and counting the
samples. It applies ``read_channels``' rules for the time axis
(:mod:`rotordx.io._time`): a time column by its name (``time``, ``X-Axis``,
``time [ms]``…, scaled to seconds), the first column of a headerless file
when it increases at every row over at least 16 rows, a first column counting
0, 1, 2 … dropped as a sample index; the rate ``(n - 1) / (t[-1] - t[0])``
rounded by ``nominal_rate``, every step within 50 % of the mean step (checked
from the smallest and largest step) and, without a rate, every stamp within 4
periods of the uniform grid (a second pass over the file, since the grid is
known only at the end); a rate given must agree within 1 %. It returns a
:class:`CsvStream` whose :meth:`~CsvStream.blocks` reads the samples again,
block by block, each time they are needed: the samples are never held whole,
so the memory is that of one block however long the file.

Where the scan finds anything :func:`read_channels` would refuse, or a time
column it does not read (ISO dates and times, a unit it does not know, two
time columns), it returns None: the caller then reads the file whole with
:func:`read_channels`, whose message names the line and column. Parquet, WAV
and ``.mat`` files are read whole by their hardened readers (Parquet in an
isolated child process, docs/inputs.md).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError
from rotordx.io._limits import MAX_ABS_VALUE
from rotordx.io._time import (
    MAX_STEP_DEVIATION,
    MAX_TIME_DRIFT,
    MAX_TIME_VALUE,
    MIN_HEADERLESS_ROWS,
    agree,
    nominal_rate,
    time_scale,
)
from rotordx.io.tabular import _INDEX_NAMES, MIN_SAMPLES, csv_options

__all__ = ["BLOCK_BYTES", "CsvStream", "scan_csv"]

#: Bytes of CSV text parsed at a time.
BLOCK_BYTES = 4 * 2**20


@dataclass(frozen=True)
class CsvStream:
    """A scanned CSV recording: its rate, channels and length, its samples on demand."""

    path: Path
    fs: float
    channel_names: tuple[str, ...]
    length: int
    columns: tuple[str, ...]

    def blocks(self, channels: tuple[str, ...] | None = None) -> Iterator[np.ndarray]:
        """Consecutive ``(n_channels, n)`` float64 blocks of ``channels`` (default all)."""
        names = channels or self.channel_names
        idx = [self.columns.index(c) for c in names]
        for batch in _batches(self.path):
            yield np.vstack(
                [batch.column(i).to_numpy(zero_copy_only=False).astype(np.float64) for i in idx]
            )


class _NotStreamable(Exception):
    """Something read_channels would refuse (it says what), or a time axis the scan leaves to it."""


def _batches(path: Path):
    from pyarrow import csv as pacsv  # lazy: pyarrow takes a fraction of a second to import

    read, convert, _, _ = csv_options(path, block_size=BLOCK_BYTES)
    with pacsv.open_csv(path, read_options=read, convert_options=convert) as reader:
        yield from reader


class _Axis:
    """What the scan keeps of a column that is (or may be) a time axis, block by block."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.n = 0
        self.first = self.last = None
        self.min_step = math.inf
        self.max_step = -math.inf
        self.increasing = True
        self.counter = True  # whole numbers increasing by exactly 1 (before scaling)
        self.max_abs = 0.0

    def add(self, x: np.ndarray) -> None:
        if not x.size:
            return
        if self.first is None and float(x[0]) != round(float(x[0])):
            self.counter = False
        raw = x if self.last is None else np.concatenate([[self.last[0]], x])
        d = np.diff(raw)
        if d.size:
            self.counter = self.counter and bool(np.all(d == 1.0))
        t = x * self.scale
        tt = t if self.last is None else np.concatenate([[self.last[1]], t])
        dt = np.diff(tt)
        if dt.size:
            self.increasing = self.increasing and bool(np.all(dt > 0))
            self.min_step = min(self.min_step, float(dt.min()))
            self.max_step = max(self.max_step, float(dt.max()))
        self.max_abs = max(self.max_abs, float(np.abs(t).max()))  # seconds
        if self.first is None:
            self.first = float(t[0])
        self.last = (float(x[-1]), float(t[-1]))
        self.n += x.size


def _rate(path: Path, axis: _Axis, column: int, rate: float | None) -> float:
    """``time_rate``'s rate of a time axis scanned as ``axis``; _NotStreamable where
    ``time_rate`` would refuse it (it says why)."""
    if axis.max_abs > MAX_TIME_VALUE or not axis.increasing:
        raise _NotStreamable
    n = axis.n
    span = float(axis.last[1] - axis.first)
    mean = span / (n - 1)
    own = 1.0 / mean if mean > 0 else math.inf
    if not math.isfinite(own):
        raise _NotStreamable
    if rate is not None:
        if not agree(own, float(rate)):
            raise _NotStreamable
        return float(rate)
    if max(abs(axis.max_step - mean), abs(axis.min_step - mean)) > MAX_STEP_DEVIATION * mean:
        raise _NotStreamable
    k = 0
    t0 = axis.first
    for batch in _batches(path):  # the grid is known now: a second pass over the time column
        t = batch.column(column).to_numpy(zero_copy_only=False).astype(np.float64) * axis.scale
        drift = np.abs(t - (t0 + np.arange(k, k + t.size) * mean)) / mean
        if drift.size and float(drift.max()) > MAX_TIME_DRIFT:
            raise _NotStreamable
        k += t.size
    return nominal_rate(own)


def _scan(path: Path, rate: float | None, default_rate: float | None) -> CsvStream:
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import

    try:
        _, _, header, _ = csv_options(path)
    except DataError:
        raise _NotStreamable from None
    names: list[str] | None = None
    time_i: int | None = None
    axis: _Axis | None = None  # the time column, or the first column (index? time?)
    n = 0
    try:
        for batch in _batches(path):
            if names is None:
                names = [str(c) for c in batch.schema.names]
                if len(set(names)) != len(names):
                    raise _NotStreamable
                timed = [i for i, c in enumerate(names) if header and time_scale(c) is not None]
                if len(timed) > 1:
                    raise _NotStreamable
                if timed:
                    time_i = timed[0]
                    scale = time_scale(names[time_i])
                    if isinstance(scale, str):
                        raise _NotStreamable  # a unit that is not a time unit
                    axis = _Axis(scale or 1.0)
                else:
                    axis = _Axis(1.0)  # the first column, watched
            for i, col in enumerate(batch.columns):
                if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
                    raise _NotStreamable
                if col.null_count:
                    raise _NotStreamable
                x = col.to_numpy(zero_copy_only=False).astype(np.float64)
                if not np.isfinite(x).all():
                    raise _NotStreamable
                if i == (0 if time_i is None else time_i):
                    axis.add(x)
                if i != time_i and x.size and np.abs(x).max() > MAX_ABS_VALUE:
                    raise _NotStreamable
            n += batch.num_rows
    except (pa.ArrowException, UnicodeDecodeError, OSError, DataError):
        raise _NotStreamable from None
    if names is None or n < MIN_SAMPLES:
        raise _NotStreamable
    channels = [c for i, c in enumerate(names) if i != time_i]
    if time_i is None:  # the file's first column: a sample index, or a headerless time axis
        first = names[0]
        if (not header or first.strip().lower() in _INDEX_NAMES) and axis.counter:
            channels.remove(first)
        elif not header and n >= MIN_HEADERLESS_ROWS and axis.increasing:
            time_i = 0
            channels.remove(first)
    if not channels:
        raise _NotStreamable
    if time_i is not None:
        rate = _rate(path, axis, time_i, rate)
    elif rate is None:
        rate = default_rate
    if rate is None:
        raise _NotStreamable
    if isinstance(rate, bool) or not (isinstance(rate, int | float) and np.isfinite(rate)):
        raise _NotStreamable
    if rate <= 0:
        raise _NotStreamable
    return CsvStream(path, float(rate), tuple(channels), n, tuple(names))


def scan_csv(
    path: str | os.PathLike[str], *, rate: float | None = None, default_rate: float | None = None
) -> CsvStream | None:
    """Scan a CSV recording for reading block by block; None where it must be read whole.

    ``rate`` and ``default_rate`` as for :func:`~rotordx.io.tabular.read_channels`
    (``rate`` must agree with a time column; ``default_rate`` serves only a file
    without one). The stream gives the same rate, channels and samples as
    ``read_channels(path, rate=rate, default_rate=default_rate)``.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv" or not path.is_file():
        return None
    try:
        return _scan(path, rate, default_rate)
    except _NotStreamable:
        return None
