"""Read and write recordings in the KAMP rotor-testbed format.

A KAMP *group* is a folder holding one headerless CSV per sensor,
``g{N}_sensor1.csv`` … ``g{N}_sensor4.csv``. Each file has five numeric
columns ``time, normal, type1, type2, type3``: the sensor's own sample times
in seconds (uneven, one period per sensor) and the acceleration measured at
those times for each machine state.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rotordx._atomic import atomic_file
from rotordx.classes import KAMP_CLASSES
from rotordx.exceptions import DataError, ParameterError
from rotordx.io._limits import MAX_ACCELERATION, first_too_large

__all__ = [
    "COLUMNS",
    "N_SENSORS",
    "KampGroup",
    "SensorRecording",
    "find_groups",
    "load_kamp_group",
    "read_kamp_sensor",
    "sensor_path",
    "write_kamp_group",
    "write_kamp_sensor",
]

#: Column names of a KAMP sensor file (the files themselves have no header): the time,
#: then the machine states (:data:`rotordx.classes.KAMP_CLASSES`).
COLUMNS: tuple[str, ...] = ("time", *KAMP_CLASSES)
#: Sensors per group.
N_SENSORS = 4

#: Every sensor of a group must cover at least this share of the longest sensor's time span.
MIN_SPAN_RATIO = 0.8

_GROUP_RE = re.compile(r"^g(\d+)_sensor1\.csv$")


@dataclass(frozen=True)
class SensorRecording:
    """One sensor file: its sample times and one signal per machine state.

    Attributes
    ----------
    time : np.ndarray [shape=(n,)]
        Sample times in seconds, strictly increasing.
    values : np.ndarray [shape=(n, 4)]
        Acceleration per machine state, columns in :data:`~rotordx.classes.KAMP_CLASSES` order.
    path : Path or None
        The file it was read from, if any.
    """

    time: np.ndarray
    values: np.ndarray
    path: Path | None = None

    @property
    def duration(self) -> float:
        """Time of the last sample in seconds."""
        return float(self.time[-1])

    @property
    def median_period(self) -> float:
        """Median sample period in seconds."""
        return float(np.median(np.diff(self.time)))


@dataclass(frozen=True)
class KampGroup:
    """The four sensor recordings of one KAMP group."""

    group: int
    sensors: tuple[SensorRecording, ...]

    @property
    def duration(self) -> float:
        """Longest time span covered by every sensor, in seconds."""
        return min(s.duration for s in self.sensors)


def sensor_path(directory: str | os.PathLike[str], *, group: int, sensor: int) -> Path:
    """Path of sensor ``sensor`` (1-based) of group ``group`` inside ``directory``."""
    return Path(directory) / f"g{group}_sensor{sensor}.csv"


def _locate_bad_line(path: Path) -> str:
    """Slow path: scan ``path`` to name the first line that is not 5 numbers."""
    with path.open("r", newline="", encoding="utf-8", errors="replace") as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            if not row or all(not c.strip() for c in row):
                return f"line {lineno} is empty; expected {len(COLUMNS)} numbers"
            if len(row) != len(COLUMNS):
                return (
                    f"line {lineno} has {len(row)} columns; expected {len(COLUMNS)} "
                    f"({', '.join(COLUMNS)})"
                )
            for col, cell in zip(COLUMNS, row, strict=True):
                try:
                    float(cell)
                except ValueError:
                    hint = " (KAMP files have no header row)" if lineno == 1 else ""
                    return (
                        f"line {lineno}, column '{col}': found {cell.strip()[:40]!r}, "
                        f"expected a number{hint}"
                    )
    return "it could not be parsed as CSV"


def read_kamp_sensor(path: str | os.PathLike[str], *, min_duration: float = 0.0) -> SensorRecording:
    """Read and validate one KAMP sensor file.

    Parameters
    ----------
    path : path-like
        A headerless CSV with the five columns ``time, normal, type1, type2, type3``.
    min_duration : float >= 0
        Require the last sample time to be at least this many seconds.

    Returns
    -------
    SensorRecording

    Raises
    ------
    DataError
        If the file is missing or empty, a line does not hold five numbers,
        a value is NaN or infinite, an acceleration exceeds
        :data:`~rotordx.io._limits.MAX_ACCELERATION` (1e6 m/s²) in magnitude,
        time does not strictly increase, or the recording is shorter than
        ``min_duration``. The message names the file and the first offending
        line.
    """
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    from pyarrow import csv as pacsv  # lazy: pyarrow takes a fraction of a second to import

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty; expected {len(COLUMNS)} numeric columns")
    names = list(COLUMNS)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.float64() for n in names}, null_values=[]
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: {_locate_bad_line(path)}") from exc
    if table.num_rows < 2:
        raise DataError(f"{path}: {table.num_rows} data line(s); expected a recording")
    data = np.column_stack([table.column(n).to_numpy(zero_copy_only=False) for n in names])
    finite = np.isfinite(data)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise DataError(
            f"{path}: line {row + 1}, column '{names[col]}': found {float(data[row, col])!r}, "
            "expected a finite number"
        )
    big = first_too_large(data[:, 1:], MAX_ACCELERATION)
    if big is not None:
        row, col = big
        raise DataError(
            f"{path}: line {row + 1}, column '{names[col + 1]}': found "
            f"{float(data[row, col + 1]):g} m/s²; expected an acceleration with "
            f"|x| <= {MAX_ACCELERATION:g} m/s²"
        )
    time = data[:, 0]
    steps = np.diff(time)
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0)) + 1
        what = "repeats" if steps[i - 1] == 0 else "goes back to"
        raise DataError(
            f"{path}: line {i + 1}: time {what} {float(time[i])!r} after {float(time[i - 1])!r}; "
            "expected strictly increasing time"
        )
    if time[-1] < min_duration:
        raise DataError(
            f"{path}: recording covers {time[-1]:.3f} s; expected at least {min_duration:g} s"
        )
    return SensorRecording(time=time, values=np.ascontiguousarray(data[:, 1:]), path=path)


def find_groups(directory: str | os.PathLike[str]) -> list[int]:
    """Group numbers that have a ``g{N}_sensor1.csv`` in ``directory``, sorted."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: not a folder")
    return sorted(int(m.group(1)) for p in directory.iterdir() if (m := _GROUP_RE.match(p.name)))


def load_kamp_group(
    directory: str | os.PathLike[str],
    *,
    group: int | None = None,
    min_duration: float = 0.0,
) -> KampGroup:
    """Read the four sensor files of one KAMP group.

    Parameters
    ----------
    directory : path-like
        Folder holding ``g{N}_sensor{1..4}.csv``.
    group : int, optional
        Group number. By default the folder must hold exactly one group.
    min_duration : float
        Passed to :func:`read_kamp_sensor` for every sensor.

    Raises
    ------
    DataError
        If the folder is missing, holds no group or several (and ``group`` is
        not given), a sensor file is missing, a file is malformed, or a sensor
        covers less than :data:`MIN_SPAN_RATIO` (80 %) of the time span of the
        longest sensor (a truncated file).
    """
    directory = Path(directory)
    if group is None:
        groups = find_groups(directory)
        if not groups:
            raise DataError(
                f"{directory}: no KAMP group found; expected files g<N>_sensor1.csv … "
                f"g<N>_sensor{N_SENSORS}.csv"
            )
        if len(groups) > 1:
            raise DataError(f"{directory}: holds groups {groups}; choose one with --group")
        group = groups[0]
    paths = [sensor_path(directory, group=group, sensor=s) for s in range(1, N_SENSORS + 1)]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise DataError(f"{directory}: group {group} lacks {', '.join(missing)}")
    sensors = tuple(read_kamp_sensor(p, min_duration=min_duration) for p in paths)
    spans = [float(s.time[-1] - s.time[0]) for s in sensors]
    longest = int(np.argmax(spans))
    shortest = int(np.argmin(spans))
    if spans[shortest] < MIN_SPAN_RATIO * spans[longest]:
        raise DataError(
            f"{directory}: {paths[shortest].name} covers {spans[shortest]:.3f} s, "
            f"{paths[longest].name} {spans[longest]:.3f} s; expected every sensor of group "
            f"{group} to cover at least {MIN_SPAN_RATIO:.0%} of the longest (truncated file?)"
        )
    return KampGroup(group=group, sensors=sensors)


def write_kamp_sensor(path: str | os.PathLike[str], data: np.ndarray) -> Path:
    """Write one sensor array of shape (n, 5) as a headerless KAMP CSV, atomically."""
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    from pyarrow import csv as pacsv  # lazy: pyarrow takes a fraction of a second to import

    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != len(COLUMNS):
        raise ParameterError(f"sensor data must have shape (n, {len(COLUMNS)}), got {data.shape}")
    table = pa.table({n: data[:, i] for i, n in enumerate(COLUMNS)})
    path = Path(path)
    with atomic_file(path) as tmp:
        pacsv.write_csv(table, tmp, write_options=pacsv.WriteOptions(include_header=False))
    return path


def write_kamp_group(
    directory: str | os.PathLike[str], sensors: Sequence[np.ndarray], *, group: int = 1
) -> list[Path]:
    """Write ``g{group}_sensor{i}.csv`` for every sensor array (n_i, 5) into ``directory``."""
    if group < 0 or not math.isfinite(group):
        raise ParameterError(f"group must be a non-negative integer, got {group}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [
        write_kamp_sensor(sensor_path(directory, group=group, sensor=i), s)
        for i, s in enumerate(sensors, start=1)
    ]
