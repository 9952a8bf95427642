"""Labelled recordings from any source, at one sample rate with the same channels.

Sources (:func:`load_data`, recognised by :func:`rotordx.io.open_source`):

* a KAMP group folder: one recording per machine state (``normal``,
  ``type1``, ``type2``, ``type3``), the sensors resampled onto the seed's
  1 kHz grid by linear interpolation, read chunk by chunk;
* a manifest CSV (``path,label`` and optional ``rate,channel,rpm,condition``;
  :mod:`rotordx.io.manifest`) naming ``.mat`` (CWRU), CSV, Parquet or WAV
  recordings;
* a folder of CWRU ``.mat`` files (read as if through its manifest).

Recordings at another rate are brought to the data set's rate by
anti-aliased polyphase resampling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rotordx.classes import KAMP_CLASSES, order_classes
from rotordx.data.kamp_grid import GroupStream
from rotordx.exceptions import DataError, ParameterError
from rotordx.io.recording import LabeledRecording, Recording
from rotordx.io.sources import CWRU_FOLDER, KAMP, MANIFEST, entries_of, load_entry, open_source
from rotordx.signal.resample import change_rate

__all__ = [
    "Dataset",
    "kamp_signals",
    "load_data",
    "resample_recording",
    "revolutions_to_samples",
]

#: The seed's grid rate for KAMP groups, Hz.
KAMP_FS = 1000.0
#: The seed's grid end for KAMP groups, s (shortened to the data).
KAMP_DURATION = 140.0


@dataclass(frozen=True)
class Dataset:
    """Labelled recordings at one sample rate with the same channels.

    Attributes
    ----------
    recordings : tuple of LabeledRecording
    classes : tuple of str
        Class names; a label's index is its class number.
    fs : float
        Sample rate of every recording, Hz.
    source : str
    """

    recordings: tuple[LabeledRecording, ...]
    classes: tuple[str, ...]
    fs: float
    source: str

    @property
    def n_channels(self) -> int:
        """Channels per recording."""
        return int(self.recordings[0].recording.signals.shape[0])

    @property
    def bearing(self) -> str | None:
        """The monitored bearing when every recording names the same one, else ``None``."""
        names = {r.bearing for r in self.recordings}
        return names.pop() if len(names) == 1 else None

    def label_index(self, label: str) -> int:
        """Class number of ``label``."""
        try:
            return self.classes.index(label)
        except ValueError:
            raise DataError(f"label {label!r} is not one of {self.classes}") from None

    @classmethod
    def from_arrays(
        cls,
        signals: np.ndarray,
        *,
        fs: float,
        classes: tuple[str, ...] | None = None,
        source: str = "arrays",
    ) -> Dataset:
        """One recording per class from an array ``(n_classes, n_channels, n_samples)``.

        The label of ``signals[i]`` is ``classes[i]`` (default ``"0"``, ``"1"`` …).
        """
        signals = np.asarray(signals)
        if signals.ndim != 3:
            raise ParameterError(
                f"signals must have shape (n_classes, n_channels, n_samples), got {signals.shape}"
            )
        classes = classes or tuple(str(i) for i in range(signals.shape[0]))
        if len(classes) != signals.shape[0]:
            raise ParameterError(f"{len(classes)} class names for {signals.shape[0]} signals")
        names = tuple(f"sensor {j + 1}" for j in range(signals.shape[1]))
        recs = tuple(
            LabeledRecording(Recording(f"{source}:{c}", signals[i], float(fs), names), c)
            for i, c in enumerate(classes)
        )
        return cls(recs, tuple(classes), float(fs), source)

    def subset(self, ids) -> Dataset:
        """The recordings ``ids`` (indices), keeping the class list."""
        return Dataset(tuple(self.recordings[i] for i in ids), self.classes, self.fs, self.source)


def resample_recording(rec: Recording, fs: float) -> Recording:
    """``rec`` at rate ``fs``: anti-aliased polyphase resampling (``rec`` at equal rates)."""
    sig = change_rate(rec.signals, orig_fs=rec.fs, target_fs=fs)
    if sig is rec.signals:
        return rec
    return Recording(name=rec.name, signals=sig, fs=fs, channel_names=rec.channel_names)


def revolutions_to_samples(revolutions: float, ds: Dataset) -> int:
    """Samples in ``revolutions`` shaft turns at the median speed of ``ds``'s recordings."""
    if not revolutions > 0:
        raise ParameterError(f"revolutions must be positive, got {revolutions!r}")
    missing = [r.recording.name for r in ds.recordings if not r.rpm]
    if missing:
        raise DataError(
            f"windows in revolutions need the rpm of every recording; none for {missing[0]}"
            + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
        )
    rpm = float(np.median([r.rpm for r in ds.recordings]))
    return max(16, round(revolutions * 60.0 / rpm * ds.fs))


def _kamp(path: Path, *, fs: float, duration: float, group: int | None) -> Dataset:
    # read chunk by chunk: the parsed text is never held whole (the same values as
    # resample_group(load_kamp_group(path)), bit for bit)
    stream = GroupStream(path, group=group, fs=fs, duration=duration)
    _, values = stream.read_all()  # (n_classes, n, n_sensors)
    names = tuple(f"sensor {i + 1}" for i in range(values.shape[2]))
    recs = tuple(
        LabeledRecording(
            recording=Recording(
                name=f"{path}/g{stream.group}:{cls}",
                signals=np.ascontiguousarray(values[ci].T),
                fs=fs,
                channel_names=names,
            ),
            label=cls,
        )
        for ci, cls in enumerate(KAMP_CLASSES)
    )
    return Dataset(recs, KAMP_CLASSES, fs, str(path))


def load_data(
    path: str | os.PathLike[str],
    *,
    fs: float | None = None,
    duration: float = KAMP_DURATION,
    group: int | None = None,
    classes: tuple[str, ...] | None = None,
) -> Dataset:
    """Labelled recordings from a KAMP folder, a manifest CSV or a folder of CWRU files.

    Parameters
    ----------
    fs : float, optional
        Target rate. Default: 1 kHz for KAMP (the seed's grid), else the
        lowest rate among the recordings.
    duration : float
        KAMP: grid end in seconds (shortened to the data).
    group : int, optional
        KAMP group number if the folder holds several.
    classes : tuple of str, optional
        Class list to use (e.g. a trained model's); labels outside it are an error.
    """
    source = open_source(path, accept=(KAMP, CWRU_FOLDER, MANIFEST))
    if source.kind == KAMP:
        ds = _kamp(source.path, fs=fs or KAMP_FS, duration=duration, group=group)
    else:
        entries = entries_of(source)
        for e in entries if classes is not None else ():
            if e.label not in classes:
                raise DataError(
                    f"{e.where}, column 'label': unknown label {e.label!r}, not among the "
                    f"model's classes; expected one of {', '.join(classes)}"
                )
        loaded = [load_entry(e) for e in entries]
        target = fs or min(r.recording.fs for r in loaded)
        recs: list[LabeledRecording] = []
        for e, r in zip(entries, loaded, strict=True):
            rec = resample_recording(r.recording, target)
            recs.append(replace(r, recording=rec))
            if rec.signals.shape[0] != recs[0].recording.signals.shape[0]:
                raise DataError(
                    f"{e.where}: {rec.signals.shape[0]} channels, the first "
                    f"recording has {recs[0].recording.signals.shape[0]}"
                )
        ds = Dataset(tuple(recs), order_classes([r.label for r in recs]), target, str(path))
    if classes is not None:
        unknown = sorted({r.label for r in ds.recordings} - set(classes))
        if unknown:
            raise DataError(
                f"{path}: labels {unknown} are not among the model's classes {list(classes)}"
            )
        ds = Dataset(ds.recordings, tuple(classes), ds.fs, ds.source)
    return ds


def kamp_signals(
    path: str | os.PathLike[str],
    *,
    fs: float = KAMP_FS,
    duration: float = KAMP_DURATION,
    group: int | None = None,
) -> np.ndarray:
    """A KAMP group's resampled signals in physical units, class by class.

    The seed's linear interpolation onto the ``fs`` grid, without its moving
    average and min-max scaling (the window models do their own scaling, and
    the physics features need m/s²).

    Returns
    -------
    np.ndarray [shape=(n_classes, n_sensors, n_samples)]
    """
    source = open_source(
        path,
        accept=(KAMP,),
        hint="; a preprocessed Parquet file has the seed's smoothing and scaling baked in",
    )
    ds = _kamp(source.path, fs=fs, duration=duration, group=group)
    return np.stack([r.recording.signals for r in ds.recordings])
