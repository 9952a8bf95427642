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

The catalogue (:data:`BEARINGS`) holds the deep-groove ball bearings 6200-6212
and 6300-6312 and the exact geometries of the CWRU and Paderborn rigs;
:func:`bearing_geometry` reads a catalogue name in its usual spellings or a
geometry given as numbers.

Functions
---------
    bearing_geometry, defect_frequencies, defect_multipliers
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from rotordx.exceptions import ParameterError
from rotordx.signal.validate import check_positive

__all__ = [
    "BEARINGS",
    "DEFECTS",
    "DEFECT_FAULTS",
    "FAG_6203",
    "SKF_6203",
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
#: rig: 9 balls, d = 0.3126 in, D = 1.537 in, contact angle 0° (CWRU Bearing Data
#: Center; the 9 balls follow from the defect multiples CWRU lists).
SKF_6205 = BearingGeometry(9, 0.3126, 1.537, 0.0, name="SKF 6205")
#: SKF 6203-2RS JEM, the fan-end bearing of the CWRU rig: 8 balls, d = 0.2656 in,
#: D = 1.122 in (CWRU Bearing Data Center; 8 balls from its multiples 3.0530/4.9469).
SKF_6203 = BearingGeometry(8, 0.2656, 1.122, 0.0, name="SKF 6203")
#: FAG 6203 of the Paderborn KAt rig: 8 balls, d = 6.75 mm, D = 28.55 mm
#: (Lessmeier et al., PHM Europe 2016, and the KAt data set's documentation).
FAG_6203 = BearingGeometry(8, 6.75, 28.55, 0.0, name="FAG 6203")

_INCH = 25.4
#: Deep-groove ball bearings 6200-6212 and 6300-6312: bore d and outside diameter
#: D (mm), number of balls and ball diameter in 64ths of an inch. Sources (also
#: docs/data.md, "Bearing catalogue"):
#:
#: * d, D: ISO 15 boundary dimensions, as printed in the TPI catalogue
#:   "Single-row deep groove ball bearings", CAT. NO. 2202/TE, pp. 26-30.
#: * pitch diameter: **derived**, (d + D) / 2. For the two bearings whose pitch
#:   diameter is published it is 1.4 % (6205) and 0.2 % (6203) off, which moves
#:   BPFO and BPFI by less than 0.4 %.
#: * balls and ball diameter: manufacturers' catalogues do not print them (none
#:   found did). Each entry is a count of standard inch balls that reproduces the
#:   TPI catalogue's basic dynamic load rating Cr within 1 % by ISO 281:2007
#:   (Cr = bm fc Z^(2/3) Dw^1.8, bm = 1.3, fc from its Table 2); where another
#:   count also does (6201, 6202, 6300, 6302, 6307, 6308), the common design was
#:   chosen and the alternative is listed in docs/data.md. Internal designs
#:   differ between makers: check the maker's data for a bearing of consequence,
#:   or pass the geometry (``"balls:d:D:angle"``).
#: * 6203 and 6205 use the published geometries above (FAG 6203, SKF 6205).
_SERIES: dict[str, tuple[float, float, int, int]] = {
    "6200": (10, 30, 8, 12),
    "6201": (12, 32, 7, 14),
    "6202": (15, 35, 7, 16),
    "6204": (20, 47, 8, 20),
    "6206": (30, 62, 9, 24),
    "6207": (35, 72, 9, 28),
    "6208": (40, 80, 9, 30),
    "6209": (45, 85, 9, 32),
    "6210": (50, 90, 10, 32),
    "6211": (55, 100, 10, 36),
    "6212": (60, 110, 10, 40),
    "6300": (10, 35, 7, 17),
    "6301": (12, 37, 6, 20),
    "6302": (15, 42, 7, 20),
    "6303": (17, 47, 7, 22),
    "6304": (20, 52, 7, 24),
    "6305": (25, 62, 7, 28),
    "6306": (30, 72, 8, 30),
    "6307": (35, 80, 8, 34),
    "6308": (40, 90, 8, 38),
    "6309": (45, 100, 8, 44),
    "6310": (50, 110, 8, 48),
    "6311": (55, 120, 8, 52),
    "6312": (60, 130, 8, 56),
}


def _catalogue() -> dict[str, BearingGeometry]:
    out = {
        "SKF_6205": SKF_6205,
        "SKF_6203": SKF_6203,
        "FAG_6203": FAG_6203,
        "6203": BearingGeometry(8, 6.75, 28.55, 0.0, name="6203"),
        "6205": BearingGeometry(9, 0.3126, 1.537, 0.0, name="6205"),
    }
    for number, (bore, outer, balls, ball64) in _SERIES.items():
        out[number] = BearingGeometry(
            balls, round(ball64 * _INCH / 64, 4), (bore + outer) / 2.0, 0.0, name=number
        )
    return dict(sorted(out.items(), key=lambda kv: (not kv[0][0].isdigit(), kv[0])))


#: Bearing geometries by catalogue name (``--bearing``, a bundle's ``input["bearing"]``):
#: the numbers 6200-6212 and 6300-6312, and the maker-specific SKF_6203, SKF_6205 and
#: FAG_6203. :func:`bearing_geometry` also reads maker prefixes, seal/clearance
#: suffixes and explicit geometries.
BEARINGS: dict[str, BearingGeometry] = _catalogue()

_CUSTOM = re.compile(r"^\s*(\d+)\s*:\s*([^:\s]+)\s*:\s*([^:\s]+)\s*(?::\s*([^:\s]+)\s*)?$")
_NUMBER = re.compile(r"(?<![0-9])(6[23]\d\d)(?![0-9])")


def _custom(text: str) -> BearingGeometry | None:
    m = _CUSTOM.match(text)
    if m is None:
        return None
    try:
        values = [float(v) for v in m.groups()[1:] if v is not None]
    except ValueError:
        raise ParameterError(
            f"bearing {text!r}: 'balls:ball_diameter:pitch_diameter[:contact_angle_deg]' "
            "needs numbers"
        ) from None
    return BearingGeometry(int(m.group(1)), *values, name=text.strip())


def bearing_geometry(name: str | BearingGeometry) -> BearingGeometry:
    """The geometry of a bearing named in any of the usual ways, or given as numbers.

    Accepts a :class:`BearingGeometry`; a catalogue number (``"6205"``); a maker and
    number (``"SKF 6205"``, ``"SKF_6205"``, ``"fag-6203"``: the maker's own geometry
    where the catalogue has it, else the number's); seal, shield and clearance
    suffixes (``"6205-2RS"``, ``"6206 2Z/C3"``, ``"6205ZZ"``); or the geometry as
    ``"balls:ball_diameter:pitch_diameter:contact_angle_deg"`` in any one length
    unit (``"8:0.235:1.245:0"``; the angle may be left out for 0°).

    Raises
    ------
    ParameterError
        Unknown name (the message lists the catalogue) or invalid geometry.
    """
    if isinstance(name, BearingGeometry):
        return name
    if not isinstance(name, str):
        raise ParameterError(
            f"bearing must be a catalogue name or a BearingGeometry, got {type(name).__name__}"
        )
    custom = _custom(name)
    if custom is not None:
        return custom
    key = name.strip().upper()
    found = _NUMBER.search(key)
    if found is not None:
        maker = re.sub(r"[^A-Z]", "", key[: found.start()])
        specific = f"{maker}_{found.group(1)}"
        return BEARINGS.get(specific) or BEARINGS[found.group(1)]
    legacy = key.replace("-", "_").replace(" ", "_")
    if legacy in BEARINGS:
        return BEARINGS[legacy]
    raise ParameterError(
        f"unknown bearing {name!r}; known: {', '.join(BEARINGS)} (with any maker prefix or "
        "seal suffix, e.g. 'SKF 6205-2RS'), or the geometry as "
        "'balls:ball_diameter:pitch_diameter[:contact_angle_deg]' (e.g. '8:0.235:1.245:0')"
    )


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
