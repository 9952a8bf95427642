"""Generic multi-channel recordings: CSV or Parquet, one column per channel."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.io._limits import MAX_ABS_VALUE, first_too_large
from rotordx.io.containers import check_parquet, read_parquet_isolated
from rotordx.io.recording import Recording

__all__ = ["TIME_NAMES", "csv_options", "read_channels"]

#: Names of a time column (any case).
TIME_NAMES = ("time", "t", "time_s", "seconds")


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
    row that is not all numbers is the header.
    """
    from pyarrow import csv as pacsv  # lazy: pyarrow takes a fraction of a second to import

    first = _first_line(path)
    if first is None:
        raise DataError(
            f"{path}: file is empty; expected one column per channel (a header row is optional)"
        )
    cells = [c.strip() for c in first[1].split(",")]
    header = not all(_is_number(c) for c in cells)
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


def read_channels(path: str | os.PathLike[str], *, rate: float | None = None) -> Recording:
    """Read a CSV (header optional) or Parquet file whose columns are channels.

    A column named ``time`` (or ``t``, ``time_s``, ``seconds``) is taken as the
    time axis: it must be strictly increasing and nearly uniform, and gives the
    rate when ``rate`` is not given. Without one, ``rate`` is required.

    Raises
    ------
    DataError
        Unknown extension; unreadable, truncated or empty file; fewer than two
        rows; repeated column names; a cell that is not a number, NaN or
        infinite, or (in a channel) larger in magnitude than
        :data:`~rotordx.io._limits.MAX_ABS_VALUE` (1e12); no rate; time not
        strictly increasing or uneven. The message names the file, the line
        (CSV; the header is line 1) or row (Parquet; 1-based) and the column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        check_parquet(path)  # magic at both ends, a footer inside the file
        # pyarrow in a child process with memory and time limits: DataError on any failure
        table = read_parquet_isolated(path)
        header, start = False, 1

        def where(i: int) -> str:
            return f"row {i + 1}"

    elif suffix in (".csv", ".txt"):
        table, header, start = _read_csv(path)

        def where(i: int) -> str:
            return f"line {_csv_line(path, i, header, start)}"

    else:
        raise DataError(f"{path}: unknown extension {path.suffix!r}; expected .csv or .parquet")
    try:
        names = [str(n) for n in table.column_names]
    except UnicodeDecodeError as exc:
        line = f"line {start}, " if header else ""
        raise DataError(
            f"{path}: {line}column names: found {exc.object[exc.start : exc.end]!r}, not UTF-8 "
            "text; expected readable column names"
        ) from None
    dup = [n for i, n in enumerate(names) if n in names[:i]]
    if dup:
        line = f"line {start}, " if header else ""
        raise DataError(f"{path}: {line}column {dup[0]!r} repeated; expected distinct column names")
    n_rows = table.num_rows
    too_few = DataError(
        f"{path}: {n_rows} data row{'' if n_rows == 1 else 's'}; expected at least "
        f"{MIN_SAMPLES} samples per channel"
    )
    if n_rows == 0:  # (the column types of an empty CSV are unknown)
        raise too_few
    cols = {n: _numeric_column(path, n, table.column(i), where) for i, n in enumerate(names)}
    if n_rows < MIN_SAMPLES:
        raise too_few
    for n, x in cols.items():
        bad = ~np.isfinite(x)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{path}: {where(i)}, column {n!r}: found {float(x[i])!r}, expected a finite number"
            )
    time_col = next((n for n in names if n.lower() in TIME_NAMES), None)
    if time_col is not None:
        t = cols.pop(time_col)
        dt = np.diff(t)
        if (dt <= 0).any():
            i = int(np.argmax(dt <= 0)) + 1
            found = (
                f"{float(t[i])!r} again"
                if dt[i - 1] == 0
                else f"{float(t[i])!r} after {float(t[i - 1])!r}"
            )
            raise DataError(
                f"{path}: {where(i)}, column {time_col!r}: time does not increase (found "
                f"{found}); expected strictly increasing time"
            )
        if rate is None:
            med = float(np.median(dt))
            off = np.abs(dt - med) > 0.05 * med
            if off.any():
                i = int(np.argmax(off)) + 1
                raise DataError(
                    f"{path}: {where(i)}, column {time_col!r}: time step {float(dt[i - 1]):g} s, "
                    f"the median step is {med:g} s; expected steps within 5% of the median "
                    "(resample first, or pass --rate)"
                )
            rate = 1.0 / med
            if not np.isfinite(rate):
                raise DataError(
                    f"{path}: column {time_col!r}: found time steps of {med:g} s; expected "
                    "steps that give a finite sample rate"
                )
    if rate is None:
        raise DataError(f"{path}: no time column; give the sample rate with --rate")
    if isinstance(rate, bool) or not (
        isinstance(rate, int | float | np.integer | np.floating) and np.isfinite(rate) and rate > 0
    ):
        raise ParameterError(f"rate must be a positive number of Hz, got {rate!r}")
    if not cols:
        raise DataError(f"{path}: no channel columns; expected at least one besides {time_col!r}")
    X = np.vstack(list(cols.values()))
    big = first_too_large(X, MAX_ABS_VALUE)
    if big is not None:
        ch, i = big
        raise DataError(
            f"{path}: {where(i)}, column {list(cols)[ch]!r}: found {float(X[ch, i]):g}; "
            f"expected |x| <= {MAX_ABS_VALUE:g} (no plausible measurement in any unit)"
        )
    return Recording(name=str(path), signals=X, fs=float(rate), channel_names=tuple(cols))
