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
from rotordx.io.cwru import find_cwru, parse_cwru_name, read_cwru
from rotordx.io.kamp import N_SENSORS, find_groups
from rotordx.io.manifest import (
    EXTENSIONS,
    ManifestEntry,
    cwru_entries,
    is_manifest,
    read_manifest,
)
from rotordx.io.recording import LabeledRecording, Recording
from rotordx.io.tabular import read_channels
from rotordx.io.tabular_stream import CsvStream, scan_csv
from rotordx.io.wav import read_wav
from rotordx.signal.units import ACCELERATION, to_acceleration

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


def _mat_rate(path: Path, default_rate: float | None) -> float | None:
    """``default_rate`` for a .mat file whose name does not give a rate."""
    try:
        parse_cwru_name(path)
    except DataError:
        return default_rate
    return None


def read_recording(
    path: str | os.PathLike[str],
    *,
    rate: float | None = None,
    channels: tuple[str, ...] | None = None,
    where: str | None = None,
) -> LabeledRecording:
    """Read one recording file, whatever its format.

    * ``.mat``: :func:`~rotordx.io.cwru.read_cwru` with ``channels`` (default
      ``DE``), in m/s²; ``rpm`` the file's speed (or the nominal speed of its
      load), ``condition`` ``"<load>hp"`` and ``label`` the fault for a CWRU
      file name, ``bearing`` the CWRU drive-end bearing;
    * ``.csv``/``.parquet``: :func:`~rotordx.io.tabular.read_channels` (a time
      column gives the rate, else ``rate``), keeping ``channels`` (default
      all), in the file's units;
    * ``.wav``: :func:`~rotordx.io.wav.read_wav`; the rate is the file's (a
      ``rate`` given must agree).

    ``where`` names the caller's context in messages (e.g. a manifest line).
    """
    path = Path(path)
    where = where or str(path)
    ext = path.suffix.lower()
    if ext == ".mat":
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
    if ext in (".csv", ".parquet"):
        return LabeledRecording(_select(read_channels(path, rate=rate), channels, where))
    if ext == ".wav":
        rec = read_wav(path)
        if rate is not None and rate != rec.fs:
            raise DataError(
                f"{where}, column 'rate': {rate:g} Hz, but the WAV file {path} says {rec.fs:g} Hz"
            )
        return LabeledRecording(_select(rec, channels, where))
    raise DataError(
        f"{where}: unsupported extension {path.suffix!r}; expected one of {', '.join(EXTENSIONS)}"
    )


def load_entry(entry: ManifestEntry, *, default_rate: float | None = None) -> LabeledRecording:
    """Read the recording of one manifest entry (see :func:`read_recording`).

    The entry's label, rpm and condition win over what the file says; its
    rate (or ``default_rate``) is used where the file gives none.

    Raises
    ------
    DataError
        The file cannot be read, lacks a channel, has no known rate, or
        disagrees with the entry; the message names the manifest line.
    """
    ext = entry.path.suffix.lower()
    rate = entry.rate
    if rate is None and ext != ".wav":  # a WAV file carries its own rate
        rate = _mat_rate(entry.path, default_rate) if ext == ".mat" else default_rate
    try:
        rec = read_recording(entry.path, rate=rate, channels=entry.channels, where=entry.where)
    except (DataError, ParameterError) as exc:
        msg = str(exc)
        if entry.where in msg:
            raise
        raise DataError(f"{entry.where}: {msg}") from exc
    recording, units = rec.recording, rec.units
    if entry.units is not None:
        if units is not None:
            raise DataError(
                f"{entry.where}, column 'units': {entry.path.name} is read in {units} already "
                "(a CWRU file's g converted); leave 'units' empty"
            )
        recording = replace(
            recording,
            signals=to_acceleration(
                recording.signals,
                fs=recording.fs,
                units=entry.units,
                sensitivity=entry.sensitivity,
            ),
        )
        units = ACCELERATION
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
    )


@dataclass(frozen=True)
class EntryStream:
    """A manifest entry read block by block (:func:`stream_entry`).

    ``meta`` is what :func:`load_entry` would return, but its recording holds
    no samples (its name, rate and channels only); :meth:`blocks` gives the
    samples, converted to m/s² as ``load_entry`` converts them, one block at
    a time, from the start each time it is called.
    """

    meta: LabeledRecording
    length: int
    stream: CsvStream
    channels: tuple[str, ...]
    units: str | None
    sensitivity: tuple[float, str] | None

    def blocks(self):
        """Consecutive ``(n_channels, n)`` blocks of the recording."""
        fs = self.meta.recording.fs
        for block in self.stream.blocks(self.channels):
            if self.units is None:
                yield block
            else:
                yield to_acceleration(block, fs=fs, units=self.units, sensitivity=self.sensitivity)


def stream_entry(entry: ManifestEntry, *, default_rate: float | None = None) -> EntryStream | None:
    """The entry read block by block, where its format allows; None: use :func:`load_entry`.

    Read block by block: CSV recordings (:func:`~rotordx.io.tabular_stream.scan_csv`)
    in m/s², g, or V with a sensitivity per g or m/s² (a conversion sample by
    sample). Read whole: Parquet (in an isolated child process), WAV, ``.mat``,
    values in mm/s (differentiated over the whole recording), and any file
    the scan finds fault with (``load_entry`` then says what).
    """
    if entry.path.suffix.lower() != ".csv":
        return None
    if entry.units == "mm/s" or (entry.sensitivity is not None and entry.sensitivity[1] == "mm/s"):
        return None
    stream = scan_csv(entry.path, rate=entry.rate or default_rate)
    if stream is None:
        return None
    channels = entry.channels or stream.channel_names
    if any(c not in stream.channel_names for c in channels):
        return None
    if entry.directions is not None and len(entry.directions) != len(channels):
        return None
    empty = Recording(str(entry.path), np.empty((len(channels), 0)), stream.fs, tuple(channels))
    meta = LabeledRecording(
        recording=empty,
        label=entry.label,
        rpm=entry.rpm,
        condition=entry.condition,
        bearing=entry.bearing,
        machine=entry.machine,
        directions=entry.directions,
        rpm_source="manifest" if entry.rpm is not None else None,
        units=ACCELERATION if entry.units is not None else None,
    )
    return EntryStream(meta, stream.length, stream, tuple(channels), entry.units, entry.sensitivity)
