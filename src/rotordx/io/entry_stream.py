"""A manifest entry read block by block (:func:`stream_entry`), for recordings too long to hold
whole: what :func:`rotordx.io.sources.load_entry` returns, its samples given block by block.
``rotordx.io.sources`` re-exports both names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rotordx.io.manifest import ManifestEntry
from rotordx.io.recording import LabeledRecording, Recording
from rotordx.io.tabular_stream import CsvStream, scan_csv
from rotordx.signal.units import ACCELERATION, to_acceleration

__all__ = ["EntryStream", "stream_entry"]


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
    stream = scan_csv(entry.path, rate=entry.rate, default_rate=default_rate)
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
