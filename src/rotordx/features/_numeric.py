"""Arithmetic helpers of the feature modules (private)."""

from __future__ import annotations

import numpy as np

__all__ = ["safe_div"]


def safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, and 0 elsewhere (no warnings, no NaN)."""
    num, den = np.broadcast_arrays(
        np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    )
    out = np.zeros(num.shape)
    np.divide(num, den, out=out, where=den > 0)
    return out
