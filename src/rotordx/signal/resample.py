"""Resampling: unevenly sampled sensors onto one uniform grid, and one rate to another.

:func:`uniform_grid`, :func:`grid_times` and :func:`interp_linear` are the
seed's linear interpolation onto ``np.arange(0, duration, 1/fs)``;
:func:`change_rate` brings a uniformly sampled signal to another rate by
anti-aliased polyphase filtering.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from rotordx.exceptions import DataError, ParameterError

__all__ = ["change_rate", "grid_size", "grid_times", "interp_linear", "uniform_grid"]


def _check_grid(fs: float, duration: float) -> None:
    if not fs > 0 or not np.isfinite(fs):
        raise ParameterError(f"fs must be a positive number of Hz, got {fs!r}")
    if not duration > 0 or not np.isfinite(duration):
        raise ParameterError(f"duration must be a positive number of seconds, got {duration!r}")


def uniform_grid(*, fs: float, duration: float) -> np.ndarray:
    """The seed's grid ``np.arange(0, duration, 1/fs)``.

    Parameters
    ----------
    fs : float > 0
        Sample rate of the grid in Hz.
    duration : float > 0
        End of the grid in seconds (exclusive).
    """
    _check_grid(fs, duration)
    # Same values as np.arange(0, duration, 1/fs) (the seed's construction).
    return np.arange(0, duration, 1.0 / fs)


def grid_size(*, fs: float, duration: float) -> int:
    """Length of :func:`uniform_grid` without building it (numpy's own arange length)."""
    _check_grid(fs, duration)
    return math.ceil(duration / (1.0 / fs))


def grid_times(start: int, stop: int, *, fs: float) -> np.ndarray:
    """Points ``start … stop-1`` of the grid, bit for bit ``uniform_grid(...)[start:stop]``.

    numpy's ``arange(0, d, step)`` holds ``i * step`` at index ``i``, so any
    part of the grid can be made without the rest (chunked processing).
    """
    return np.arange(start, stop, dtype=np.float64) * (1.0 / fs)


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
    grid = np.asarray(grid, dtype=np.float64)
    if grid.shape[0] and (grid[0] < t[0] or grid[-1] > t[-1]):
        raise DataError(
            f"grid [{grid[0]:g}, {grid[-1]:g}] s lies outside the recording [{t[0]:g}, {t[-1]:g}] s"
        )
    lo, w = interp_weights(t, grid)
    if x.ndim == 1:
        return interp_columns(x[None, :], lo, w)[0]
    return interp_columns(np.ascontiguousarray(x.T), lo, w).T


def interp_weights(t: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bracketing index ``lo`` and weight ``w`` of every grid point (``grid`` inside ``t``).

    ``x(g) = x[lo] + (x[lo + 1] - x[lo]) * w``; at the last sample time the
    bracket is the last interval with ``w = 1`` (as interp1d).
    """
    lo = np.searchsorted(t, grid, side="right")
    np.clip(lo, 1, t.shape[0] - 1, out=lo)
    lo -= 1
    tl = t.take(lo)
    w = np.subtract(grid, tl)
    span = t.take(lo + 1)
    span -= tl
    w /= span
    return lo, w


def interp_columns(xt: np.ndarray, lo: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Interpolate the rows of ``xt`` (k, n) with :func:`interp_weights`' ``lo, w``: (k, m)."""
    out = np.empty((xt.shape[0], lo.shape[0]))
    hi = lo + 1
    for j in range(xt.shape[0]):
        row = xt[j]
        a = row.take(lo)
        o = out[j]
        np.subtract(row.take(hi), a, out=o)
        o *= w
        o += a
    return out


def change_rate(x: np.ndarray, *, orig_fs: float, target_fs: float) -> np.ndarray:
    """``x`` (time on the last axis) at rate ``target_fs``: anti-aliased polyphase resampling.

    The ratio ``target_fs / orig_fs`` must be a fraction with a denominator of
    at most 1000 (e.g. 48 kHz -> 12 kHz, 25.6 kHz -> 20 kHz); equal rates
    return ``x`` itself.

    Raises
    ------
    ParameterError
        If the ratio is not such a fraction.
    """
    if abs(orig_fs - target_fs) <= 1e-9 * target_fs:
        return x
    frac = Fraction(target_fs / orig_fs).limit_denominator(1000)
    if abs(frac.numerator / frac.denominator * orig_fs - target_fs) > 1e-6 * target_fs:
        raise ParameterError(f"cannot resample {orig_fs:g} Hz to {target_fs:g} Hz by a small ratio")
    from scipy.signal import resample_poly  # lazy: scipy.signal takes about a second to import

    return resample_poly(x, frac.numerator, frac.denominator, axis=-1)
