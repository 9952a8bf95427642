"""Generic multi-channel recordings: CSV or Parquet, one column per channel."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError, ParameterError

__all__ = ["Recording", "read_channels"]

_TIME_NAMES = ("time", "t", "time_s", "seconds")


@dataclass(frozen=True)
class Recording:
    """A uniformly sampled multi-channel recording.

    Attributes
    ----------
    name : str
        Where it came from (file, file:column...).
    signals : np.ndarray [shape=(n_channels, n_samples)]
        Acceleration, channel by channel.
    fs : float
        Sample rate in Hz.
    channel_names : tuple of str
    """

    name: str
    signals: np.ndarray
    fs: float
    channel_names: tuple[str, ...]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.signals.shape[1] / self.fs


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_channels(path: str | os.PathLike[str], *, rate: float | None = None) -> Recording:
    """Read a CSV (header optional) or Parquet file whose columns are channels.

    A column named ``time`` (or ``t``, ``time_s``, ``seconds``) is taken as the
    time axis: it must be strictly increasing and nearly uniform, and gives the
    rate when ``rate`` is not given. Without one, ``rate`` is required.

    Raises
    ------
    DataError
        Unknown extension, unreadable file, non-numeric or non-finite values,
        no rate, uneven time.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import csv as pacsv

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            table = pq.read_table(path)
        elif suffix in (".csv", ".txt"):
            with path.open("r", encoding="utf-8", errors="replace") as fh:
                first = fh.readline().strip()
            if not first:
                raise DataError(f"{path}: file is empty")
            cells = [c.strip() for c in first.split(",")]
            header = not all(_is_number(c) for c in cells)
            opts = pacsv.ReadOptions(
                autogenerate_column_names=not header,
            )
            table = pacsv.read_csv(
                path, read_options=opts, convert_options=pacsv.ConvertOptions(null_values=[])
            )
        else:
            raise DataError(f"{path}: unknown extension {path.suffix!r}; expected .csv or .parquet")
    except pa.ArrowException as exc:
        raise DataError(f"{path}: could not be read ({exc})") from exc
    names = [str(n) for n in table.column_names]
    cols = {}
    for n in names:
        col = table.column(n)
        if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
            raise DataError(f"{path}: column {n!r} is {col.type}, expected numbers")
        cols[n] = col.to_numpy(zero_copy_only=False).astype(np.float64)
    time_col = next((n for n in names if n.lower() in _TIME_NAMES), None)
    if time_col is not None:
        t = cols.pop(time_col)
        dt = np.diff(t)
        if (dt <= 0).any():
            i = int(np.argmax(dt <= 0)) + 1
            raise DataError(f"{path}: row {i + 1}: time does not increase")
        if rate is None:
            med = float(np.median(dt))
            if np.abs(dt - med).max() > 0.05 * med:
                raise DataError(
                    f"{path}: time steps vary by more than 5%; resample first or pass --rate"
                )
            rate = 1.0 / med
    if rate is None:
        raise DataError(f"{path}: no time column; give the sample rate with --rate")
    if not (rate > 0 and np.isfinite(rate)):
        raise ParameterError(f"rate must be a positive number of Hz, got {rate!r}")
    if not cols:
        raise DataError(f"{path}: no channel columns")
    X = np.vstack(list(cols.values()))
    if not np.isfinite(X).all():
        ch, i = np.argwhere(~np.isfinite(X))[0]
        raise DataError(f"{path}: column {list(cols)[ch]!r}, row {i + 1}: not a finite number")
    return Recording(name=str(path), signals=X, fs=float(rate), channel_names=tuple(cols))
