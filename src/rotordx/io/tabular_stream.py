"""A CSV recording read block by block, for recordings too long to hold whole.

:func:`scan_csv` reads a CSV file once in blocks of rows (pyarrow's streaming
CSV reader), checking what :func:`rotordx.io.tabular.read_channels` checks
(numbers only, no empty cell, finite, plausible magnitudes, time strictly
increasing and nearly uniform) and counting the samples; the rate from a
time column is the same ``1 / median(step)`` (the median from a count of the
distinct steps, exact). It returns a :class:`CsvStream` whose
:meth:`~CsvStream.blocks` reads the samples again, block by block, each
time they are needed: the samples are never held whole, so the memory is
that of one block however long the file.

Where the scan finds anything :func:`read_channels` would refuse, or a time
column with too many distinct steps to count, it returns None: the caller
then reads the file whole with :func:`read_channels`, whose message names
the line and column. Parquet, WAV and ``.mat`` files are read whole by their
hardened readers (Parquet in an isolated child process, docs/inputs.md).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError
from rotordx.io._limits import MAX_ABS_VALUE
from rotordx.io.tabular import MIN_SAMPLES, TIME_NAMES, csv_options

__all__ = ["BLOCK_BYTES", "CsvStream", "scan_csv"]

#: Bytes of CSV text parsed at a time.
BLOCK_BYTES = 4 * 2**20
#: Most distinct time steps counted for the median; more: read the file whole.
MAX_DISTINCT_STEPS = 4096


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
    """Something read_channels would refuse (it says what), or too many distinct steps."""


def _batches(path: Path):
    from pyarrow import csv as pacsv  # lazy: pyarrow takes a fraction of a second to import

    read, convert, _, _ = csv_options(path, block_size=BLOCK_BYTES)
    with pacsv.open_csv(path, read_options=read, convert_options=convert) as reader:
        yield from reader


def _median(steps: Counter) -> float:
    """``np.median`` of the steps counted in ``steps``, exactly."""
    values = sorted(steps)
    n = sum(steps.values())
    want = [(n - 1) // 2, n // 2]
    found, seen = [], 0
    for v in values:
        seen += steps[v]
        while len(found) < 2 and want[len(found)] < seen:
            found.append(v)
    return float(np.mean(np.array(found, dtype=np.float64)))


def _scan(path: Path, rate: float | None) -> CsvStream:
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import

    names: list[str] | None = None
    time_i = None
    n = 0
    last_t = None
    steps: Counter = Counter()
    try:
        for batch in _batches(path):
            if names is None:
                names = [str(c) for c in batch.schema.names]
                if len(set(names)) != len(names):
                    raise _NotStreamable
                time_i = next((i for i, c in enumerate(names) if c.lower() in TIME_NAMES), None)
            for i, col in enumerate(batch.columns):
                if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
                    raise _NotStreamable
                if col.null_count:
                    raise _NotStreamable
                x = col.to_numpy(zero_copy_only=False).astype(np.float64)
                if not np.isfinite(x).all():
                    raise _NotStreamable
                if i == time_i:
                    t = x if last_t is None else np.concatenate([[last_t], x])
                    dt = np.diff(t)
                    if (dt <= 0).any():
                        raise _NotStreamable
                    values, counts = np.unique(dt, return_counts=True)
                    steps.update(dict(zip(values.tolist(), counts.tolist(), strict=True)))
                    if len(steps) > MAX_DISTINCT_STEPS:
                        raise _NotStreamable
                    last_t = float(x[-1]) if x.size else last_t
                elif x.size and np.abs(x).max() > MAX_ABS_VALUE:
                    raise _NotStreamable
            n += batch.num_rows
    except (pa.ArrowException, UnicodeDecodeError, OSError, DataError):
        raise _NotStreamable from None
    if names is None or n < MIN_SAMPLES:
        raise _NotStreamable
    channels = tuple(c for i, c in enumerate(names) if i != time_i)
    if not channels:
        raise _NotStreamable
    if rate is None:
        if time_i is None:
            raise _NotStreamable
        med = _median(steps)
        if min(steps) < 0.95 * med or max(steps) > 1.05 * med:
            raise _NotStreamable  # read_channels names the first uneven step
        rate = 1.0 / med
    if isinstance(rate, bool) or not (isinstance(rate, int | float) and np.isfinite(rate)):
        raise _NotStreamable
    if rate <= 0:
        raise _NotStreamable
    return CsvStream(path, float(rate), channels, n, tuple(names))


def scan_csv(path: str | os.PathLike[str], *, rate: float | None = None) -> CsvStream | None:
    """Scan a CSV recording for reading block by block; None where it must be read whole.

    ``rate`` as for :func:`~rotordx.io.tabular.read_channels` (needed without a
    time column). The stream gives the same rate, channels and samples as
    ``read_channels(path, rate=rate)``.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv" or not path.is_file():
        return None
    try:
        return _scan(path, rate)
    except _NotStreamable:
        return None
