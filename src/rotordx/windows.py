"""The leak-free windowed protocol: contiguous time blocks with gaps, then windows.

Overlapping windows drawn at random into train and test share samples, which
inflates accuracy (documented for the CWRU bearing data). Here every class's
signal is first cut into contiguous train / validation / test *blocks*
separated by gaps of at least one window; windows are then cut inside each
block only, so no sample appears in two splits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.splits import Split

__all__ = ["WindowConfig", "block_bounds", "frame", "window_split", "windows_of"]


@dataclass(frozen=True)
class WindowConfig:
    """Window length, hop and block split of the windowed protocol."""

    window: int = 1024  # samples per window (1.024 s at 1 kHz: ~30 revolutions at 1800 rpm)
    hop: int = 512  # samples between window starts inside a block
    fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)  # train / valid / test share of time
    gap: int | None = None  # samples left out between blocks; default one window

    def __post_init__(self) -> None:
        for name in ("window", "hop"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ParameterError(f"{name} must be a positive integer, got {v!r}")
        if self.window < 16:
            raise ParameterError(f"window must be at least 16 samples, got {self.window}")
        fr = tuple(float(f) for f in self.fractions)
        if len(fr) != 3 or min(fr) <= 0 or not math.isclose(sum(fr), 1.0, abs_tol=1e-9):
            raise ParameterError(
                f"fractions must be three positive shares summing to 1, got {self.fractions!r}"
            )
        if self.gap is not None and (
            isinstance(self.gap, bool)
            or not isinstance(self.gap, int | np.integer)
            or self.gap < self.window
        ):
            raise ParameterError(
                f"gap must be at least one window ({self.window} samples), got {self.gap!r}"
            )

    @property
    def gap_samples(self) -> int:
        """The gap actually used between blocks."""
        return self.window if self.gap is None else self.gap


def frame(x: np.ndarray, *, window: int, hop: int) -> np.ndarray:
    """Cut the last axis of ``x`` into windows.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]
    window, hop : int

    Returns
    -------
    np.ndarray [shape=(n_windows, ..., window)]
        A copy; ``n_windows = 1 + (n_samples - window) // hop``.

    Raises
    ------
    DataError
        If the signal is shorter than one window.
    """
    for name, v in (("window", window), ("hop", hop)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ParameterError(f"{name} must be a positive integer, got {v!r}")
    n = x.shape[-1]
    if n < window:
        raise DataError(f"signal has {n} samples, shorter than one window of {window}")
    view = np.lib.stride_tricks.sliding_window_view(x, window, axis=-1)[..., ::hop, :]
    return np.ascontiguousarray(np.moveaxis(view, -2, 0))


def block_bounds(n: int, *, config: WindowConfig) -> list[tuple[int, int]]:
    """Sample ranges ``[start, stop)`` of the train, validation and test blocks.

    The usable length ``n - 2 * gap`` is shared by ``config.fractions``; each
    block must hold at least one window.
    """
    gap = config.gap_samples
    usable = n - 2 * gap
    sizes = [int(usable * f) for f in config.fractions]
    if usable <= 0 or min(sizes) < config.window:
        need = math.ceil(config.window / min(config.fractions)) + 2 * gap
        raise DataError(
            f"recording has {n} samples; blocks of {config.fractions} with gaps of {gap} and "
            f"windows of {config.window} need at least {need}"
        )
    bounds, start = [], 0
    for size in sizes:
        bounds.append((start, start + size))
        start += size + gap
    return bounds


def windows_of(signals: np.ndarray, *, window: int, hop: int) -> Split:
    """All windows of every class, for scoring a whole recording.

    Parameters
    ----------
    signals : np.ndarray [shape=(n_classes, n_channels, n_samples)]

    Returns
    -------
    Split
        ``X`` (n_windows, n_channels, window) float32, ``y`` the class index.
    """
    xs = [frame(s, window=window, hop=hop) for s in signals]
    X = np.concatenate(xs).astype(np.float32)
    y = np.concatenate([np.full(len(w), c, dtype=np.int64) for c, w in enumerate(xs)])
    return Split(X=X, y=y)


def window_split(
    signals: np.ndarray, *, config: WindowConfig | None = None, seed: int = 0
) -> tuple[Split, Split, Split]:
    """Leak-free train / validation / test windows.

    Parameters
    ----------
    signals : np.ndarray [shape=(n_classes, n_channels, n_samples)]
        One multi-channel signal per class (label = index).
    config : WindowConfig, optional
    seed : int
        Shuffles the windows inside each split.

    Returns
    -------
    (Split, Split, Split)
        ``X`` of shape (n_windows, n_channels, window), float32.
    """
    config = config or WindowConfig()
    if signals.ndim != 3:
        raise ParameterError(
            f"signals must have shape (n_classes, n_channels, n_samples), got {signals.shape}"
        )
    bounds = block_bounds(signals.shape[2], config=config)
    rng = np.random.default_rng(seed)
    out = []
    for a, b in bounds:
        s = windows_of(signals[:, :, a:b], window=config.window, hop=config.hop)
        idx = rng.permutation(len(s))
        out.append(Split(X=s.X[idx], y=s.y[idx]))
    return out[0], out[1], out[2]
