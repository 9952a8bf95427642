"""Chunked resampling of a KAMP group: long recordings without holding them whole.

:class:`GroupStream` reads the four sensor files of a group chunk by chunk
(:class:`rotordx.io.kamp_stream.KampSensorReader`, parsing ahead on a small
thread pool), interpolates each sensor onto the seed's uniform grid as its
samples arrive, and hands out blocks of grid samples that every sensor has
reached. Memory stays at a few chunks per sensor plus a few blocks, whatever
the length of the recording.

The result is bit for bit the whole-array one
(:func:`rotordx.data.seed.resample_group`):

* grid point ``i`` is ``i * (1/fs)``, exactly the value numpy's ``arange``
  puts at index ``i``;
* a grid point is interpolated only once the samples on both sides of it are
  known, between the same two samples and with the same arithmetic as the
  whole-array :func:`rotordx.signal.interp_linear`;
* the grid's end is decided once the last samples are known, as the
  whole-array code decides it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rotordx.classes import KAMP_CLASSES
from rotordx.exceptions import DataError
from rotordx.io.kamp_stream import (
    READ_BLOCK_BYTES,
    KampSensorReader,
    check_group_spans,
    group_paths,
)
from rotordx.signal.resample import grid_size, grid_times

__all__ = [
    "BLOCK_ROWS",
    "GridBlock",
    "GroupStream",
    "first_index_at_or_after",
    "grid_span",
]

#: Grid samples per block handed out (8 MiB for 4 sensors x 4 machine states).
BLOCK_ROWS = 1 << 16
#: Grid points held back until the end of the files is known: the grid's last point
#: depends on how ``arange`` rounds its length (at most one point is in question).
_HOLD = 2


def first_index_at_or_after(t: float, *, fs: float) -> int:
    """Smallest ``i >= 0`` whose grid time ``i * (1/fs)`` is at least ``t``."""
    step = 1.0 / fs
    i = max(0, math.ceil(t * fs))
    while i > 0 and (i - 1) * step >= t:
        i -= 1
    while i * step < t:
        i += 1
    return i


def _first_indices(t: np.ndarray, fs: float) -> np.ndarray:
    """:func:`first_index_at_or_after` of every element of ``t`` (t >= 0, vectorised)."""
    step = 1.0 / fs
    c = np.ceil(t * fs)
    c -= (c - 1.0) * step >= t
    c += c * step < t
    return c.astype(np.int64)


def grid_span(*, start: float, end: float, fs: float) -> tuple[int, int]:
    """Indices ``[i0, i1)`` of the seed's grid on ``[start, end]``, cut as the whole-array code.

    The grid is ``np.arange(0, end, 1/fs)``, from ``t0 = ceil(start * fs) / fs``
    when the sensors start after 0, without points beyond ``end``; empty
    (``i1 == i0``) when the span is shorter than two grid periods.
    """
    t0 = 0.0 if start <= 0 else math.ceil(start * fs) / fs
    if end - t0 < 2.0 / fs:
        return 0, 0
    step = 1.0 / fs
    i1 = grid_size(fs=fs, duration=end)
    while i1 > 0 and (i1 - 1) * step > end:
        i1 -= 1
    i0 = first_index_at_or_after(t0, fs=fs) if t0 > 0 else 0
    return i0, i1


@dataclass(frozen=True)
class GridBlock:
    """Consecutive grid samples of every sensor and machine state.

    Attributes
    ----------
    start : int
        Grid index of the first sample (its time is ``start * (1/fs)``).
    values : np.ndarray [shape=(n_classes, n, n_sensors)]
    """

    start: int
    values: np.ndarray

    @property
    def stop(self) -> int:
        """Grid index after the last sample."""
        return self.start + self.values.shape[1]


class _Blocks:
    """Output blocks that the sensors fill in, each at its own pace."""

    def __init__(self, *, start: int, rows: int, n_sensors: int) -> None:
        self.start = start
        self.rows = rows
        self.n_sensors = n_sensors
        self.live: dict[int, np.ndarray] = {}
        self.released = 0  # blocks handed out

    def segments(self, a: int, b: int) -> Iterator[tuple[np.ndarray, int, int, int]]:
        """Where grid rows ``[a, b)`` go: (block, first row in it, first source row, count)."""
        pos = a
        while pos < b:
            number, row = divmod(pos - self.start, self.rows)
            blk = self.live.get(number)
            if blk is None:
                blk = self.live[number] = np.empty((len(KAMP_CLASSES), self.rows, self.n_sensors))
            count = min(b - pos, self.rows - row)
            yield blk, row, pos - a, count
            pos += count

    def pop(self, upto: int, *, final: bool = False) -> Iterator[GridBlock]:
        """Hand out the blocks that end at or before grid row ``upto`` (all of them if final)."""
        while True:
            first = self.start + self.released * self.rows
            if first >= upto or (not final and first + self.rows > upto):
                return
            blk = self.live.pop(self.released)
            self.released += 1
            n = min(self.rows, upto - first)
            yield GridBlock(start=first, values=blk if n == self.rows else blk[:, :n])


class _SensorGrid:
    """One sensor interpolated onto the grid as its chunks arrive."""

    def __init__(
        self, reader: KampSensorReader, j: int, *, fs: float, start: int, limit: int, out: _Blocks
    ) -> None:
        self.reader = reader
        self.j = j
        self.fs = fs
        self.next = start  # next grid index to interpolate
        self.limit = limit  # only grid indices below this (the duration)
        self.out = out
        self.t_last = np.empty(0)  # the last two samples seen
        self.x_last: list[np.ndarray] = []

    def _write(self, a: int, w: np.ndarray, left, right) -> None:
        """Write ``left + (right - left) * w`` of every machine state into grid rows ``a …``.

        ``left`` and ``right`` hold, per machine state, the bracketing samples:
        arrays aligned with ``w``, or one sample each for all of ``w``.
        """
        for c in range(len(KAMP_CLASSES)):
            xl, xr = left[c], right[c]
            # ``right`` arrays are temporaries (takes): subtract in place
            diff = np.subtract(xr, xl, out=xr if isinstance(xr, np.ndarray) else None)
            diff *= w
            for blk, row, src, count in self.out.segments(a, a + w.shape[0]):
                xs = xl if np.ndim(xl) == 0 else xl[src : src + count]
                np.add(diff[src : src + count], xs, out=blk[c, row : row + count, self.j])

    def _outside(self, g0: float, g1: float, t1: float):
        raise DataError(
            f"{self.reader.path}: grid [{g0:g}, {g1:g}] s lies outside the recording "
            f"[{self.reader.first_time:g}, {t1:g}] s"
        )

    def step(self) -> bool:
        """Read and interpolate the next chunk; False at the end of the file."""
        chunk = self.reader.read()
        if chunk is None:
            return False
        t, cols = chunk
        fs = self.fs
        if self.t_last.shape[0]:
            # between the previous chunk's last sample and this chunk's first
            stop = min(self.limit, first_index_at_or_after(float(t[0]), fs=fs))
            if stop > self.next:
                g = grid_times(self.next, stop, fs=fs)
                tp = self.t_last[-1]
                w = np.subtract(g, tp)
                w /= t[0] - tp
                self._write(self.next, w, [x[-1] for x in self.x_last], [x[0] for x in cols])
                self.next = stop
        elif self.next < self.limit and self.next * (1.0 / fs) < t[0]:
            g0 = self.next * (1.0 / fs)
            self._outside(g0, g0, float(t[-1]))
        # inside this chunk: grid points before its last sample (their bracket is final)
        stop = min(self.limit, first_index_at_or_after(float(t[-1]), fs=fs))
        if stop > self.next:
            a = self.next
            c = _first_indices(t, fs)
            np.subtract(c, a, out=c)
            np.clip(c, 0, stop - a, out=c)
            hi = np.cumsum(np.bincount(c, minlength=stop - a + 1)[: stop - a])
            lo = hi - 1
            g = grid_times(a, stop, fs=fs)
            tl = t.take(lo)
            w = np.subtract(g, tl)
            span = t.take(hi)
            span -= tl
            w /= span
            self._write(a, w, [x.take(lo) for x in cols], [x.take(hi) for x in cols])
            self.next = stop
        if t.shape[0] >= 2 or not self.x_last:
            self.t_last, self.x_last = t[-2:].copy(), [x[-2:].copy() for x in cols]
        else:  # a one-line chunk: keep the previous last sample beside it
            self.t_last = np.concatenate((self.t_last, t))[-2:]
            self.x_last = [
                np.concatenate((p, x))[-2:] for p, x in zip(self.x_last, cols, strict=True)
            ]
        return True

    def finish(self, stop: int) -> None:
        """At the end of the file: grid points up to ``stop`` (the last may be the last sample)."""
        if stop <= self.next:
            return
        g = grid_times(self.next, stop, fs=self.fs)
        t = self.t_last
        if g[-1] > t[-1] or g[0] < t[0]:
            self._outside(float(g[0]), float(g[-1]), float(t[-1]))
        w = np.subtract(g, t[0])
        w /= t[1] - t[0]
        self._write(self.next, w, [x[0] for x in self.x_last], [x[1] for x in self.x_last])
        self.next = stop


class GroupStream:
    """A KAMP group read and resampled onto the seed's grid, block by block.

    Parameters
    ----------
    directory : path-like
        Folder with ``g{N}_sensor{1..4}.csv``.
    group : int, optional
        Group number if the folder holds several.
    fs : float
        Grid rate in Hz.
    duration : float
        Grid end in seconds (shortened to the data).
    block_rows : int
        Grid samples per block handed out (the last block may be shorter).
    block_bytes : int
        CSV bytes parsed per chunk.
    threads : int, optional
        Threads parsing ahead (default: the usable cores, at most one per
        sensor); 1 parses in the calling thread.

    Attributes
    ----------
    group : int
    paths : list of Path
    start : int
        Grid index of the first sample (0 unless a sensor starts after 0 s).
    stop : int or None
        Grid index after the last sample, known once :meth:`blocks` is exhausted.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        group: int | None = None,
        fs: float = 1000.0,
        duration: float = 140.0,
        block_rows: int = BLOCK_ROWS,
        block_bytes: int = READ_BLOCK_BYTES,
        threads: int | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.paths = group_paths(self.directory, group=group)
        self.group = int(self.paths[0].name[1:].split("_", 1)[0])
        self.fs = float(fs)
        self.duration = float(duration)
        self.block_rows = int(block_rows)
        self.block_bytes = int(block_bytes)
        if threads is None:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
            threads = min(len(self.paths), cores or os.cpu_count() or 1)
        self.threads = max(1, int(threads))
        self.start = 0
        self.stop: int | None = None

    def blocks(self) -> Iterator[GridBlock]:
        """The resampled group, in order: blocks of (n_classes, n, n_sensors) grid samples."""
        pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None
        readers: list[KampSensorReader] = []
        try:
            for p in self.paths:
                readers.append(KampSensorReader(p, block_bytes=self.block_bytes, executor=pool))
            yield from self._blocks(readers)
        finally:
            for r in readers:
                r.close()
            if pool is not None:
                pool.shutdown(wait=True)

    def _blocks(self, readers: list[KampSensorReader]) -> Iterator[GridBlock]:
        fs = self.fs
        begin = max(r.first_time for r in readers)
        i0, _ = grid_span(start=begin, end=self.duration, fs=fs)
        limit = grid_size(fs=fs, duration=self.duration)
        self.start = i0
        out = _Blocks(start=i0, rows=self.block_rows, n_sensors=len(readers))
        sensors = [
            _SensorGrid(r, j, fs=fs, start=i0, limit=limit, out=out) for j, r in enumerate(readers)
        ]
        live = list(sensors)
        while live:
            behind = min(live, key=lambda s: s.next)  # keep the sensors in step
            if not behind.step():
                live.remove(behind)
                continue
            yield from out.pop(min(s.next for s in sensors) - _HOLD)
        check_group_spans(self.directory, self.group, [r.last_time - r.first_time for r in readers])
        end = min(self.duration, min(r.last_time for r in readers))
        lo, hi = grid_span(start=begin, end=end, fs=fs)
        if hi - lo <= 0:
            t0 = 0.0 if begin <= 0 else math.ceil(begin * fs) / fs
            raise DataError(
                f"group {self.group}: sensors overlap only from {t0:g} s to {end:g} s; "
                "too short to resample"
            )
        for s in sensors:
            s.finish(hi)
        self.stop = hi
        yield from out.pop(hi, final=True)

    def read_all(self) -> tuple[int, np.ndarray]:
        """The whole resampled group: first grid index and (n_classes, n, n_sensors) values."""
        parts = [b.values for b in self.blocks()]
        return self.start, np.concatenate(parts, axis=1)
