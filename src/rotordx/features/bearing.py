"""Rolling-element bearing defect frequencies and envelope-spectrum features.

A local defect on a bearing race or ball produces a short impact each time a
rolling element passes over it. The impacts ring the structure's resonances,
so the vibration at a resonance is *amplitude modulated* at the defect's
repetition rate. Band-passing around a resonance and taking the Hilbert
envelope demodulates it: the envelope spectrum shows a line at the defect
frequency and its harmonics (:func:`~rotordx.features.envelope_spectrum`).

Defect frequencies (shaft frequency ``f``, ``n`` balls of diameter ``d`` on a
pitch diameter ``D``, contact angle ``a``; e.g. Randall & Antoni, *Rolling
element bearing diagnostics — a tutorial*, MSSP 25 (2011), eq. (1)–(4))::

    FTF  = f / 2 (1 - d/D cos a)               cage (fundamental train)
    BPFO = n f / 2 (1 - d/D cos a)             ball pass, outer race
    BPFI = n f / 2 (1 + d/D cos a)             ball pass, inner race
    BSF  = D / (2 d) f (1 - (d/D cos a)^2)     ball spin

Envelope analysis, which finds these frequencies in a signal, is
:mod:`rotordx.features.envelope`.

Functions
---------
    bearing_geometry, defect_frequencies, defect_multipliers
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rotordx.exceptions import ParameterError
from rotordx.signal.validate import check_positive

__all__ = [
    "BEARINGS",
    "DEFECTS",
    "DEFECT_FAULTS",
    "SKF_6205",
    "BearingGeometry",
    "bearing_geometry",
    "check_geometry",
    "defect_frequencies",
    "defect_multipliers",
]

#: Defect frequencies reported by :func:`bearing_envelope_features`, in order.
DEFECTS: tuple[str, ...] = ("bpfo", "bpfi", "bsf", "ftf")
#: The bearing part whose defect repeats at each frequency.
DEFECT_FAULTS: dict[str, str] = {
    "bpfo": "outer_race",
    "bpfi": "inner_race",
    "bsf": "ball",
    "ftf": "cage",
}


@dataclass(frozen=True)
class BearingGeometry:
    """Geometry of a rolling-element bearing.

    Attributes
    ----------
    n_balls : int >= 1
        Number of rolling elements.
    ball_diameter : float > 0
        Rolling-element diameter ``d``.
    pitch_diameter : float > 0
        Pitch (cage) diameter ``D``; any length unit, the same as ``d``.
    contact_angle_deg : float in [0, 90)
        Contact angle ``a`` in degrees (0 for a deep-groove ball bearing
        under radial load).
    name : str
        For messages and reports.

    Raises
    ------
    ParameterError
        If a value is out of range or ``d cos a >= D``.
    """

    n_balls: int
    ball_diameter: float
    pitch_diameter: float
    contact_angle_deg: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        n = self.n_balls
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ParameterError(f"n_balls must be a positive integer, got {n!r}")
        d = check_positive(self.ball_diameter, "ball_diameter")
        big_d = check_positive(self.pitch_diameter, "pitch_diameter")
        a = check_positive(self.contact_angle_deg, "contact_angle_deg", allow_zero=True)
        if a >= 90:
            raise ParameterError(f"contact_angle_deg must be in [0, 90), got {a!r}")
        if d * math.cos(math.radians(a)) >= big_d:
            raise ParameterError(
                f"ball_diameter ({d:g}) × cos(contact angle) must be smaller than "
                f"pitch_diameter ({big_d:g})"
            )

    @property
    def ratio(self) -> float:
        """``d / D · cos a``."""
        return (
            self.ball_diameter
            / self.pitch_diameter
            * math.cos(math.radians(self.contact_angle_deg))
        )


#: SKF 6205-2RS JEM deep-groove ball bearing, the drive-end bearing of the CWRU
#: rig: 9 balls, d = 0.3126 in, D = 1.537 in, contact angle 0°.
SKF_6205 = BearingGeometry(9, 0.3126, 1.537, 0.0, name="SKF 6205")


#: Bearing geometries by preset name (``--bearing``, a bundle's ``input["bearing"]``).
BEARINGS: dict[str, BearingGeometry] = {"SKF_6205": SKF_6205}


def bearing_geometry(name: str | BearingGeometry) -> BearingGeometry:
    """The geometry of a preset name (case and ``-``/``_`` insensitive) or the geometry itself."""
    if isinstance(name, BearingGeometry):
        return name
    key = str(name).upper().replace("-", "_").replace(" ", "_")
    if key not in BEARINGS:
        raise ParameterError(f"unknown bearing {name!r}; known: {', '.join(BEARINGS)}")
    return BEARINGS[key]


def check_geometry(geometry: Any) -> BearingGeometry:
    if not isinstance(geometry, BearingGeometry):
        raise ParameterError(f"geometry must be a BearingGeometry, got {type(geometry).__name__}")
    return geometry


def defect_multipliers(geometry: BearingGeometry) -> dict[str, float]:
    """Defect frequencies per Hz of shaft speed."""
    r = geometry.ratio
    n = geometry.n_balls
    return {
        "ftf": 0.5 * (1.0 - r),
        "bpfo": 0.5 * n * (1.0 - r),
        "bpfi": 0.5 * n * (1.0 + r),
        "bsf": geometry.pitch_diameter / (2.0 * geometry.ball_diameter) * (1.0 - r * r),
    }


def defect_frequencies(shaft_hz: Any, geometry: BearingGeometry) -> dict[str, Any]:
    """Bearing defect frequencies at a shaft speed.

    Parameters
    ----------
    shaft_hz : float or np.ndarray
        Shaft (inner-ring) rotation frequency in Hz, outer ring fixed
        (rpm / 60).
    geometry : BearingGeometry
        The bearing (e.g. ``bearing_geometry("SKF_6205")``).

    Returns
    -------
    dict
        ``{"ftf", "bpfo", "bpfi", "bsf"}`` in Hz (floats for a scalar
        ``shaft_hz``, arrays otherwise): see the module docstring. For the
        SKF 6205 at 1797 rpm: FTF 11.93, BPFO 107.36, BPFI 162.19, BSF 70.58 Hz.

    Raises
    ------
    ParameterError
        If ``shaft_hz`` is not finite and > 0, or ``geometry`` is not a
        :class:`BearingGeometry`.
    """
    geometry = check_geometry(geometry)
    try:
        f = np.asarray(shaft_hz, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"shaft_hz must be a number of Hz, got {shaft_hz!r}") from None
    if f.size == 0 or not np.isfinite(f).all() or (f <= 0).any():
        raise ParameterError(f"shaft_hz must be finite and > 0, got {shaft_hz!r}")
    mult = defect_multipliers(geometry)
    if f.ndim == 0:
        return {k: float(m * f) for k, m in mult.items()}
    return {k: m * f for k, m in mult.items()}
