"""The seed's preprocessing of a KAMP group, and its Parquet form.

Steps, exactly as in the seed guide:

1. linear interpolation of every sensor and machine state onto one grid
   ``np.arange(0, 140, 0.001)`` (1 kHz; shorter when the data is shorter);
2. moving average over M = 15 samples, ``'valid'`` mode (14 samples lost);
3. min-max scaling fitted on the *normal* class and applied to every class.
   As in the seed (``scaler.fit(normal_)``), the scaler is fitted on the
   resampled normal signals *before* the moving average.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rotordx._atomic import atomic_file
from rotordx.exceptions import DataError, ParameterError
from rotordx.io.kamp import CLASSES, KampGroup
from rotordx.signal import MinMaxScaling, interp_linear, moving_average, uniform_grid

__all__ = [
    "PreprocessConfig",
    "Preprocessed",
    "preprocess_group",
    "read_preprocessed",
    "resample_group",
    "write_preprocessed",
]

_META_KEY = b"rotordx"


@dataclass(frozen=True)
class PreprocessConfig:
    """Parameters of the seed preprocessing."""

    fs: float = 1000.0  # grid rate in Hz (the seed's 0.001 s period)
    duration: float = 140.0  # grid end in s; shortened to the data when the data is shorter
    ma_window: int = 15  # moving-average length M in samples

    def __post_init__(self) -> None:
        if not (self.fs > 0 and math.isfinite(self.fs)):
            raise ParameterError(f"fs must be a positive number of Hz, got {self.fs!r}")
        if not (self.duration > 0 and math.isfinite(self.duration)):
            raise ParameterError(f"duration must be positive seconds, got {self.duration!r}")
        if not isinstance(self.ma_window, int) or self.ma_window < 1:
            raise ParameterError(f"ma_window must be a positive integer, got {self.ma_window!r}")


@dataclass(frozen=True)
class Preprocessed:
    """A preprocessed group: one scaled (n, n_sensors) signal per machine state.

    Attributes
    ----------
    time : np.ndarray [shape=(n,)]
        Time of each sample: the grid time of the *last* input sample of its
        moving-average window (a causal, trailing average).
    signals : np.ndarray [shape=(n_classes, n, n_sensors)]
        Scaled signals, ``signals[label]`` for each class.
    classes : tuple of str
        Class names; the label of a class is its index.
    scaler : MinMaxScaling
        The scaling that was applied.
    config : PreprocessConfig
    """

    time: np.ndarray
    signals: np.ndarray
    classes: tuple[str, ...]
    scaler: MinMaxScaling
    config: PreprocessConfig = field(default_factory=PreprocessConfig)

    @property
    def n_sensors(self) -> int:
        """Number of sensors (feature columns)."""
        return int(self.signals.shape[2])

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """All samples and labels, class by class: ``X`` (N, n_sensors), ``y`` (N,)."""
        n_cls, n, k = self.signals.shape
        return self.signals.reshape(n_cls * n, k), np.repeat(np.arange(n_cls), n)


def resample_group(
    group: KampGroup, *, fs: float, duration: float
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate every sensor of ``group`` onto one uniform grid.

    Returns
    -------
    grid : np.ndarray [shape=(n,)]
        ``np.arange(t0, min(duration, group.duration), 1/fs)`` with ``t0 = 0``
        when every sensor starts at or before 0 (the seed's grid).
    values : np.ndarray [shape=(n_classes, n, n_sensors)]
    """
    start = max(float(s.time[0]) for s in group.sensors)
    t0 = 0.0 if start <= 0 else math.ceil(start * fs) / fs
    end = min(duration, group.duration)
    if end - t0 < 2.0 / fs:
        raise DataError(
            f"group {group.group}: sensors overlap only from {t0:g} s to {end:g} s; "
            "too short to resample"
        )
    grid = uniform_grid(fs=fs, duration=end)
    grid = grid[grid >= t0] if t0 > 0 else grid
    grid = grid[grid <= end]
    out = np.empty((len(CLASSES), grid.shape[0], len(group.sensors)))
    for j, s in enumerate(group.sensors):
        try:
            out[:, :, j] = interp_linear(s.time, s.values, grid=grid).T
        except DataError as exc:
            raise DataError(f"{s.path}: {exc}") from exc
    return grid, out


def preprocess_group(
    group: KampGroup,
    *,
    config: PreprocessConfig | None = None,
    scaler: MinMaxScaling | None = None,
) -> Preprocessed:
    """Resample, smooth and scale a KAMP group as the seed does.

    Parameters
    ----------
    group : KampGroup
    config : PreprocessConfig, optional
    scaler : MinMaxScaling, optional
        Apply this scaling (e.g. a saved model's) instead of fitting one on
        the normal class of ``group``.
    """
    config = config or PreprocessConfig()
    grid, raw = resample_group(group, fs=config.fs, duration=config.duration)
    if raw.shape[1] < config.ma_window:
        raise DataError(
            f"group {group.group}: {raw.shape[1]} resampled samples, fewer than the "
            f"moving-average length {config.ma_window}"
        )
    if scaler is None:
        scaler = MinMaxScaling.fit(raw[CLASSES.index("normal")])
    elif scaler.n_features != raw.shape[2]:
        raise DataError(
            f"scaler expects {scaler.n_features} sensors, group {group.group} has {raw.shape[2]}"
        )
    smooth = moving_average(raw, m=config.ma_window, axis=1)
    n_cls, n, k = smooth.shape
    scaled = scaler.transform(smooth.reshape(n_cls * n, k)).reshape(n_cls, n, k)
    return Preprocessed(
        time=grid[config.ma_window - 1 :],
        signals=scaled,
        classes=CLASSES,
        scaler=scaler,
        config=config,
    )


def write_preprocessed(data: Preprocessed, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` as Parquet: columns ``time, s1 … sK, label``, one row per sample.

    Scaler, class names and preprocessing parameters go into the file's
    schema metadata, so :func:`read_preprocessed` restores everything.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    X, y = data.samples()
    n_cls = len(data.classes)
    cols = {"time": np.tile(data.time, n_cls)}
    cols.update({f"s{j + 1}": X[:, j] for j in range(X.shape[1])})
    cols["label"] = y.astype(np.int8)
    meta = {
        "format": "rotordx-preprocessed",
        "version": 1,
        "classes": list(data.classes),
        "scaler": data.scaler.to_dict(),
        "config": asdict(data.config),
    }
    table = pa.table(cols).replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    path = Path(path)
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp)
    return path


def read_preprocessed(path: str | os.PathLike[str]) -> Preprocessed:
    """Read a file written by :func:`write_preprocessed`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
    raw_meta = (table.schema.metadata or {}).get(_META_KEY)
    if raw_meta is None:
        raise DataError(
            f"{path}: no rotordx metadata; expected a file written by `rotordx preprocess`"
        )
    try:
        meta = json.loads(raw_meta)
        classes = tuple(meta["classes"])
        scaler = MinMaxScaling.from_dict(meta["scaler"])
        config = PreprocessConfig(**meta["config"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: invalid rotordx metadata ({exc})") from exc
    k = scaler.n_features
    needed = ["time", *(f"s{j + 1}" for j in range(k)), "label"]
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    n_cls = len(classes)
    label = table.column("label").to_numpy()
    if label.shape[0] % n_cls or not np.array_equal(
        label, np.repeat(np.arange(n_cls), label.shape[0] // n_cls)
    ):
        raise DataError(f"{path}: column 'label' is not {n_cls} equal, ordered class blocks")
    n = label.shape[0] // n_cls
    X = np.column_stack([table.column(f"s{j + 1}").to_numpy() for j in range(k)])
    return Preprocessed(
        time=table.column("time").to_numpy()[:n].copy(),
        signals=X.reshape(n_cls, n, k),
        classes=classes,
        scaler=scaler,
        config=config,
    )
