"""What a path is, and how its recordings are read: the one place that recognises a path.

:func:`open_source` tells a path's kind (:data:`KINDS`) and refuses the kinds
a caller cannot use, with one message that says what was found and what was
expected. :func:`read_recording` reads one recording file whatever its format,
and :func:`load_entry` one line of a manifest; :func:`entries_of` lists the
recordings of a manifest or of a folder of CWRU files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.io.cwru import BEARING as CWRU_BEARING
from rotordx.io.cwru import CHANNELS as CWRU_CHANNELS
from rotordx.io.cwru import find_cwru, parse_cwru_name, read_cwru
from rotordx.io.entry_stream import EntryStream, stream_entry
from rotordx.io.kamp import N_SENSORS, find_groups
from rotordx.io.manifest import (
    EXTENSIONS,
    ManifestEntry,
    cwru_entries,
    is_manifest,
    read_manifest,
)
from rotordx.io.mat5 import read_mat
from rotordx.io.matlab import read_matlab_variables
from rotordx.io.recording import LabeledRecording, Recording
from rotordx.io.tabular import read_channels
from rotordx.io.tdms import read_tdms
from rotordx.io.uff import read_uff
from rotordx.io.wav import read_wav
from rotordx.signal.units import ACCELERATION, parse_units, to_acceleration

__all__ = [
    "CWRU_FOLDER",
    "KAMP",
    "KINDS",
    "MANIFEST",
    "PREPROCESSED",
    "PREPROCESSED_KEY",
    "RECORDING",
    "EntryStream",
    "Source",
    "entries_of",
    "load_entry",
    "open_source",
    "read_recording",
    "stream_entry",
]

KAMP = "kamp"
CWRU_FOLDER = "cwru_folder"
MANIFEST = "manifest"
PREPROCESSED = "preprocessed"
RECORDING = "recording"

#: Every kind of source, with the words for it in messages.
KINDS: dict[str, str] = {
    KAMP: "a KAMP group folder (g<N>_sensor1.csv …)",
    CWRU_FOLDER: "a folder of CWRU .mat files",
    MANIFEST: "a manifest .csv (columns path,label,…)",
    PREPROCESSED: "a .parquet file from `rotordx preprocess`",
    RECORDING: f"a recording file ({', '.join(EXTENSIONS)})",
}

#: Schema-metadata key of the Parquet files written by ``rotordx preprocess``.
PREPROCESSED_KEY = b"rotordx"


@dataclass(frozen=True)
class Source:
    """A path and what it is (one of :data:`KINDS`)."""

    path: Path
    kind: str

    @property
    def description(self) -> str:
        """The kind in words."""
        return KINDS[self.kind]


def _is_preprocessed(path: Path) -> bool:
    """A Parquet file whose schema carries rotordx's preprocessing metadata."""
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.parquet as pq  # lazy: as above

    try:
        meta = pq.read_schema(path).metadata or {}
    except (pa.ArrowException, OSError, ValueError):
        return False  # unreadable: the recording reader says why
    return PREPROCESSED_KEY in meta


def _kind(path: Path, accept: Sequence[str]) -> str:
    if path.is_dir():
        if find_groups(path):
            return KAMP
        if find_cwru(path):
            return CWRU_FOLDER
        if CWRU_FOLDER not in accept:
            raise DataError(
                f"{path}: no KAMP group found; expected files g<N>_sensor1.csv … "
                f"g<N>_sensor{N_SENSORS}.csv"
            )
        raise DataError(f"{path}: neither a KAMP group (g<N>_sensor1.csv …) nor CWRU .mat files")
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    ext = path.suffix.lower()
    # where a file can only be a manifest (or a preprocessed file), it is read as one: its
    # reader's messages say what is wrong with it
    only = RECORDING not in accept
    if ext == ".csv" and ((only and MANIFEST in accept) or is_manifest(path)):
        return MANIFEST
    if ext == ".parquet" and ((only and PREPROCESSED in accept) or _is_preprocessed(path)):
        return PREPROCESSED
    if ext in EXTENSIONS:
        return RECORDING
    expected = " or ".join(KINDS[k] for k in accept)
    raise DataError(
        f"{path}: unknown kind of file {path.suffix or '(no extension)'!r}; expected {expected}"
    )


def open_source(
    path: str | os.PathLike[str], *, accept: Sequence[str] = tuple(KINDS), hint: str = ""
) -> Source:
    """What ``path`` is, if it is one of the kinds ``accept``.

    Parameters
    ----------
    path : path-like
    accept : sequence of str
        The kinds the caller can use (default every kind).
    hint : str
        Appended to the message when the kind is not accepted.

    Raises
    ------
    DataError
        The path does not exist, is of no known kind, or of a kind not in
        ``accept``; the message says what it is and what was expected.
    """
    path = Path(path)
    unknown = [k for k in accept if k not in KINDS]
    if unknown or not accept:
        raise ParameterError(f"accept must list kinds from {', '.join(KINDS)}, got {accept!r}")
    kind = _kind(path, accept)
    if kind not in accept:
        expected = " or ".join(KINDS[k] for k in accept)
        raise DataError(f"{path}: {KINDS[kind]}; expected {expected}{hint}")
    return Source(path, kind)


def entries_of(source: Source) -> list[ManifestEntry]:
    """The manifest entries of a manifest or of a folder of CWRU files (read as a manifest)."""
    if source.kind == MANIFEST:
        return read_manifest(source.path)
    if source.kind == CWRU_FOLDER:
        return cwru_entries(source.path)
    raise ParameterError(f"{source.path}: {source.description} has no manifest entries")


def _select(rec: Recording, wanted: tuple[str, ...] | None, where: str) -> Recording:
    if wanted is None:
        return rec
    missing = [c for c in wanted if c not in rec.channel_names]
    if missing:
        raise DataError(
            f"{where}, column 'channel': {rec.name} has no channel "
            f"{', '.join(repr(c) for c in missing)}; channels present: "
            f"{', '.join(rec.channel_names)}"
        )
    idx = [rec.channel_names.index(c) for c in wanted]
    return Recording(name=rec.name, signals=rec.signals[idx], fs=rec.fs, channel_names=wanted)


def _is_cwru_name(path: Path) -> bool:
    try:
        parse_cwru_name(path)
    except DataError:
        return False
    return True


def _cwru_layout(variables: dict, channels: tuple[str, ...] | None) -> bool:
    """A .mat file not named like a CWRU file but laid out like one (``X…_DE_time``), asked
    for CWRU channels (or for none): read as a CWRU file, as before issue 13."""
    if channels is not None and any(c.upper() not in CWRU_CHANNELS for c in channels):
        return False
    return any(str(k).endswith(("DE_time", "FE_time", "BA_time")) for k in variables)


def _check_rate(rate: float | None, what: str) -> None:
    if rate is None:
        return
    if isinstance(rate, bool) or not (
        isinstance(rate, int | float | np.integer | np.floating) and np.isfinite(rate) and rate > 0
    ):
        raise ParameterError(f"{what} must be a positive number of Hz, got {rate!r}")


def _read_mat_file(
    path: Path, rate: float | None, default_rate: float | None, channels: tuple[str, ...] | None
) -> LabeledRecording:
    if not _is_cwru_name(path):
        variables = read_mat(path)
        if not _cwru_layout(variables, channels):
            rec = read_matlab_variables(
                path, variables, channels=channels, rate=rate, default_rate=default_rate
            )
            return LabeledRecording(rec)
        channels = tuple(c.upper() for c in channels) if channels else None
        rate = rate if rate is not None else default_rate
    cw = read_cwru(path, channels=channels or ("DE",), rate=rate)
    info = cw.info
    return LabeledRecording(
        recording=cw.recording,
        label=info.label if info is not None else None,
        rpm=cw.rpm,
        condition=f"{info.load_hp}hp" if info is not None else None,
        bearing=CWRU_BEARING if info is not None else None,
        rpm_source=("file" if cw.rpm_from_file else "file name") if cw.rpm else None,
        units=ACCELERATION,
    )


def _stated_units(stated: tuple[str, ...]) -> tuple[str, ...] | None:
    """The units a file states for its channels, canonical (``"m/s^2"`` -> ``"m/s2"``), if
    every channel states one that can be converted to m/s² without more information."""
    out = []
    for text in stated:
        try:
            unit = parse_units(text) if text.strip() else None
        except ParameterError:
            unit = None
        if unit is None or unit == "V":  # unknown, or volts without a sensitivity
            return None
        out.append(unit)
    return tuple(out)


def _in_units(
    rec: LabeledRecording,
    units: str | None,
    sensitivity: tuple[float, str] | None,
    where: str,
) -> LabeledRecording:
    """``rec`` converted to m/s²: by ``units`` (the manifest's), else by the units the file
    states for every channel; as it is otherwise."""
    recording = rec.recording
    if units is not None:
        if rec.units is not None:
            raise DataError(
                f"{where}, column 'units': {Path(recording.name).name} is read in {rec.units} "
                "already (a CWRU file's g converted); leave 'units' empty"
            )
        x = to_acceleration(
            recording.signals, fs=recording.fs, units=units, sensitivity=sensitivity
        )
        return replace(rec, recording=replace(recording, signals=x), units=ACCELERATION)
    stated = _stated_units(rec.file_units) if rec.file_units and rec.units is None else None
    if stated is None:
        return rec
    x = np.vstack(
        [
            to_acceleration(row[None, :], fs=recording.fs, units=u)
            for row, u in zip(recording.signals, stated, strict=True)
        ]
    )
    return replace(rec, recording=replace(recording, signals=x), units=ACCELERATION)


def read_recording(
    path: str | os.PathLike[str],
    *,
    rate: float | None = None,
    channels: tuple[str, ...] | None = None,
    where: str | None = None,
    default_rate: float | None = None,
    units: str | None = None,
    sensitivity: tuple[float, str] | None = None,
) -> LabeledRecording:
    """Read one recording file, whatever its format (``docs/inputs.md``).

    * ``.mat`` named like a CWRU file (or laid out like one and asked for ``DE``/``FE``/
      ``BA``): :func:`~rotordx.io.cwru.read_cwru` with ``channels`` (default ``DE``), in
      m/s²; ``rpm`` the file's speed (or the nominal speed of its load), ``condition``
      ``"<load>hp"`` and ``label`` the fault for a CWRU file name, ``bearing`` the CWRU
      drive-end bearing;
    * any other ``.mat``: :func:`~rotordx.io.matlab.read_matlab` (``channels`` name
      variables, ``bearing.gs``; the rate from ``rate``, a variable ``fs``… or a time
      variable), in the file's units;
    * ``.csv``/``.parquet``: :func:`~rotordx.io.tabular.read_channels` (a time column gives
      the rate, else ``rate``), keeping ``channels`` (default all), in the file's units;
    * ``.wav``: :func:`~rotordx.io.wav.read_wav`; the rate is the file's (a ``rate`` given
      must agree);
    * ``.tdms``: :func:`~rotordx.io.tdms.read_tdms` (``group/channel`` names; the rate
      from ``wf_increment``); ``.uff``/``.unv``: :func:`~rotordx.io.uff.read_uff` (type-58
      time responses named ``node:direction``). Both report the units the file states
      (:attr:`LabeledRecording.file_units`).

    ``rate`` is the rate given for this file: a rate the file states (a time column, a
    rate variable, ``wf_increment``…) must agree with it within 1%. ``default_rate`` is
    used only where the file states none. ``units`` (with ``sensitivity`` for ``V``) are
    the manifest's: the values are converted to m/s²
    (:func:`rotordx.signal.units.to_acceleration`); without them, the units a TDMS or UFF
    file states for every channel are used when they are ``g``, ``m/s2`` or ``mm/s``; else
    the values stay as they are (``units`` of the result ``None``).

    ``where`` names the caller's context in messages (e.g. a manifest line).
    """
    path = Path(path)
    where = where or str(path)
    _check_rate(rate, "rate")
    _check_rate(default_rate, "default rate")
    ext = path.suffix.lower()
    if ext == ".mat":
        rec = _read_mat_file(path, rate, default_rate, channels)
    elif ext in (".csv", ".parquet"):
        data = read_channels(path, rate=rate, default_rate=default_rate)
        rec = LabeledRecording(_select(data, channels, where))
    elif ext == ".wav":
        data = read_wav(path)
        if rate is not None and rate != data.fs:
            raise DataError(
                f"{where}, column 'rate': {rate:g} Hz, but the WAV file {path} says {data.fs:g} Hz"
            )
        rec = LabeledRecording(_select(data, channels, where))
    elif ext == ".tdms":
        data, stated = read_tdms(path, channels=channels, rate=rate, default_rate=default_rate)
        rec = LabeledRecording(data, file_units=stated)
    elif ext in (".uff", ".unv"):
        data, stated = read_uff(path, channels=channels, rate=rate)
        rec = LabeledRecording(data, file_units=stated)
    else:
        raise DataError(
            f"{where}: unsupported extension {path.suffix!r}; expected one of "
            f"{', '.join(EXTENSIONS)}"
        )
    return _in_units(rec, units, sensitivity, where)


def load_entry(entry: ManifestEntry, *, default_rate: float | None = None) -> LabeledRecording:
    """Read the recording of one manifest entry (see :func:`read_recording`).

    The entry's label, rpm, condition and units win over what the file says; its rate
    must agree with one the file states, and ``default_rate`` is used only where neither
    the entry nor the file gives one.

    Raises
    ------
    DataError
        The file cannot be read, lacks a channel, has no known rate, or
        disagrees with the entry; the message names the manifest line.
    """
    try:
        rec = read_recording(
            entry.path,
            rate=entry.rate,
            default_rate=default_rate,
            channels=entry.channels,
            where=entry.where,
            units=entry.units,
            sensitivity=entry.sensitivity,
        )
    except (DataError, ParameterError) as exc:
        msg = str(exc)
        if entry.where in msg:
            raise
        raise DataError(f"{entry.where}: {msg}") from exc
    recording, units = rec.recording, rec.units
    n = recording.signals.shape[0]
    if entry.directions is not None and len(entry.directions) != n:
        raise DataError(
            f"{entry.where}, column 'direction': {len(entry.directions)} direction(s) for the "
            f"{n} channel(s) of {entry.path.name} ({', '.join(recording.channel_names)})"
        )
    return LabeledRecording(
        recording=recording,
        label=entry.label,
        rpm=entry.rpm if entry.rpm is not None else rec.rpm,
        condition=entry.condition if entry.condition is not None else rec.condition,
        bearing=entry.bearing or rec.bearing,
        machine=entry.machine or rec.machine,
        directions=entry.directions or rec.directions,
        rpm_source="manifest" if entry.rpm is not None else rec.rpm_source,
        units=units,
        file_units=rec.file_units,
    )
