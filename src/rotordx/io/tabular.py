"""Generic multi-channel recordings: CSV or Parquet, one column per channel, with or
without a time column (which columns are time: :mod:`rotordx.io._time`)."""

from __future__ import annotations

import contextlib
import csv
import os
import re
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.io._limits import MAX_ABS_VALUE, first_too_large
from rotordx.io._time import (
    MIN_HEADERLESS_ROWS,
    TIME_NAMES,
    is_counter,
    time_rate,
    time_scale,
)
from rotordx.io.containers import check_parquet, read_parquet_isolated
from rotordx.io.recording import Recording

__all__ = ["TIME_NAMES", "csv_options", "read_channels"]

#: Names of an index column (pandas writes one without a name, or ``Unnamed: 0`` when read
#: back and written again): dropped when it counts 0, 1, 2, …
_INDEX_NAMES = ("", "index", "unnamed: 0", "unnamed:0")
#: A cell that starts like an ISO 8601 date and time (``2024-01-31T12:00:00.5``).
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _is_data(text: str) -> bool:
    """Whether a cell of the first line is data (a number or an ISO date and time)."""
    return _is_number(text) or bool(_ISO.match(text))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: Fewest samples a recording may hold.
MIN_SAMPLES = 2


def _first_line(path: Path) -> tuple[int, str] | None:
    """Number and text of the first non-blank line of ``path``, or ``None``."""
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                return lineno, line.strip()
    return None


def _csv_rows(path: Path, start: int = 1):
    """``(line number, cells)`` of every non-empty CSV row from line ``start`` on (the rows
    pyarrow reads)."""
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        try:
            for row in reader:
                if row and reader.line_num >= start:
                    yield reader.line_num, row
        except csv.Error:
            return


def _csv_line(path: Path, index: int, header: bool, start: int) -> int:
    """File line of data row ``index`` (0-based) of a CSV file whose first row is on ``start``."""
    for k, (lineno, _) in enumerate(_csv_rows(path, start)):
        if k == index + header:
            return lineno
    return start + index + header


def _csv_problem(path: Path, exc: Exception, start: int) -> str:
    """Slow path after pyarrow failed: name the first line that is not UTF-8 or has too many
    or too few cells."""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as err:
                bad = raw[err.start : err.start + 1]
                return f"line {lineno}: byte {bad!r} is not UTF-8 text; expected numbers"
    expected = None
    for lineno, row in _csv_rows(path, start):
        if expected is None:
            expected = len(row)
        elif len(row) != expected:
            return f"line {lineno} has {len(row)} cells; expected {expected} like the first line"
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"could not be read as CSV ({reason[:200]})"


def csv_options(path: Path, *, block_size: int | None = None):
    """pyarrow's read and convert options for a recording CSV file, and where its rows start.

    Returns ``(read_options, convert_options, header, first_line)``: a first
    row that is not all numbers (or ISO 8601 dates and times) is the header.
    """
    from pyarrow import csv as pacsv  # lazy: pyarrow takes a fraction of a second to import

    first = _first_line(path)
    if first is None:
        raise DataError(
            f"{path}: file is empty; expected one column per channel (a header row is optional)"
        )
    cells = [c.strip() for c in first[1].split(",")]
    header = not all(_is_data(c) for c in cells)
    extra = {} if block_size is None else {"block_size": block_size}
    opts = pacsv.ReadOptions(autogenerate_column_names=not header, skip_rows=first[0] - 1, **extra)
    return opts, pacsv.ConvertOptions(null_values=[]), header, first[0]


def _read_csv(path: Path):
    """The table of a CSV file and whether its first row is a header."""
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    from pyarrow import csv as pacsv  # lazy: pyarrow takes a fraction of a second to import

    opts, convert, header, start = csv_options(path)
    try:
        table = pacsv.read_csv(path, read_options=opts, convert_options=convert)
    except (pa.ArrowException, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: {_csv_problem(path, exc, start)}") from exc
    return table, header, start


def _numeric_column(path: Path, name: str, col, where) -> np.ndarray:
    """Column ``col`` as float64; a DataError naming the first cell that is not a number."""
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import

    if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
        if col.null_count:
            i = int(np.argmax(np.asarray(col.is_null())))
            raise DataError(
                f"{path}: {where(i)}, column {name!r}: found an empty cell (null), "
                "expected a number"
            )
        return col.to_numpy(zero_copy_only=False).astype(np.float64)
    try:
        cells = col.cast(pa.string()).to_pylist()
    except pa.ArrowException:
        cells = []
    for i, cell in enumerate(cells):
        if cell is None or not _is_number(cell):
            found = "an empty cell (null)" if cell is None else repr(cell.strip()[:40])
            raise DataError(
                f"{path}: {where(i)}, column {name!r}: found {found}, expected a number"
            )
    raise DataError(f"{path}: column {name!r}: found {col.type} values, expected numbers")


def _time_column(path: Path, name: str, col, where) -> np.ndarray:
    """A time column in seconds: numbers (scaled by the unit in its name) or ISO 8601 date
    and time (seconds after the first stamp)."""
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import

    scale = time_scale(name)
    if isinstance(scale, str):
        raise DataError(
            f"{path}: column {name!r}: time in {scale!r}; expected seconds (s), "
            "milliseconds (ms) or microseconds (µs)"
        )
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        # not ISO text: the number check below names the cell
        with contextlib.suppress(pa.ArrowException, ValueError):
            col = col.cast(pa.timestamp("ns"))
    if pa.types.is_timestamp(col.type):
        if col.null_count:
            i = int(np.argmax(np.asarray(col.is_null())))
            raise DataError(
                f"{path}: {where(i)}, column {name!r}: found an empty cell (null), "
                "expected a date and time"
            )
        per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[col.type.unit]
        stamps = col.cast(pa.int64()).to_numpy(zero_copy_only=False)
        return (stamps - stamps[0]).astype(np.float64) / per_second
    t = _numeric_column(path, name, col, where)
    return t * (scale or 1.0)


def _finite(path: Path, name: str, x: np.ndarray, where) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{path}: {where(i)}, column {name!r}: found {float(x[i])!r}, expected a finite number"
        )


def read_channels(
    path: str | os.PathLike[str],
    *,
    rate: float | None = None,
    default_rate: float | None = None,
) -> Recording:
    """Read a CSV (header optional) or Parquet file whose columns are channels.

    **Time column.** A column whose name is a time name (:data:`rotordx.io._time.TIME_NAMES`,
    case-insensitive: ``time``, ``t``, ``timestamp``, ``X-Axis``, ``time [s]``, ``Time (ms)``,
    ``time_us`` …; a unit in brackets or a suffix ``_s``/``_ms``/``_us`` scales it to
    seconds) is the time axis; so is the **first column of a headerless CSV** when it
    increases at each of at least 16 rows. Its values are seconds (relative or since 1970)
    or ISO 8601 dates and times. It must be strictly increasing; without ``rate`` it must be
    nearly uniform (every step within 50% of the mean step, every stamp within 4 sample
    periods of the uniform grid) and gives the rate, ``(n - 1) / (t[-1] - t[0])``; with
    ``rate`` the two must agree within 1% and ``rate`` is used. A column counting 0, 1, 2 …
    that is the first of a headerless file, or named ``index`` or nothing, is a sample
    index and is dropped.

    Parameters
    ----------
    rate : float, optional
        The rate the user gives for this file (must agree with a time column).
    default_rate : float, optional
        Used only when the file has no time column (a manifest-wide default).

    Raises
    ------
    DataError
        Unknown extension; unreadable, truncated or empty file; fewer than two
        rows; repeated column names; two time columns; a cell that is not a number, NaN or
        infinite, or (in a channel) larger in magnitude than
        :data:`~rotordx.io._limits.MAX_ABS_VALUE` (1e12); no rate; a time column that does
        not increase, is uneven or disagrees with ``rate``. The message names the file, the
        line (CSV; the header is line 1) or row (Parquet; 1-based) and the column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        check_parquet(path)  # magic at both ends, a footer inside the file
        # pyarrow in a child process with memory and time limits: DataError on any failure
        table = read_parquet_isolated(path)
        header, start = True, 1

        def where(i: int) -> str:
            return f"row {i + 1}"

    elif suffix in (".csv", ".txt"):
        table, header, start = _read_csv(path)

        def where(i: int) -> str:
            return f"line {_csv_line(path, i, header, start)}"

    else:
        raise DataError(f"{path}: unknown extension {path.suffix!r}; expected .csv or .parquet")
    line = f"line {start}, " if header and suffix != ".parquet" else ""
    try:
        names = [str(n) for n in table.column_names]
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: {line}column names: found {exc.object[exc.start : exc.end]!r}, not UTF-8 "
            "text; expected readable column names"
        ) from None
    dup = [n for i, n in enumerate(names) if n in names[:i]]
    if dup:
        raise DataError(f"{path}: {line}column {dup[0]!r} repeated; expected distinct column names")
    n_rows = table.num_rows
    too_few = DataError(
        f"{path}: {n_rows} data row{'' if n_rows == 1 else 's'}; expected at least "
        f"{MIN_SAMPLES} samples per channel"
    )
    if n_rows == 0:  # (the column types of an empty CSV are unknown)
        raise too_few
    timed = [n for n in names if time_scale(n) is not None] if header else []
    if len(timed) > 1:
        raise DataError(
            f"{path}: {line}columns {', '.join(repr(n) for n in timed)} are all time columns; "
            "expected one"
        )
    time_col = timed[0] if timed else None
    if not header and _is_timestamp(table.column(0)):
        time_col = names[0]  # a headerless file of ISO dates and times
    t = None if time_col is None else _time_column(path, time_col, table.column(time_col), where)
    cols = {
        n: _numeric_column(path, n, table.column(i), where)
        for i, n in enumerate(names)
        if n != time_col
    }
    if n_rows < MIN_SAMPLES:
        raise too_few
    if t is not None:
        _finite(path, time_col, t, where)
    for n, x in cols.items():
        _finite(path, n, x, where)
    for n in [names[0]] if names[0] in cols else []:  # the file's first column:
        if (not header or n.strip().lower() in _INDEX_NAMES) and is_counter(cols[n]):
            del cols[n]  # a sample index (headerless, or a column named index or nothing)
        elif (
            not header
            and time_col is None
            and n_rows >= MIN_HEADERLESS_ROWS
            and bool(np.all(np.diff(cols[n]) > 0))
        ):
            time_col, t = n, cols.pop(n)
    if t is not None:

        def at(i: int | None) -> str:
            return f"{path}: {where(i) + ', ' if i is not None else ''}column {time_col!r}"

        rate = time_rate(t, rate=rate, at=at, given="the rate given")
    elif rate is None:
        rate = default_rate
    if rate is None:
        raise DataError(f"{path}: no time column; give the sample rate with --rate")
    if isinstance(rate, bool) or not (
        isinstance(rate, int | float | np.integer | np.floating) and np.isfinite(rate) and rate > 0
    ):
        raise ParameterError(f"rate must be a positive number of Hz, got {rate!r}")
    if not cols:
        what = f"besides {time_col!r}" if time_col is not None else "besides the sample index"
        raise DataError(f"{path}: no channel columns; expected at least one {what}")
    X = np.vstack(list(cols.values()))
    big = first_too_large(X, MAX_ABS_VALUE)
    if big is not None:
        ch, i = big
        raise DataError(
            f"{path}: {where(i)}, column {list(cols)[ch]!r}: found {float(X[ch, i]):g}; "
            f"expected |x| <= {MAX_ABS_VALUE:g} (no plausible measurement in any unit)"
        )
    return Recording(name=str(path), signals=X, fs=float(rate), channel_names=tuple(cols))


def _is_timestamp(col) -> bool:
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import

    return pa.types.is_timestamp(col.type)
