"""Time axes of recordings: which columns are time, and the sample rate a time axis gives.

Shared by the CSV/Parquet reader (:mod:`rotordx.io.tabular`), the MATLAB reader
(:mod:`rotordx.io.matlab`) and the TDMS reader (:mod:`rotordx.io.tdms`), so that a time
column means the same everywhere (docs/inputs.md, "Time columns").

* :func:`time_scale`: whether a column name is a time name (``time``, ``t``,
  ``timestamp``, ``X-Axis``, ``time [s]``, ``Time (ms)``…) and the factor to seconds.
* :func:`time_rate`: the sample rate a strictly increasing, nearly uniform time axis gives,
  or its agreement with a rate given by the user.
* :func:`is_counter`: a column 0, 1, 2, … (steps of exactly 1) counts samples.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np

from rotordx.exceptions import DataError

__all__ = [
    "MAX_STEP_DEVIATION",
    "MAX_TIME_DRIFT",
    "MIN_HEADERLESS_ROWS",
    "RATE_TOLERANCE",
    "TIME_NAMES",
    "agree",
    "is_counter",
    "nominal_rate",
    "time_rate",
    "time_scale",
]

#: Column names that are time (compared lower-case, with spaces, ``-`` and ``.`` read as
#: ``_``, after a unit in brackets or an ``_s``/``_ms``/``_us`` suffix is taken off).
TIME_NAMES: tuple[str, ...] = (
    "time",
    "t",
    "times",
    "seconds",
    "sec",
    "timestamp",
    "time_stamp",
    "datetime",
    "date_time",
    "elapsed",
    "elapsed_time",
    "x_axis",
)
#: Time units a column name may state (``time [ms]``, ``t_us``) -> seconds per unit.
TIME_UNITS: dict[str, float] = {
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "ms": 1e-3,
    "msec": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
}
#: A rate given with a file whose time axis gives another must agree within this fraction.
RATE_TOLERANCE = 0.01
#: Every step of a time axis lies within this fraction of the mean step (a missing sample
#: doubles a step, a repeated one nearly zeroes it).
MAX_STEP_DEVIATION = 0.5
#: Every time stamp lies within this many sample periods of the uniform grid from the first
#: to the last stamp (a clock that wanders; a real one, VBL-VA001's, wanders up to 2.2).
MAX_TIME_DRIFT = 4.0
#: A headerless first column is time only from this many rows on (a short stretch of a
#: slowly varying signal can increase at every sample).
MIN_HEADERLESS_ROWS = 16
#: A rate computed from a time step (a time axis, ``wf_increment``, a UFF abscissa
#: increment) is rounded to the fewest significant digits that stay within this fraction
#: of it: time stamps printed with few decimals, or a clock off by 30 ppm, give 4095.99 Hz
#: or 19999.4 Hz for 4096 Hz or 20 kHz, and recordings are resampled to a common rate only
#: by ratios of small whole numbers.
RATE_ROUNDING = 1e-4
#: Time values beyond this (s) are not seconds: as seconds since 1970 they would lie after
#: the year 5000 (epoch milliseconds, or nanoseconds).
MAX_TIME_VALUE = 1e11

_BRACKET = re.compile(r"^(?P<name>.*?)\s*[\[(]\s*(?P<unit>[^\])]*?)\s*[\])]$")
_SEPARATORS = re.compile(r"[\s\-./]+")


def _norm(text: str) -> str:
    return _SEPARATORS.sub("_", text.strip().lower()).strip("_")


def time_scale(name: str) -> float | str | None:
    """Seconds per unit of a column named ``name`` if it is a time name, else ``None``.

    ``"time"``, ``"Time (s)"``, ``"X-Axis"``, ``"time_s"`` -> 1.0; ``"time [ms]"``,
    ``"t_ms"`` -> 0.001; a time name with a unit that is not a time unit (``"time [h]"``)
    -> that unit as a ``str`` (the caller refuses it).
    """
    text = str(name).strip().lower()
    unit: str | None = None
    m = _BRACKET.match(text)
    if m:
        text, unit = m["name"], m["unit"].strip()
    base = _norm(text)
    if unit is None:
        for u in ("s", "sec", "ms", "us"):
            if base.endswith("_" + u) and base[: -len(u) - 1] in TIME_NAMES:
                base, unit = base[: -len(u) - 1], u
                break
    if base not in TIME_NAMES:
        return None
    if unit is None or unit == "":
        return 1.0
    return TIME_UNITS.get(unit, unit)


def is_counter(x: np.ndarray) -> bool:
    """Whether ``x`` counts samples: whole numbers increasing by exactly 1."""
    return x.size >= 2 and bool(np.all(np.diff(x) == 1.0)) and float(x[0]) == round(float(x[0]))


def nominal_rate(rate: float) -> float:
    """``rate`` rounded to the fewest significant digits within :data:`RATE_ROUNDING` of it
    (19999.39 -> 20000, 4095.99 -> 4096, 8191.9 -> 8192, 44100 -> 44100)."""
    for digits in range(1, 17):
        r = float(f"{rate:.{digits}g}")
        if abs(r - rate) <= RATE_ROUNDING * rate:
            return r
    return rate


def agree(a: float, b: float) -> bool:
    """Whether two rates agree within :data:`RATE_TOLERANCE`."""
    return abs(a - b) <= RATE_TOLERANCE * max(a, b)


def _hint(ratio: float) -> str:
    for factor, unit in ((1e3, "ms"), (1e6, "µs")):
        if abs(ratio * factor - 1) < 0.05:
            return f" (a time axis in {unit}? name the column e.g. 'time [{unit}]')"
    return ""


def time_rate(
    t: np.ndarray, *, rate: float | None, at: Callable[[int | None], str], given: str = "--rate"
) -> float:
    """The sample rate of time axis ``t`` (seconds), checked.

    ``t`` must be finite and strictly increasing. Without ``rate``: every step within
    :data:`MAX_STEP_DEVIATION` of the mean step and every stamp within
    :data:`MAX_TIME_DRIFT` sample periods of the uniform grid from the first to the last
    stamp; the rate is ``(n - 1) / (t[-1] - t[0])``, rounded by :func:`nominal_rate`. With
    ``rate`` (the user's word that
    the samples are uniform at that rate) the time axis must agree with it within
    :data:`RATE_TOLERANCE`, and ``rate`` is returned.

    ``at(i)`` is the message prefix for sample ``i`` (``at(None)``: the axis as a whole),
    e.g. ``"rec.csv: line 12, column 'time'"``; ``given`` names where ``rate`` came from.
    """
    n = t.size
    big = np.abs(t) > MAX_TIME_VALUE
    if big.any():
        i = int(np.argmax(big))
        raise DataError(
            f"{at(i)}: found {float(t[i]):g}; expected seconds (as seconds since 1970 this "
            "lies after the year 5000: epoch milliseconds? name the column e.g. "
            "'timestamp [ms]')"
        )
    dt = np.diff(t)
    bad = dt <= 0
    if bad.any():
        i = int(np.argmax(bad)) + 1
        found = f"{float(t[i])!r} " + ("again" if dt[i - 1] == 0 else f"after {float(t[i - 1])!r}")
        raise DataError(
            f"{at(i)}: time does not increase (found {found}); expected strictly increasing time"
        )
    span = float(t[-1] - t[0])
    mean = span / (n - 1)
    own = 1.0 / mean if mean > 0 else math.inf
    if not math.isfinite(own):
        raise DataError(
            f"{at(None)}: found time steps of {mean:g} s; expected steps that give a finite "
            "sample rate"
        )
    if rate is not None:
        if not agree(own, float(rate)):
            raise DataError(
                f"{at(None)}: the time axis gives {own:g} Hz, {given} says {float(rate):g} Hz; "
                f"expected them to agree within {RATE_TOLERANCE:.0%}{_hint(own / float(rate))}"
            )
        return float(rate)
    off = np.abs(dt - mean) > MAX_STEP_DEVIATION * mean
    if off.any():
        i = int(np.argmax(off)) + 1
        raise DataError(
            f"{at(i)}: time step {float(dt[i - 1]):g} s, the mean step is {mean:g} s; expected "
            f"every step within {MAX_STEP_DEVIATION:.0%} of the mean (a missing or repeated "
            "sample? resample first, or pass --rate)"
        )
    drift = np.abs(t - (t[0] + np.arange(n) * mean)) / mean
    worst = int(np.argmax(drift))
    if drift[worst] > MAX_TIME_DRIFT:
        raise DataError(
            f"{at(worst)}: time {float(t[worst]):g} s lies {float(drift[worst]):.1f} sample "
            f"periods off the uniform grid of {own:g} Hz; expected at most {MAX_TIME_DRIFT:g} "
            "(uneven sampling: resample first, or pass --rate)"
        )
    return nominal_rate(own)
