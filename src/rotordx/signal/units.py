"""Physical units of vibration signals, and conversion to acceleration in m/s².

Every feature, severity zone and model of rotordx reads acceleration in m/s².
Sensors and recorders write other units: g (most accelerometer data sets),
mm/s (velocity transducers, velocity exports of analysers), or volts with a
sensitivity (raw data-acquisition exports). :func:`to_acceleration` converts
each to m/s²:

=========  ===============================================================
units      conversion
=========  ===============================================================
``m/s2``   none
``g``      × 9.80665 (standard gravity)
``mm/s``   time derivative (a 4th-order central difference, 2nd order at
           the two first and last samples) ÷ 1000. Its gain is within 0.5 %
           of the exact derivative up to fs/10 and 15 % low at fs/4: the
           analysis bands of velocity data (10–1000 Hz) lie far below.
``V``      ÷ the sensitivity (mV per g, per m/s² or per mm/s), then as
           that unit
=========  ===============================================================

Functions
---------
    parse_units, parse_sensitivity, to_acceleration
"""

from __future__ import annotations

import math
import re

import numpy as np

from rotordx.exceptions import ParameterError

__all__ = [
    "ACCELERATION",
    "STANDARD_GRAVITY",
    "UNITS",
    "parse_sensitivity",
    "parse_units",
    "to_acceleration",
]

#: Standard gravity, m/s² per g.
STANDARD_GRAVITY = 9.80665
#: The unit everything downstream reads.
ACCELERATION = "m/s2"
#: The units a recording may be written in (canonical spellings).
UNITS: tuple[str, ...] = ("g", "m/s2", "mm/s", "V")

_SPELLINGS = {
    "g": "g",
    "m/s2": "m/s2",
    "m/s^2": "m/s2",
    "m/s²": "m/s2",
    "m/s/s": "m/s2",
    "ms-2": "m/s2",
    "mm/s": "mm/s",
    "v": "V",
    "volt": "V",
    "volts": "V",
}
#: Units a sensitivity may be given per (a volt signal is first divided into one of them).
_PHYSICAL = ("g", "m/s2", "mm/s")
_SENSITIVITY = re.compile(
    r"^\s*(?P<value>[0-9.eE+-]+)\s*(?:mv\s*/\s*\(?\s*(?P<unit>[^)]*?)\s*\)?)?\s*$", re.IGNORECASE
)


def parse_units(text: str) -> str:
    """The canonical spelling of a unit (``"m/s^2"`` → ``"m/s2"``, ``"G"`` → ``"g"``)."""
    key = str(text).strip().lower().replace(" ", "")
    if key not in _SPELLINGS:
        raise ParameterError(f"unknown units {text!r}; expected one of {', '.join(UNITS)}")
    return _SPELLINGS[key]


def parse_sensitivity(text: str) -> tuple[float, str]:
    """A sensitivity as ``(mV per unit, unit)``.

    ``"100"`` is 100 mV/g (the usual accelerometer datasheet unit);
    ``"100 mV/g"``, ``"10.2 mV/(m/s2)"`` and ``"4 mV/(mm/s)"`` name their unit.
    """
    m = _SENSITIVITY.match(str(text))
    if m is None:
        raise ParameterError(
            f"sensitivity {text!r}: expected a number of mV per g, or e.g. '100 mV/g', "
            "'10.2 mV/(m/s2)', '4 mV/(mm/s)'"
        )
    try:
        value = float(m["value"])
    except ValueError:
        raise ParameterError(f"sensitivity {text!r}: {m['value']!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"sensitivity {text!r}: expected a positive number of mV per unit")
    unit = "g" if not m["unit"] else parse_units(m["unit"])
    if unit not in _PHYSICAL:
        raise ParameterError(
            f"sensitivity {text!r}: mV per {unit}; expected mV per one of {', '.join(_PHYSICAL)}"
        )
    return value, unit


def _derivative(x: np.ndarray, fs: float) -> np.ndarray:
    """d/dt along the last axis: 4th-order central differences, lower order at the ends."""
    n = x.shape[-1]
    if n < 5:
        return np.gradient(x, 1.0 / fs, axis=-1) if n > 1 else np.zeros_like(x)
    out = np.empty_like(x)
    out[..., 2:-2] = (x[..., :-4] - 8.0 * x[..., 1:-3] + 8.0 * x[..., 3:-1] - x[..., 4:]) / 12.0
    out[..., :2] = np.gradient(x[..., :3], axis=-1)[..., :2]
    out[..., -2:] = np.gradient(x[..., -3:], axis=-1)[..., 1:]
    return out * fs


def to_acceleration(
    x: np.ndarray,
    *,
    fs: float,
    units: str,
    sensitivity: tuple[float, str] | None = None,
) -> np.ndarray:
    """``x`` (time on the last axis) in m/s², from ``units`` (see the module docstring).

    ``sensitivity`` (``(mV per unit, unit)``, :func:`parse_sensitivity`) is
    required for ``units="V"`` and refused otherwise.
    """
    units = parse_units(units)
    x = np.asarray(x, dtype=np.float64)
    if units == "V":
        if sensitivity is None:
            raise ParameterError("units 'V' need a sensitivity (mV per g, m/s2 or mm/s)")
        mv_per_unit, units = sensitivity
        x = x * (1000.0 / mv_per_unit)
    elif sensitivity is not None:
        raise ParameterError(f"a sensitivity is only used with units 'V', not {units!r}")
    if units == "m/s2":
        return x.copy()
    if units == "g":
        return x * STANDARD_GRAVITY
    return _derivative(x, fs) / 1000.0  # mm/s -> m/s2
