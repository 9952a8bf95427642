"""The one validator of signals and signal parameters (numpy only).

Every function returns the checked value in a canonical form or raises
:class:`~rotordx.exceptions.DataError` (bad data) or
:class:`~rotordx.exceptions.ParameterError` (a bad parameter), with the
offending value in the message.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rotordx.exceptions import DataError, ParameterError

__all__ = ["as_signal", "check_band", "check_fs", "check_positive"]


def as_signal(x: Any, *, min_samples: int = 2, name: str = "x") -> np.ndarray:
    """``x`` as a finite float64 array with time on the last axis."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a numeric array, got {type(x).__name__}") from None
    if arr.ndim == 0:
        raise DataError(f"{name} must have a time axis (the last axis), got a scalar")
    if arr.shape[-1] < min_samples:
        raise DataError(
            f"{name} has {arr.shape[-1]} sample{'' if arr.shape[-1] == 1 else 's'} on its last "
            "(time) axis; "
            f"at least {min_samples} are needed"
        )
    if arr.size == 0:
        raise DataError(f"{name} is empty (shape {arr.shape})")
    if not np.isfinite(arr).all():
        raise DataError(f"{name} contains NaN or infinite values")
    return arr


def check_fs(fs: Any) -> float:
    """A positive, finite sample rate in Hz."""
    if isinstance(fs, bool) or not isinstance(fs, int | float | np.integer | np.floating):
        raise ParameterError(f"fs must be a positive number of Hz, got {fs!r}")
    fs = float(fs)
    if not (math.isfinite(fs) and fs > 0):
        raise ParameterError(f"fs must be a positive number of Hz, got {fs!r}")
    return fs


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ParameterError(
            f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, got {value!r}"
        )
    return v


def check_band(band: Any, *, fs: float, name: str = "band", clip: bool) -> tuple[float, float]:
    """A frequency band ``(lo, hi)`` with ``0 <= lo < hi``.

    With ``clip`` the upper edge is clipped to the Nyquist frequency
    ``fs / 2``; without it an upper edge at or above Nyquist is an error.
    """
    try:
        lo, hi = (float(v) for v in band)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be a pair (lo, hi) of frequencies in Hz, got {band!r}"
        ) from None
    nyq = fs / 2.0
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or hi <= lo:
        raise ParameterError(f"{name} must satisfy 0 <= lo < hi (Hz), got {band!r}")
    if clip:
        hi = min(hi, nyq)
        if lo >= hi:
            raise ParameterError(
                f"{name} {band!r} lies at or above the Nyquist frequency {nyq:g} Hz (fs={fs:g})"
            )
    elif hi >= nyq:
        raise ParameterError(
            f"{name} upper edge {hi:g} Hz must be below the Nyquist frequency "
            f"{nyq:g} Hz (fs={fs:g})"
        )
    return lo, hi
