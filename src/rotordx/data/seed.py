"""The seed's protocol: preprocessing of a KAMP group and the point-wise 60k/20k/20k split.

Steps, exactly as in the seed guide:

1. linear interpolation of every sensor and machine state onto one grid
   ``np.arange(0, 140, 0.001)`` (1 kHz; shorter when the data is shorter);
2. moving average over M = 15 samples, ``'valid'`` mode (14 samples lost);
3. min-max scaling fitted on the *normal* class and applied to every class.
   As in the seed (``scaler.fit(normal_)``), the scaler is fitted on the
   resampled normal signals *before* the moving average.

:func:`preprocess_group` works on a group already in memory;
:mod:`rotordx.data.preprocessed` reads group folders chunk by chunk, caches
them and writes the Parquet form, with the same numbers bit for bit.
:func:`seed_inputs` applies steps 2 and 3 to any raw block (what a seed
model is fed when it diagnoses), and :func:`seed_split` is the seed's
per-class split into consecutive train / validation / test samples.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from rotordx.classes import KAMP_CLASSES, NORMAL
from rotordx.data.splits import Split
from rotordx.exceptions import DataError, ParameterError
from rotordx.io.kamp import KampGroup
from rotordx.signal.filters import moving_average
from rotordx.signal.resample import interp_linear, uniform_grid
from rotordx.signal.scaling import MinMaxScaling

__all__ = [
    "SEED_SPLIT",
    "PreprocessConfig",
    "Preprocessed",
    "preprocess_group",
    "resample_group",
    "seed_inputs",
    "seed_split",
]

#: The seed's per-class split sizes: consecutive train / valid / test samples.
SEED_SPLIT: tuple[int, int, int] = (60_000, 20_000, 20_000)


def seed_split(
    signals: np.ndarray,
    *,
    sizes: tuple[int, int, int] = SEED_SPLIT,
    seed: int = 0,
) -> tuple[Split, Split, Split]:
    """The seed's point-wise split of per-class signals.

    For every class, samples ``[0, a)`` go to train, ``[a, a+b)`` to
    validation and ``[a+b, a+b+c)`` to test, where ``(a, b, c) = sizes``;
    the label of a class is its index. Each split is then shuffled with a
    generator seeded by ``seed``.

    Parameters
    ----------
    signals : np.ndarray [shape=(n_classes, n, n_features)]
    sizes : (int, int, int)
        Samples per class in train, validation and test.
    seed : int

    Raises
    ------
    DataError
        If a class has fewer than ``sum(sizes)`` samples.
    """
    if len(sizes) != 3 or any(int(s) <= 0 for s in sizes):
        raise ParameterError(f"split sizes must be three positive integers, got {sizes!r}")
    n_cls, n, _ = signals.shape
    if n < sum(sizes):
        raise DataError(
            f"each class has {n} samples; the split {sizes[0]}/{sizes[1]}/{sizes[2]} needs "
            f"{sum(sizes)}. Record longer, or pass smaller sizes (e.g. --split "
            f"{int(n * 0.6)},{int(n * 0.2)},{int(n * 0.2)})"
        )
    rng = np.random.default_rng(seed)
    bounds = np.cumsum((0, *sizes))
    out = []
    for a, b in itertools.pairwise(bounds):
        X = signals[:, a:b].reshape(n_cls * (b - a), -1).astype(np.float32)
        y = np.repeat(np.arange(n_cls, dtype=np.int64), b - a)
        idx = rng.permutation(y.shape[0])
        out.append(Split(X=X[idx], y=y[idx]))
    return out[0], out[1], out[2]


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
    out = np.empty((len(KAMP_CLASSES), grid.shape[0], len(group.sensors)))
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
        scaler = MinMaxScaling.fit(raw[KAMP_CLASSES.index(NORMAL)])
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
        classes=KAMP_CLASSES,
        scaler=scaler,
        config=config,
    )


def seed_inputs(raw: np.ndarray, *, config: PreprocessConfig, scaler: MinMaxScaling) -> np.ndarray:
    """Steps 2 and 3 on a raw block ``(n_sensors, n)``: the seed model's inputs.

    Returns
    -------
    np.ndarray [shape=(n - M + 1, n_sensors)], float32
        The moving average (M = ``config.ma_window``) of the block, scaled.
    """
    return scaler.transform(moving_average(raw.T, m=config.ma_window)).astype(np.float32)
