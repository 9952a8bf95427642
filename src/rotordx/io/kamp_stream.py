"""Read KAMP sensor files piece by piece, with the same checks as :func:`read_kamp_sensor`.

Long recordings need not be held in memory whole: :class:`KampSensorReader`
hands out consecutive chunks ``(time, values)`` of one sensor file. It reads
the text a block of whole lines at a time and has pyarrow's multi-threaded
CSV parser convert each block (pyarrow's own streaming reader would read
dozens of blocks ahead, hundreds of MiB for a long file); given a thread
pool, it parses and checks the next block in the background while the caller
works on the current one. Every chunk is checked as it arrives (five numbers
per line, finite values, accelerations within
:data:`~rotordx.io._limits.MAX_ACCELERATION`, strictly increasing time, also
across chunk boundaries). When a check fails, the file is handed to
:func:`rotordx.io.kamp.read_kamp_sensor`, so the error message is exactly the
one the whole-file reader gives.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError
from rotordx.io._limits import MAX_ACCELERATION
from rotordx.io.kamp import (
    COLUMNS,
    MIN_SPAN_RATIO,
    N_SENSORS,
    find_groups,
    load_kamp_group,
    read_kamp_sensor,
)

__all__ = [
    "READ_BLOCK_BYTES",
    "Chunk",
    "KampSensorReader",
    "check_group_spans",
    "group_paths",
    "iter_kamp_sensor",
    "last_time",
]

#: Bytes of CSV text per chunk (about 43,000 lines of a KAMP file; 4 MiB of text and
#: 1.7 MiB of numbers in memory per chunk).
READ_BLOCK_BYTES = 4 << 20

#: A chunk: sample times (n,) and one (n,) array per machine state.
Chunk = tuple[np.ndarray, list[np.ndarray]]


def group_paths(directory: str | os.PathLike[str], *, group: int | None = None) -> list[Path]:
    """The sensor files of one group in ``directory``, checked as :func:`load_kamp_group` does."""
    directory = Path(directory)
    groups = find_groups(directory) if directory.is_dir() else []
    if group is None and len(groups) == 1:
        group = groups[0]
    if group is not None:
        paths = [directory / f"g{group}_sensor{s}.csv" for s in range(1, N_SENSORS + 1)]
        if all(p.is_file() for p in paths):
            return paths
    load_kamp_group(directory, group=group)  # raises the reader's own error
    raise DataError(f"{directory}: group {group} cannot be read")  # pragma: no cover


def check_group_spans(directory: Path, group: int | None, spans: list[float]) -> None:
    """The group-level check of :func:`load_kamp_group` (no sensor much shorter than another).

    ``spans`` are the sensors' time spans, known once every file was read; on
    failure the whole-group reader raises its own message.
    """
    if min(spans) < MIN_SPAN_RATIO * max(spans):
        load_kamp_group(directory, group=group)
        raise DataError(f"{directory}: a sensor of group {group} is truncated")  # pragma: no cover


def last_time(path: str | os.PathLike[str]) -> float | None:
    """The time on the last line of a sensor file, read from its end; None if unreadable.

    For progress displays only: nothing is checked, the readers check the file.
    """
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - 4096))
            lines = fh.read().split(b"\n")
        for line in reversed(lines):
            if line.strip():
                return float(line.split(b",", 1)[0])
    except (OSError, ValueError):
        pass
    return None


def pa_buffer(data: bytes):
    """``data`` as a pyarrow buffer (no copy)."""
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import

    return pa.py_buffer(data)


class _Invalid(Exception):
    """A chunk failed a check; the whole-file reader names the problem."""


class KampSensorReader:
    """Consecutive validated chunks of one KAMP sensor file.

    Parameters
    ----------
    path : path-like
    block_bytes : int
        CSV bytes per chunk.
    executor : Executor, optional
        Parse the next chunk in the background on this pool.

    Attributes
    ----------
    first_time : float
        Time of the first sample (known once the reader is open).
    last_time : float
        Time of the last sample handed out so far.
    rows : int
        Lines handed out so far.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        block_bytes: int = READ_BLOCK_BYTES,
        executor: Executor | None = None,
    ):
        import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
        from pyarrow import csv as pacsv  # lazy: pyarrow takes a fraction of a second to import

        self.path = Path(path)
        if not self.path.is_file() or self.path.stat().st_size == 0:
            self._fail()
        names = list(COLUMNS)
        self._block_bytes = max(1 << 12, int(block_bytes))
        self._options = {
            "read_options": pacsv.ReadOptions(
                column_names=names, block_size=max(1 << 14, self._block_bytes // 4)
            ),
            "parse_options": pacsv.ParseOptions(newlines_in_values=False),
            "convert_options": pacsv.ConvertOptions(
                column_types={n: pa.float64() for n in names}, null_values=[]
            ),
        }
        self._file = self.path.open("rb")
        self._rest = b""
        try:
            self._start(executor)
        except BaseException:
            self._file.close()
            raise

    def _start(self, executor: Executor | None) -> None:
        self._executor = executor
        self._future: Future | None = None
        self.rows = 0
        self._parsed_last: float | None = None
        self._ended = False
        first = self._get()
        if first is None:
            self._fail()
        self._pending: Chunk | None = first
        self.first_time = float(first[0][0])
        self.last_time = self.first_time
        self._prefetch()

    def _fail(self, exc: BaseException | None = None):
        """Raise the whole-file reader's error for this file (it names line and column)."""
        read_kamp_sensor(self.path)
        raise DataError(f"{self.path}: {exc or 'could not be read'}") from exc

    def _next_table(self):
        """The next whole lines of text (about ``block_bytes``) parsed by pyarrow, or None.

        Reading the text ourselves keeps the memory at one block: pyarrow's own
        streaming reader reads dozens of blocks ahead. Each block is parsed by
        pyarrow's multi-threaded CSV reader, a quarter at a time per thread.
        """
        from pyarrow import csv as pacsv  # lazy: pyarrow takes a fraction of a second to import

        while True:
            rest = len(self._rest)
            buf = bytearray(rest + self._block_bytes)
            buf[:rest] = self._rest
            view = memoryview(buf)
            got = self._file.readinto(view[rest:])
            end = rest + got
            if got:
                cut = buf.rfind(b"\n", 0, end) + 1
                if cut == 0:  # no line end yet
                    self._rest = bytes(view[:end])
                    continue
                text, self._rest = view[:cut], bytes(view[cut:end])
            elif rest:
                text, self._rest = view[:rest], b""
            else:
                return None
            table = pacsv.read_csv(pa_buffer(text), **self._options)
            if table.num_rows:
                return table

    def _parse(self) -> Chunk | BaseException | None:
        """Parse and check the next chunk (may run on the pool); errors are returned."""
        import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import

        try:
            table = self._next_table()
            if table is None:
                return None
            cols = [c.to_numpy() for c in table.columns]
            time = cols[0]
            # two reductions per column: a NaN makes max/min NaN and fails every
            # comparison, so "within the limits" also means finite; a strictly
            # increasing time with finite ends is finite throughout
            for c in cols[1:]:
                if not (c.max() <= MAX_ACCELERATION and c.min() >= -MAX_ACCELERATION):
                    raise _Invalid
            if not (np.isfinite(time[0]) and np.isfinite(time[-1])):
                raise _Invalid
            prev = self._parsed_last
            if (prev is not None and not time[0] > prev) or (
                time.shape[0] > 1 and not np.diff(time).min() > 0
            ):
                raise _Invalid
            self._parsed_last = float(time[-1])
            return time, cols[1:]
        except (_Invalid, pa.ArrowInvalid, UnicodeDecodeError) as exc:
            return exc

    def _get(self) -> Chunk | None:
        result = self._future.result() if self._future is not None else self._parse()
        self._future = None
        if isinstance(result, BaseException):
            self._fail(None if isinstance(result, _Invalid) else result)
        if result is None:
            self._ended = True
            if self.rows < 2:
                self._fail()
            return None
        self.rows += result[0].shape[0]
        return result

    def _prefetch(self) -> None:
        if self._executor is not None and not self._ended and self._future is None:
            self._future = self._executor.submit(self._parse)

    @property
    def exhausted(self) -> bool:
        """Whether every chunk has been handed out."""
        return self._ended and self._pending is None

    def read(self) -> Chunk | None:
        """The next chunk ``(time (n,), [values (n,) per machine state])``, None at the end."""
        if self._pending is not None:
            out, self._pending = self._pending, None
        elif self._ended:
            return None
        else:
            out = self._get()
        if out is not None:
            self.last_time = float(out[0][-1])
            self._prefetch()
        return out

    def close(self) -> None:
        """Release the file (waits for a chunk being parsed in the background)."""
        if self._future is not None:
            self._future.result()
            self._future = None
        self._file.close()


def iter_kamp_sensor(
    path: str | os.PathLike[str], *, block_bytes: int = READ_BLOCK_BYTES
) -> Iterator[Chunk]:
    """Chunks ``(time (n,), [values (n,) per machine state])`` of one KAMP file, validated."""
    reader = KampSensorReader(path, block_bytes=block_bytes)
    try:
        while (chunk := reader.read()) is not None:
            yield chunk
    finally:
        reader.close()
