"""Single lines of an envelope spectrum: their SNR against the local floor, and the
electrical lines and shaft orders they must be told from
(:mod:`rotordx.features.bearing_evidence` reads defect families from them)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rotordx.features.orders import _band_peak

#: Status of a line that counts; the others say why it does not.
OK = "ok"


def line_floor(amp: np.ndarray, df: float, centre: float, half: float) -> float:
    """Median of the spectrum around ``centre`` (±25 %, at least ±10 bins), search band left out."""
    w = max(0.25 * centre, 10.0 * df)
    lo, hi = max(int(np.ceil((centre - w) / df)), 1), int(np.floor((centre + w) / df))
    bins = np.arange(lo, min(hi, len(amp) - 1) + 1)
    f = bins * df
    keep = np.abs(f - centre) > half
    vals = amp[bins[keep]] if keep.any() else amp[1:]
    return float(np.median(vals)) if vals.size else 0.0


def _neighbours(
    centre: float, shaft: float, mains: tuple[float, ...], df: float, mains_tolerance: float
) -> list[tuple[float, str, float]]:
    """The mains multiples and shaft orders next to ``centre``: (Hz, kind, ambiguity radius).

    ``shaft`` is the step of the shaft comb: the shaft speed, or half of it where
    the envelope shows half orders (:func:`comb_step`).
    """
    out = []
    for base, kind, radius in [(m, "electrical", max(0.5 * df, mains_tolerance)) for m in mains] + [
        (shaft, "shaft", 0.5 * df)
    ]:
        for k in {math.floor(centre / base), math.ceil(centre / base)}:
            if k >= 1:
                out.append((k * base, kind, radius))
    return out


def envelope_line(
    amp: np.ndarray,
    df: float,
    centre: float,
    tolerance: float,
    *,
    limit: float,
    shaft: float,
    mains: tuple[float, ...],
    mains_tolerance: float,
) -> dict[str, Any]:
    """The line nearest ``centre``: SNR against the local floor, and whether it counts."""
    half = max(tolerance * centre, df)
    out: dict[str, Any] = {"expected_hz": float(centre), "frequency_hz": float("nan"), "snr": 1.0}
    if centre <= 0 or centre + half >= limit:
        out["status"] = "beyond_band"
        return out
    peak, f_peak = _band_peak(amp, df, np.array(centre - half), np.array(centre + half))
    peak, f_peak = float(peak), float(f_peak)
    i = round(f_peak / df)
    local = 0 < i < len(amp) - 1 and amp[i] >= amp[i - 1] and amp[i] >= amp[i + 1]
    floor = line_floor(amp, df, centre, half)
    snr = peak / floor if floor > 0 else 1.0
    out.update(frequency_hz=f_peak, snr=float(snr if local else min(snr, 1.0)))
    # another line within reach: a mains multiple or a shaft order. One closer to the
    # defect harmonic than it can be resolved from makes it ambiguous; one farther away,
    # inside the search band, has taken the peak unless the peak is clearly the defect's
    # (a quarter bin closer to it than to the other line)
    for f_line, kind, radius in _neighbours(centre, shaft, mains, df, mains_tolerance):
        gap = abs(f_line - centre)
        if gap <= radius or (
            gap <= half + df and abs(f_peak - centre) > abs(f_peak - f_line) - 0.25 * df
        ):
            out["status"] = kind
            out["near_hz"] = float(f_line)
            return out
    out["status"] = OK
    return out


def comb_step(
    amp: np.ndarray, df: float, shaft: float, limit: float, tolerance: float, needed: float
) -> float:
    """The spacing of the shaft-order comb the defect lines must be told from.

    The shaft speed; half of it where the envelope shows half orders (0.5x or
    1.5x standing out by ``needed``, the second-member threshold), as
    looseness and rubs make it: a defect line next to 3.5x is then not evidence.
    """
    for k in (0.5, 1.5):
        centre = k * shaft
        half = max(tolerance * centre, df)
        if centre + half >= limit or centre - half <= df:
            continue
        peak, _ = _band_peak(amp, df, np.array(centre - half), np.array(centre + half))
        floor = line_floor(amp, df, centre, half)
        if floor > 0 and float(peak) / floor >= needed:
            return 0.5 * shaft
    return shaft
