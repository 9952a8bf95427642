"""The types every reader returns: a uniformly sampled recording, and one with its facts.

Signals are ``(n_channels, n_samples)`` float64 arrays, time on the last axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LabeledRecording", "Recording"]


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


@dataclass(frozen=True)
class LabeledRecording:
    """A recording with what is known about it besides its samples.

    Attributes
    ----------
    recording : Recording
        Signals ``(n_channels, n_samples)``: m/s² for ``.mat`` (CWRU, g
        converted), the file's own units for CSV/Parquet, and for WAV the
        recorder's units (integer PCM scaled to [-1, 1]).
    label : str or None
        The class, when the source says it (a manifest, a CWRU file name, a
        KAMP column); ``None`` for a bare recording.
    rpm : float or None
        Shaft speed in rev/min, when known.
    rpm_source : str or None
        Where ``rpm`` came from: ``"manifest"``, ``"file"`` (a variable of
        the file), ``"file name"`` (the nominal speed of a load in the name).
    units : str or None
        ``"m/s2"`` when the signals are known to be acceleration in m/s²
        (a CWRU file, a manifest's ``units`` converted, or the units a TDMS
        or UFF file states converted); ``None`` when the file's values are
        used as they are.
    condition : str or None
        Free text (load, speed, rig …) used to hold out recordings.
    bearing : str or None
        The monitored bearing: a catalogue name of
        :data:`rotordx.features.bearing.BEARINGS`, when the source says it.
    machine : str or None
        The asset the recording belongs to (to hold out whole machines).
    directions : tuple of str or None
        Per channel, ``"horizontal"``, ``"vertical"``, ``"axial"`` or ``""``
        (unknown), when the source says them.
    file_units : tuple of str or None
        Per channel, the unit the file states, as written (TDMS
        ``unit_string``, a UFF ordinate unit label; ``""`` where a channel
        states none); ``None`` for formats that state no units.
    """

    recording: Recording
    label: str | None = None
    rpm: float | None = None
    condition: str | None = None
    bearing: str | None = None
    machine: str | None = None
    directions: tuple[str, ...] | None = None
    rpm_source: str | None = None
    units: str | None = None
    file_units: tuple[str, ...] | None = None
