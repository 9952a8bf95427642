"""Time-domain statistics of vibration windows.

All functions take ``x`` of shape ``(..., n_samples)`` (time on the last
axis) and reduce the last axis. Except :func:`mean`, every statistic is
computed on the **mean-free** signal ``x - mean(x)`` (AC coupling: an
accelerometer's DC offset carries no vibration information). Ratios whose
denominator is zero (a constant window) are defined as 0, so the results are
always finite.

Functions
---------
    time_features
    mean
    rms
    peak
    peak_to_peak
    crest_factor
    kurtosis
    skewness
    impulse_factor
    shape_factor
    clearance_factor
"""

from __future__ import annotations

import numpy as np

from rotordx.features._numeric import safe_div
from rotordx.signal.validate import as_signal

__all__ = [
    "TIME_FEATURE_NAMES",
    "clearance_factor",
    "crest_factor",
    "impulse_factor",
    "kurtosis",
    "mean",
    "peak",
    "peak_to_peak",
    "rms",
    "shape_factor",
    "skewness",
    "time_features",
]

#: Names of the columns of :func:`time_features`, in order.
TIME_FEATURE_NAMES: tuple[str, ...] = (
    "mean",
    "rms",
    "peak",
    "p2p",
    "crest",
    "kurtosis",
    "skewness",
    "impulse",
    "shape",
    "clearance",
)


def _ac(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = as_signal(x, min_samples=2)
    m = x.mean(axis=-1, keepdims=True)
    return x - m, m[..., 0]


def time_features(x: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """All time-domain statistics at once.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]
        Signal(s), at least 2 samples.

    Returns
    -------
    values : np.ndarray [shape=(..., 10)]
        Columns in the order of ``names``.
    names : list of str
        ``mean, rms, peak, p2p, crest, kurtosis, skewness, impulse, shape,
        clearance`` (see the individual functions for the definitions).

    Raises
    ------
    DataError
        Fewer than 2 samples or non-finite values.
    """
    xc, m = _ac(x)
    return _time_features_ac(xc, m), list(TIME_FEATURE_NAMES)


def _time_features_ac(xc: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The 10 statistics from the mean-free signal ``xc`` and the removed mean ``m``."""
    a = np.abs(xc)
    sq = xc * xc
    ms = sq.mean(axis=-1)
    r = np.sqrt(ms)
    pk = a.max(axis=-1)
    p2p = xc.max(axis=-1) - xc.min(axis=-1)
    mabs = a.mean(axis=-1)
    msqrt = np.sqrt(a).mean(axis=-1)
    m3 = (sq * xc).mean(axis=-1)
    m4 = (sq * sq).mean(axis=-1)
    cols = (
        m,
        r,
        pk,
        p2p,
        safe_div(pk, r),
        safe_div(m4, ms * ms),
        safe_div(m3, ms * r),
        safe_div(pk, mabs),
        safe_div(r, mabs),
        safe_div(pk, msqrt * msqrt),
    )
    return np.stack(cols, axis=-1)


def mean(x: np.ndarray) -> np.ndarray:
    """Mean (the DC part), in the units of ``x``.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    return as_signal(x, min_samples=2).mean(axis=-1)


def rms(x: np.ndarray) -> np.ndarray:
    """Root mean square of the mean-free signal, ``sqrt(mean((x - mean x)^2))``.

    The standard deviation; a sine of amplitude A gives ``A / sqrt(2)``.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    xc, _ = _ac(x)
    return np.sqrt((xc * xc).mean(axis=-1))


def peak(x: np.ndarray) -> np.ndarray:
    """Peak ``max |x - mean x|``.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    xc, _ = _ac(x)
    return np.abs(xc).max(axis=-1)


def peak_to_peak(x: np.ndarray) -> np.ndarray:
    """Peak-to-peak ``max x - min x``.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    x = as_signal(x, min_samples=2)
    return x.max(axis=-1) - x.min(axis=-1)


def crest_factor(x: np.ndarray) -> np.ndarray:
    """Crest factor ``peak / rms`` (sqrt(2) for a sine, 0 for a constant).

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    return time_features(x)[0][..., 4]


def kurtosis(x: np.ndarray) -> np.ndarray:
    """Pearson kurtosis ``m4 / m2^2`` (3 for Gaussian noise, 1.5 for a sine).

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    return time_features(x)[0][..., 5]


def skewness(x: np.ndarray) -> np.ndarray:
    """Skewness ``m3 / m2^(3/2)`` (central moments, biased estimator).

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    return time_features(x)[0][..., 6]


def impulse_factor(x: np.ndarray) -> np.ndarray:
    """Impulse factor ``peak / mean|x|`` (pi/2 for a sine).

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    return time_features(x)[0][..., 7]


def shape_factor(x: np.ndarray) -> np.ndarray:
    """Shape factor ``rms / mean|x|`` (pi / (2 sqrt 2) for a sine).

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    return time_features(x)[0][..., 8]


def clearance_factor(x: np.ndarray) -> np.ndarray:
    """Clearance (margin) factor ``peak / mean(sqrt|x|)^2``.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    return time_features(x)[0][..., 9]
