"""Plausibility bounds on sample values, shared by the readers (see docs/inputs.md).

* :data:`MAX_ACCELERATION`: KAMP and CWRU files hold acceleration (m/s², resp. g
  converted to m/s²). 1e6 m/s² is about 100,000 g, the top of the range of shock
  accelerometers and far beyond any machine-vibration sensor; a larger value is a
  corrupt file (a shifted decimal point, a bit flip, a sentinel such as 9.9e37).
* :data:`MAX_ABS_VALUE`: CSV, Parquet and WAV recordings are in the file's own
  units (m/s², g, raw ADC counts: a 32-bit converter gives up to 2.1e9), so no
  physical bound applies; 1e12 is above any such unit and keeps sums of squares
  over a million samples (1e30) inside float32, the precision the models use.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_ABS_VALUE", "MAX_ACCELERATION", "first_too_large"]

#: Largest accepted |acceleration| in m/s² (KAMP and CWRU files).
MAX_ACCELERATION = 1e6
#: Largest accepted |value| in files of unknown units (CSV, Parquet, WAV).
MAX_ABS_VALUE = 1e12


def first_too_large(x: np.ndarray, limit: float) -> tuple[int, ...] | None:
    """Index of the first element of ``x`` (finite) whose magnitude exceeds ``limit``."""
    bad = np.abs(x) > limit
    if not bad.any():
        return None
    return tuple(int(i) for i in np.argwhere(bad)[0])
