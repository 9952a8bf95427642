"""Bearing-defect evidence in an envelope spectrum: which defect line family stands out.

A local defect repeats at its defect frequency ``f_d``
(:func:`~rotordx.features.bearing.defect_frequencies`): the envelope spectrum
shows a line at ``f_d`` and its harmonics ``k f_d``. An inner-race defect
turns with the shaft, so the load zone modulates its impacts once per
revolution: its lines carry sidebands at ``k f_d ± f_shaft``; a ball defect
enters the load zone at the cage frequency: sidebands at ``k f_BSF ± FTF``
(Randall & Antoni, *Rolling element bearing diagnostics — a tutorial*, MSSP 25
(2011), §2). This module reads those families from an (averaged) envelope
amplitude spectrum and says whether one of them stands out.

Lines that are not evidence
---------------------------
* **Electrical lines.** Motors and the mains put lines at multiples of 50 or
  60 Hz in the envelope. A harmonic whose search band reaches (within one
  bin) a mains multiple cannot be told from it: it is *ambiguous*, reported
  and not counted. (The 6203 of the Paderborn rig at 1500 rpm has its ball
  spin frequency at 49.9 Hz: without this rule the 50 Hz line reads as a ball
  defect on every healthy recording.)
* **Shaft orders.** Looseness, misalignment and rubs put lines at ``m ×``
  shaft speed, and where the envelope shows half orders (0.5x, 1.5x:
  looseness, rubs) at ``m / 2 ×`` too. Where one lies inside a search band,
  the line found counts only if it is closer to the defect harmonic than to
  the shaft order.
* **Band limits.** The envelope of a band of width ``B`` carries modulation
  only up to ``B / 2``; harmonics above it, or above the Nyquist frequency,
  are not counted.
* **Skirts.** A maximum on the edge of a search band that is not a local
  maximum of the spectrum is the skirt of a line outside: SNR 1.

The decision (:data:`THRESHOLDS`) needs the defect's **fundamental** to stand
out and **a second member** of its family (a harmonic, or for inner race and
ball a sideband) to stand out too: one line alone is not a defect. The
thresholds were calibrated on named recordings (CWRU, Paderborn; see
docs/data.md, "Envelope evidence").

Functions
---------
    bearing_evidence
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rotordx.exceptions import ParameterError
from rotordx.features._envelope_lines import OK, comb_step, envelope_line
from rotordx.features.bearing import (
    DEFECT_FAULTS,
    DEFECTS,
    BearingGeometry,
    check_geometry,
    defect_multipliers,
)
from rotordx.features.orders import MAINS_HZ
from rotordx.signal.validate import check_fs, check_positive

__all__ = ["CANDIDATES", "THRESHOLDS", "bearing_evidence", "check_thresholds"]

#: Defects compared by default: outer race, inner race, ball (the cage rarely shows).
CANDIDATES: tuple[str, ...] = ("bpfo", "bpfi", "bsf")

#: SNR thresholds of the decision (``fundamental`` and a ``second`` member of the
#: family), for envelope spectra averaged over >= 4 segments of 1 s (docs/data.md).
THRESHOLDS: dict[str, float] = {"fundamental": 8.5, "second": 3.0}


_MODULATION = {"bpfi": "shaft", "bsf": "ftf"}  # sidebands of each family


def _orders(geometry: Any, defect_orders: Any) -> tuple[dict[str, float], str]:
    if defect_orders is not None:
        try:
            o = np.asarray(defect_orders, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            o = np.array([])
        if o.shape != (len(DEFECTS),) or not (np.isfinite(o).all() and (o > 0).all()):
            raise ParameterError(
                f"defect_orders must be {len(DEFECTS)} positive numbers in the order {DEFECTS}, "
                f"got {defect_orders!r}"
            )
        name = geometry.name if isinstance(geometry, BearingGeometry) else ""
        return dict(zip(DEFECTS, o.tolist(), strict=True)), name or "the bearing"
    geometry = check_geometry(geometry)
    return defect_multipliers(geometry), geometry.name or "the bearing"


def _family(
    amp: np.ndarray,
    df: float,
    defect: str,
    mult: dict[str, float],
    shaft: float,
    harmonics: int,
    tolerance: float,
    limit: float,
    mains: tuple[float, ...],
    mains_tolerance: float,
    thresholds: dict[str, float],
    step: float,
) -> dict[str, Any]:
    f_d = mult[defect] * shaft
    kw = {"limit": limit, "shaft": step, "mains": mains, "mains_tolerance": mains_tolerance}
    lines = [envelope_line(amp, df, k * f_d, tolerance, **kw) for k in range(1, harmonics + 1)]
    sidebands: list[dict[str, Any]] = []
    if defect in _MODULATION:
        f_m = shaft if defect == "bpfi" else mult["ftf"] * shaft
        for k in range(1, harmonics + 1):
            for sign in (-1.0, 1.0):
                at = k * f_d + sign * f_m  # slip moves the defect line, not the shaft
                sb = envelope_line(amp, df, at, tolerance * k * f_d / max(at, df), **kw)
                sb["k"], sb["side"] = k, int(sign)
                sidebands.append(sb)
    counted = [ln["snr"] if ln["status"] == OK else np.nan for ln in lines]
    w = 1.0 / np.arange(1, harmonics + 1)
    ok = np.isfinite(counted)
    score = float(np.nansum(np.where(ok, counted, 0.0) * w) / w[ok].sum()) if ok.any() else 0.0
    # the leading line: the fundamental; for a ball defect, which strikes both races
    # once per spin, the stronger of BSF and 2 x BSF (Randall & Antoni 2011, §2.1)
    lead = int(
        defect == "bsf"
        and harmonics > 1
        and lines[1]["status"] == OK
        and (lines[0]["status"] != OK or lines[1]["snr"] > lines[0]["snr"])
    )
    fundamental = lines[lead]["snr"] if lines[lead]["status"] == OK else 0.0
    second = max(
        [ln["snr"] for j, ln in enumerate(lines) if j != lead and ln["status"] == OK]
        + [sb["snr"] for sb in sidebands if sb["status"] == OK]
        + [0.0]
    )
    significant = fundamental >= thresholds["fundamental"] and second >= thresholds["second"]
    return {
        "expected_hz": float(f_d),
        "harmonics": lines,
        "sidebands": sidebands,
        "fundamental_snr": float(fundamental),
        "second_snr": float(second),
        "score": score,
        "significant": bool(significant),
        "assessable": lines[lead]["status"] == OK,
        "lead": lead + 1,
    }


def _limit(amp: np.ndarray, df: float, fs: float, band: tuple[float, float]) -> float:
    """Highest modulation frequency the envelope of ``band`` carries (and the spectrum holds)."""
    return min((band[1] - band[0]) / 2.0, fs / 2.0, (len(amp) - 1) * df)


def _families(
    amp: np.ndarray,
    df: float,
    fs: float,
    band: tuple[float, float],
    shaft: float,
    mult: dict[str, float],
    cands: tuple[str, ...],
    harmonics: int,
    tolerance: float,
    mains: tuple[float, ...],
    mains_tolerance: float,
    thresholds: dict[str, float],
) -> dict[str, dict[str, Any]]:
    """Every candidate's family; arguments unchecked (:func:`bearing_evidence` checks them)."""
    limit = _limit(amp, df, fs, band)
    step = comb_step(amp, df, shaft, limit, tolerance, thresholds["second"])
    return {
        d: _family(
            amp,
            df,
            d,
            mult,
            shaft,
            harmonics,
            tolerance,
            limit,
            mains,
            mains_tolerance,
            thresholds,
            step,
        )
        for d in cands
    }


def check_thresholds(thresholds: Any) -> dict[str, float]:
    """``thresholds`` (a dict with keys from :data:`THRESHOLDS`) completed by the defaults."""
    if thresholds is None:
        return dict(THRESHOLDS)
    if not isinstance(thresholds, dict) or set(thresholds) - set(THRESHOLDS):
        raise ParameterError(
            f"thresholds must be a dict with keys from {sorted(THRESHOLDS)}, got {thresholds!r}"
        )
    out = dict(THRESHOLDS)
    for k, v in thresholds.items():
        out[k] = check_positive(v, f"thresholds[{k!r}]")
    return out


def _why_not(name: str, fam: dict[str, Any]) -> str | None:
    """Why a defect's fundamental cannot be read (None if it can)."""
    ln = fam["harmonics"][0]
    if ln["status"] == "electrical":
        return (
            f"{name} ({ln['expected_hz']:.1f} Hz) is not assessable: it falls on the "
            f"{ln['near_hz']:g} Hz electrical line"
        )
    if ln["status"] == "shaft":
        return (
            f"{name} ({ln['expected_hz']:.1f} Hz): the line found is the shaft order "
            f"at {ln['near_hz']:.1f} Hz"
        )
    if ln["status"] == "beyond_band":
        return f"{name} ({ln['expected_hz']:.1f} Hz) lies beyond what the band can demodulate"
    return None


def bearing_evidence(
    envelope: Any,
    *,
    df: float,
    fs: float,
    band: tuple[float, float],
    shaft_hz: float,
    geometry: BearingGeometry | None = None,
    defect_orders: Any = None,
    harmonics: int = 3,
    tolerance: float = 0.02,
    candidates: Any = CANDIDATES,
    mains_hz: tuple[float, ...] = MAINS_HZ,
    mains_tolerance: float = 0.5,
    thresholds: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Which bearing-defect line family stands out in an averaged envelope spectrum.

    Parameters
    ----------
    envelope : np.ndarray [shape=(n_bins,)]
        Mean envelope amplitude spectrum on bins ``0, df, 2 df, …``
        (:func:`~rotordx.features.envelope_spectrum` of segments of one
        channel, averaged).
    df : float > 0
        Bin spacing, Hz (1 / segment length).
    fs : float > 0
        Sample rate of the signal, Hz.
    band : (float, float)
        Demodulation band the envelope was computed in, Hz: harmonics above
        half its width are not counted.
    shaft_hz : float > 0
        Shaft speed, Hz.
    geometry : BearingGeometry, optional
        The bearing (its name is used in the explanation).
    defect_orders : sequence of 4 floats, optional
        Defect frequencies per Hz of shaft speed in the order
        :data:`~rotordx.features.bearing.DEFECTS` (BPFO, BPFI, BSF, FTF),
        instead of (or besides, for the name) ``geometry``.
    harmonics : int >= 1
        Harmonics per family (default 3).
    tolerance : float >= 0
        Relative half-width of each search band (at least one bin): slip
        of the rolling elements makes the real frequencies 0.5–1 % off.
    candidates : sequence of str
        Defects compared (default BPFO, BPFI, BSF).
    mains_hz : tuple of float
        Mains frequencies whose multiples are electrical lines (default 50
        and 60 Hz; ``()`` for none).
    mains_tolerance : float >= 0
        Extra distance, Hz, within which a mains multiple makes a search band
        ambiguous (besides one bin).
    thresholds : dict, optional
        ``{"fundamental": …, "second": …}`` SNR thresholds (default
        :data:`THRESHOLDS`).

    Returns
    -------
    dict
        ``verdict`` (the faulty part, e.g. ``"outer_race"``, or None),
        ``significant``, ``defect``/``fault`` (the strongest candidate, even
        when not significant), ``expected_hz``, ``frequency_hz``, ``snr``
        (its fundamental line), ``harmonic_snr``, ``score`` (1/k-weighted
        mean SNR of its counted harmonics), ``scores`` (every candidate's),
        ``defects`` (per candidate: ``expected_hz``, ``harmonics`` and
        ``sidebands`` — each line's ``expected_hz``, ``frequency_hz``,
        ``snr``, ``status`` — ``fundamental_snr``, ``second_snr``, ``score``,
        ``significant``, ``assessable``), ``ambiguous`` (sentences on lines
        not counted), ``band``, ``rpm``, ``thresholds``, ``explanation`` (one
        sentence naming the line, its SNR, the defect and the bearing).

    Raises
    ------
    ParameterError
        Bad parameters, or no candidate's fundamental lies below the
        band's limit.
    """
    fs = check_fs(fs)
    df = check_positive(df, "df")
    tolerance = check_positive(tolerance, "tolerance", allow_zero=True)
    mains_tolerance = check_positive(mains_tolerance, "mains_tolerance", allow_zero=True)
    if isinstance(harmonics, bool) or not isinstance(harmonics, int | np.integer) or harmonics < 1:
        raise ParameterError(f"harmonics must be a positive integer, got {harmonics!r}")
    if isinstance(shaft_hz, np.ndarray) and shaft_hz.ndim == 0:
        shaft_hz = shaft_hz[()]
    shaft = check_positive(shaft_hz, "shaft_hz")
    thr = check_thresholds(thresholds)
    cands = (candidates,) if isinstance(candidates, str) else tuple(candidates)
    if not cands or any(c not in DEFECTS for c in cands) or len(set(cands)) != len(cands):
        raise ParameterError(
            f"candidates must be distinct names from {DEFECTS}, got {candidates!r}"
        )
    mult, what = _orders(geometry, defect_orders)
    try:
        lo, hi = (float(band[0]), float(band[1]))
    except (TypeError, ValueError, IndexError):
        raise ParameterError(f"band must be (low, high) in Hz, got {band!r}") from None
    if not 0 <= lo < hi:
        raise ParameterError(f"band must be (low, high) with 0 <= low < high, got {band!r}")
    amp = np.asarray(envelope, dtype=np.float64).reshape(-1)
    mains = tuple(float(m) for m in mains_hz)
    fams = _families(
        amp, df, fs, (lo, hi), shaft, mult, cands, harmonics, tolerance, mains, mains_tolerance, thr
    )
    limit = _limit(amp, df, fs, (lo, hi))
    if all(f["harmonics"][0]["status"] == "beyond_band" for f in fams.values()):
        raise ParameterError(
            f"every defect frequency of {what} at shaft speed {shaft:g} Hz lies beyond "
            f"{limit:g} Hz, the highest modulation the band {lo:g}-{hi:g} Hz (fs {fs:g} Hz) carries"
        )
    scores = {d: f["score"] for d, f in fams.items()}
    sig = [d for d in cands if fams[d]["significant"]]
    best = max(
        sig or cands,
        key=lambda d: (fams[d]["assessable"], scores[d], fams[d]["fundamental_snr"]),
    )
    fam, rpm = fams[best], shaft * 60.0
    ambiguous = [s for d in cands if (s := _why_not(d.upper(), fams[d])) and "beyond" not in s]
    first = fam["harmonics"][fam["lead"] - 1]
    if sig:
        others = [ln for ln in fam["harmonics"] + fam["sidebands"] if ln is not first]
        more = max((ln for ln in others if ln["status"] == OK), key=lambda ln: ln["snr"])
        kind = "sideband" if "side" in more else "harmonic"
        name = best.upper() if fam["lead"] == 1 else f"2 x {best.upper()}"
        explanation = (
            f"envelope line at {first['frequency_hz']:.1f} Hz (SNR {first['snr']:.1f}) = "
            f"{name} of {what} at {rpm:.0f} rpm ({first['expected_hz']:.1f} Hz), with a "
            f"{kind} at {more['frequency_hz']:.1f} Hz (SNR {more['snr']:.1f}) "
            f"→ {DEFECT_FAULTS[best].replace('_', ' ')}"
        )
    else:
        explanation = (
            f"no defect line of {what} at {rpm:.0f} rpm stands out in the envelope spectrum "
            f"(strongest: {best.upper()} {fam['expected_hz']:.1f} Hz, line SNR "
            f"{fam['fundamental_snr']:.1f}, next member {fam['second_snr']:.1f}; needed "
            f"{thr['fundamental']:g} and {thr['second']:g})"
        )
        if ambiguous:
            explanation += "; " + "; ".join(ambiguous)
    return {
        "verdict": DEFECT_FAULTS[best] if sig else None,
        "significant": bool(sig),
        "defect": best,
        "fault": DEFECT_FAULTS[best],
        "expected_hz": fam["expected_hz"],
        "frequency_hz": float(first["frequency_hz"]),
        "snr": float(first["snr"]),
        "harmonic_snr": [float(ln["snr"]) for ln in fam["harmonics"]],
        "score": fam["score"],
        "scores": scores,
        "defects": fams,
        "ambiguous": ambiguous,
        "band": (lo, hi),
        "rpm": float(rpm),
        "thresholds": thr,
        "explanation": explanation,
    }
