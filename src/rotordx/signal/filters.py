"""Smoothing filters."""

from __future__ import annotations

import numpy as np

from rotordx.exceptions import DataError, ParameterError

__all__ = ["moving_average"]


def moving_average(x: np.ndarray, *, m: int = 15, axis: int = 0) -> np.ndarray:
    """Moving average over ``m`` samples, keeping only fully covered outputs.

    Same result as the seed's ``np.convolve(x, np.ones(m), "valid") / m``
    along ``axis`` (to floating-point rounding), for any number of columns at
    once. The output is ``m - 1`` samples shorter than the input; output
    sample ``j`` averages input samples ``j … j + m - 1``.

    Parameters
    ----------
    x : np.ndarray
        Signal(s).
    m : int >= 1
        Window length in samples.
    axis : int
        Time axis.
    """
    if not isinstance(m, int | np.integer) or m < 1:
        raise ParameterError(f"moving-average length m must be a positive integer, got {m!r}")
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[axis]
    if n < m:
        raise DataError(f"signal has {n} samples; the moving average needs at least m={m}")
    if m == 1:
        return x.copy()
    x = np.moveaxis(x, axis, 0)
    c = np.cumsum(x, axis=0)
    out = np.empty((n - m + 1, *x.shape[1:]))
    out[0] = c[m - 1]
    out[1:] = c[m:] - c[:-m]
    out /= m
    return np.moveaxis(out, 0, axis)
