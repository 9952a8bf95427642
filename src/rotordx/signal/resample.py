"""Bring unevenly sampled sensors onto one uniform time grid."""

from __future__ import annotations

import numpy as np

from rotordx.exceptions import DataError, ParameterError

__all__ = ["interp_linear", "uniform_grid"]


def uniform_grid(*, fs: float, duration: float) -> np.ndarray:
    """The seed's grid ``np.arange(0, duration, 1/fs)``.

    Parameters
    ----------
    fs : float > 0
        Sample rate of the grid in Hz.
    duration : float > 0
        End of the grid in seconds (exclusive).
    """
    if not fs > 0 or not np.isfinite(fs):
        raise ParameterError(f"fs must be a positive number of Hz, got {fs!r}")
    if not duration > 0 or not np.isfinite(duration):
        raise ParameterError(f"duration must be a positive number of seconds, got {duration!r}")
    # Same values as np.arange(0, duration, 1/fs) (the seed's construction).
    return np.arange(0, duration, 1.0 / fs)


def interp_linear(t: np.ndarray, x: np.ndarray, *, grid: np.ndarray) -> np.ndarray:
    """Linear interpolation of every column of ``x`` from times ``t`` onto ``grid``.

    Equivalent to ``scipy.interpolate.interp1d(t, x[:, j], kind="linear")(grid)``
    for each column ``j``, computed once for all columns: the bracketing
    indices and weights depend only on ``t`` and ``grid``.

    Parameters
    ----------
    t : np.ndarray [shape=(n,)]
        Strictly increasing sample times.
    x : np.ndarray [shape=(n,) or (n, k)]
        Samples at ``t``.
    grid : np.ndarray [shape=(m,)]
        Target times, all within ``[t[0], t[-1]]``.

    Returns
    -------
    np.ndarray [shape=(m,) or (m, k)]

    Raises
    ------
    DataError
        If ``grid`` reaches outside the recorded time span (interp1d raises
        there too; extrapolating would invent data).
    """
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if t.ndim != 1 or x.shape[0] != t.shape[0]:
        raise ParameterError(f"t must be 1-D with len(t) == x.shape[0], got {t.shape}, {x.shape}")
    if t.shape[0] < 2:
        raise DataError("need at least two samples to interpolate")
    if grid[0] < t[0] or grid[-1] > t[-1]:
        raise DataError(
            f"grid [{grid[0]:g}, {grid[-1]:g}] s lies outside the recording [{t[0]:g}, {t[-1]:g}] s"
        )
    hi = np.searchsorted(t, grid, side="right")
    hi = np.clip(hi, 1, t.shape[0] - 1)
    lo = hi - 1
    w = (grid - t[lo]) / (t[hi] - t[lo])
    if x.ndim == 2:
        w = w[:, None]
    return x[lo] + (x[hi] - x[lo]) * w
