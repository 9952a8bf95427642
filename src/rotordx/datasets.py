"""Labelled recordings from any source, resampled to one rate, and their leak-free windows.

Sources (:func:`load_data`):

* a KAMP group folder: one recording per machine state (``normal``,
  ``type1``, ``type2``, ``type3``), the sensors resampled onto the seed's
  1 kHz grid by linear interpolation;
* a manifest CSV (``path,label`` and optional ``rate,channel,rpm,condition``;
  :mod:`rotordx.io.manifest`) naming ``.mat`` (CWRU), CSV, Parquet or WAV
  recordings;
* a folder of CWRU ``.mat`` files (read as if through
  :func:`rotordx.io.manifest.write_cwru_manifest`'s manifest).

Recordings at another rate are brought to the dataset's rate by
anti-aliased polyphase resampling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.io import CLASSES, Recording, find_groups
from rotordx.io.manifest import LabeledRecording
from rotordx.splits import Split

__all__ = [
    "Dataset",
    "all_windows",
    "load_data",
    "resample_recording",
    "revolutions_to_samples",
    "shuffled_split",
    "speeds_of",
    "split_dataset",
]


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

    def label_index(self, label: str) -> int:
        """Class number of ``label``."""
        try:
            return self.classes.index(label)
        except ValueError:
            raise DataError(f"label {label!r} is not one of {self.classes}") from None

    def subset(self, *, condition: str | None = None, exclude: bool = False) -> Dataset:
        """The recordings of one condition (or all but it), keeping the class list."""
        recs = tuple(r for r in self.recordings if (r.condition == condition) != exclude)
        if not recs:
            raise DataError(f"{self.source}: no recording with condition {condition!r}")
        return Dataset(recs, self.classes, self.fs, f"{self.source}[{condition}]")


def resample_recording(rec: Recording, fs: float) -> Recording:
    """``rec`` at rate ``fs``: anti-aliased polyphase resampling (no-op at equal rates)."""
    from scipy.signal import resample_poly

    if abs(rec.fs - fs) <= 1e-9 * fs:
        return rec
    frac = Fraction(fs / rec.fs).limit_denominator(1000)
    if abs(frac.numerator / frac.denominator * rec.fs - fs) > 1e-6 * fs:
        raise ParameterError(f"cannot resample {rec.fs:g} Hz to {fs:g} Hz by a small ratio")
    sig = resample_poly(rec.signals, frac.numerator, frac.denominator, axis=1)
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


def _order_classes(labels: list[str]) -> tuple[str, ...]:
    uniq = sorted(set(labels))
    if "normal" in uniq:
        uniq.remove("normal")
        uniq.insert(0, "normal")
    return tuple(uniq)


def _kamp(path: Path, *, fs: float, duration: float, group: int | None) -> Dataset:
    from rotordx.stream import GroupStream

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
        for ci, cls in enumerate(CLASSES)
    )
    return Dataset(recs, CLASSES, fs, str(path))


def load_data(
    path: str | os.PathLike[str],
    *,
    fs: float | None = None,
    duration: float = 140.0,
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
    from rotordx.io.cwru import find_cwru
    from rotordx.io.manifest import ManifestEntry, load_entry, read_manifest

    path = Path(path)
    if path.is_dir() and find_groups(path):
        ds = _kamp(path, fs=fs or 1000.0, duration=duration, group=group)
    else:
        if path.is_dir():
            mats = find_cwru(path)
            if not mats:
                raise DataError(
                    f"{path}: neither a KAMP group (g<N>_sensor1.csv …) nor CWRU .mat files"
                )
            entries = [
                ManifestEntry(path=p.resolve(), label=_cwru_label(p), line=i + 1, manifest=path)
                for i, p in enumerate(mats)
            ]
        elif path.is_file() and path.suffix.lower() == ".csv":
            entries = read_manifest(path)
        else:
            raise DataError(
                f"{path}: expected a KAMP group folder, a folder of CWRU .mat files "
                "or a manifest .csv"
            )
        for e in entries if classes is not None else ():
            if e.label not in classes:
                raise DataError(
                    f"{e.where}, column 'label': unknown label {e.label!r}, not among the "
                    f"model's classes; expected one of {', '.join(classes)}"
                )
        loaded = [load_entry(e) for e in entries]
        target = fs or min(r.recording.fs for r in loaded)
        recs = []
        for e, r in zip(entries, loaded, strict=True):
            rec = resample_recording(r.recording, target)
            recs.append(LabeledRecording(rec, r.label, r.rpm, r.condition))
            if rec.signals.shape[0] != recs[0].recording.signals.shape[0]:
                raise DataError(
                    f"{e.where}: {rec.signals.shape[0]} channels, the first "
                    f"recording has {recs[0].recording.signals.shape[0]}"
                )
        ds = Dataset(tuple(recs), _order_classes([r.label for r in recs]), target, str(path))
    if classes is not None:
        unknown = sorted({r.label for r in ds.recordings} - set(classes))
        if unknown:
            raise DataError(
                f"{path}: labels {unknown} are not among the model's classes {list(classes)}"
            )
        ds = Dataset(ds.recordings, tuple(classes), ds.fs, ds.source)
    return ds


def _cwru_label(path: Path) -> str:
    from rotordx.io.cwru import parse_cwru_name

    return parse_cwru_name(path).label


def split_dataset(ds: Dataset, *, config=None, seed: int = 0) -> tuple[Split, Split, Split]:
    """Leak-free train / validation / test windows of every recording.

    Each recording is cut into contiguous blocks with gaps
    (:func:`rotordx.windows.block_bounds`); windows are cut inside each
    block; each split is shuffled with ``seed``.
    """
    from rotordx.windows import WindowConfig, block_bounds, frame

    config = config or WindowConfig()
    parts: list[list[tuple[np.ndarray, np.ndarray]]] = [[], [], []]
    for r in ds.recordings:
        sig = r.recording.signals
        try:
            bounds = block_bounds(sig.shape[1], config=config)
        except DataError as exc:
            raise DataError(f"{r.recording.name}: {exc}") from exc
        k = ds.label_index(r.label)
        for i, (a, b) in enumerate(bounds):
            w = frame(sig[:, a:b], window=config.window, hop=config.hop)
            parts[i].append((w, np.full(len(w), k, dtype=np.int64), speeds_of(r, len(w))))
    rng = np.random.default_rng(seed)
    known = any(r.rpm for r in ds.recordings)
    a, b, c = (shuffled_split(p, rng=rng, speed=known) for p in parts)
    return a, b, c


def shuffled_split(parts: list[tuple], *, rng: np.random.Generator, speed: bool) -> Split:
    """One split from ``(windows, labels, shaft_hz)`` parts, concatenated and shuffled.

    ``speed=False`` leaves ``shaft_hz`` out (no recording had an rpm).
    """
    X = np.concatenate([w for w, _, _ in parts]).astype(np.float32)
    y = np.concatenate([lab for _, lab, _ in parts])
    hz = np.concatenate([v for _, _, v in parts]) if speed else None
    return Split(X=X, y=y, shaft_hz=hz).take(rng.permutation(len(y)))


def speeds_of(r: LabeledRecording, n: int) -> np.ndarray:
    """Shaft speed in Hz of ``n`` windows of ``r`` (NaN when its rpm is unknown)."""
    return np.full(n, r.rpm / 60.0 if r.rpm else np.nan, dtype=np.float64)


def all_windows(ds: Dataset, *, window: int, hop: int | None = None) -> Split:
    """Every window (non-overlapping by default) of every recording, in order."""
    from rotordx.windows import frame

    hop = hop or window
    xs, ys, vs = [], [], []
    for r in ds.recordings:
        try:
            w = frame(r.recording.signals, window=window, hop=hop)
        except DataError as exc:
            raise DataError(f"{r.recording.name}: {exc}") from exc
        xs.append(w)
        ys.append(np.full(len(w), ds.label_index(r.label), dtype=np.int64))
        vs.append(speeds_of(r, len(w)))
    speed = np.concatenate(vs) if any(r.rpm for r in ds.recordings) else None
    return Split(X=np.concatenate(xs).astype(np.float32), y=np.concatenate(ys), shaft_hz=speed)
