"""Vibration severity zones A–D in the style of ISO 20816-3 (formerly ISO 10816-3).

The broadband velocity RMS (mm/s, 10–1000 Hz, see
:func:`~rotordx.features.velocity_rms`) is compared with three zone
boundaries that depend on the machine group and its foundation. The default
values are the commonly published ones for ISO 10816-3 / ISO 20816-3; they
are configurable, and the standard itself should be checked for a given
machine (see ``docs/features.md``).

A value exactly on a zone boundary belongs to the **higher** zone
(``v < ab`` -> A, ``ab <= v < bc`` -> B, ``bc <= v < cd`` -> C, ``v >= cd`` -> D).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rotordx.exceptions import DataError, ParameterError

__all__ = [
    "SEVERITY_PRESETS",
    "ZONE_DESCRIPTIONS",
    "SeverityThresholds",
    "resolve_thresholds",
    "severity_zone",
]

#: One-line meaning of each zone.
ZONE_DESCRIPTIONS: dict[str, str] = {
    "A": "newly commissioned machines normally fall in this zone",
    "B": "acceptable for unrestricted long-term operation",
    "C": "unsatisfactory for long-term continuous operation; restricted operation "
    "until remedial action",
    "D": "severe enough to cause damage to the machine (damage likely)",
}


@dataclass(frozen=True)
class SeverityThresholds:
    """Zone boundaries of the velocity RMS, in mm/s.

    Parameters
    ----------
    ab : float > 0
        Boundary between zones A and B.
    bc : float > ab
        Boundary between zones B and C.
    cd : float > bc
        Boundary between zones C and D.
    name : str
        Description of the machine class the values apply to.

    Raises
    ------
    ParameterError
        If the boundaries are not finite, positive and strictly increasing.
    """

    ab: float
    bc: float
    cd: float
    name: str = "custom"

    def __post_init__(self) -> None:
        vals = []
        for field in ("ab", "bc", "cd"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise ParameterError(
                    f"SeverityThresholds.{field} must be a number of mm/s, got {v!r}"
                )
            v = float(v)
            if not math.isfinite(v) or v <= 0:
                raise ParameterError(
                    f"SeverityThresholds.{field} must be finite and > 0, got {v!r}"
                )
            object.__setattr__(self, field, v)
            vals.append(v)
        if not vals[0] < vals[1] < vals[2]:
            raise ParameterError(
                "SeverityThresholds must be strictly increasing (ab < bc < cd), "
                f"got ab={vals[0]:g}, bc={vals[1]:g}, cd={vals[2]:g} mm/s"
            )
        if not isinstance(self.name, str):
            raise ParameterError(f"SeverityThresholds.name must be a string, got {self.name!r}")


#: Commonly published ISO 10816-3 / 20816-3 boundaries (velocity RMS, mm/s).
SEVERITY_PRESETS: dict[str, SeverityThresholds] = {
    "group2_rigid": SeverityThresholds(
        1.4, 2.8, 4.5, "group 2 (medium machines, 15–300 kW), rigid foundation"
    ),
    "group2_flexible": SeverityThresholds(
        2.3, 4.5, 7.1, "group 2 (medium machines, 15–300 kW), flexible foundation"
    ),
    "group1_rigid": SeverityThresholds(
        2.3, 4.5, 7.1, "group 1 (large machines, 300 kW–50 MW), rigid foundation"
    ),
    "group1_flexible": SeverityThresholds(
        3.5, 7.1, 11.0, "group 1 (large machines, 300 kW–50 MW), flexible foundation"
    ),
}


def resolve_thresholds(thresholds: Any) -> SeverityThresholds:
    """A :class:`SeverityThresholds` from itself or a preset name of :data:`SEVERITY_PRESETS`."""
    if isinstance(thresholds, SeverityThresholds):
        return thresholds
    if isinstance(thresholds, str):
        try:
            return SEVERITY_PRESETS[thresholds]
        except KeyError:
            raise ParameterError(
                f"unknown severity preset {thresholds!r}; choose one of "
                f"{', '.join(SEVERITY_PRESETS)} or pass a SeverityThresholds"
            ) from None
    raise ParameterError(
        f"thresholds must be a SeverityThresholds or a preset name, got {thresholds!r}"
    )


def severity_zone(v_rms: Any, *, thresholds: Any = "group2_rigid") -> np.ndarray:
    """Severity zone ('A', 'B', 'C' or 'D') of velocity RMS values.

    A value exactly on a boundary belongs to the higher zone.

    Parameters
    ----------
    v_rms : float or np.ndarray [shape=(...)]
        Velocity RMS in mm/s (>= 0), e.g. from
        :func:`~rotordx.features.velocity_rms`.
    thresholds : SeverityThresholds or str
        Zone boundaries, or the name of one of :data:`SEVERITY_PRESETS`
        (default ``"group2_rigid"``: 1.4 / 2.8 / 4.5 mm/s).

    Returns
    -------
    np.ndarray [shape=(...), dtype='<U1']
        Zone letters.

    Raises
    ------
    DataError
        Negative or non-finite velocities.
    ParameterError
        Unknown preset or invalid thresholds.
    """
    th = resolve_thresholds(thresholds)
    try:
        v = np.asarray(v_rms, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"v_rms must be numeric (mm/s), got {v_rms!r}") from None
    if not np.isfinite(v).all() or (v < 0).any():
        raise DataError("v_rms must be finite and >= 0 mm/s")
    idx = np.searchsorted(np.array([th.ab, th.bc, th.cd]), v, side="right")
    return np.array(["A", "B", "C", "D"])[idx]
