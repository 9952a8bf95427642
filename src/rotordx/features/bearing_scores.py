"""Per-window bearing-defect scores: the inputs of the ``bearing`` model.

Each window is read at its own shaft speed and its own bearing's defect
orders, in its own demodulation band, so one model can serve windows of
several bearings and machines.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rotordx.exceptions import ParameterError
from rotordx.features.bearing import DEFECTS, BearingGeometry, check_geometry, defect_multipliers
from rotordx.features.bearing_evidence import CANDIDATES, OK, _families, check_thresholds
from rotordx.features.envelope import (
    AUTO,
    check_defects,
    check_harmonics,
    envelope_min_width,
    envelope_spectra,
)
from rotordx.features.orders import MAINS_HZ, _speed_array
from rotordx.signal.validate import as_signal, check_fs, check_positive

__all__ = ["defect_scores"]


def _log_score(lines: list[dict[str, Any]]) -> float:
    """1/k-weighted mean of the log SNRs of the counted harmonics (0 if none counts)."""
    w = [1.0 / k for k, ln in enumerate(lines, 1) if ln["status"] == OK]
    if not w:
        return 0.0
    logs = [np.log(max(ln["snr"], 1e-12)) for ln in lines if ln["status"] == OK]
    return float(np.dot(w, logs) / sum(w))


def _row_orders(
    defect_orders: Any, geometry: BearingGeometry | None, lead: tuple[int, ...]
) -> np.ndarray:
    """Defect orders (rows of ``lead``, 4): per row given, NaN rows from ``geometry``."""
    n = int(np.prod(lead)) if lead else 1
    own = (
        None
        if geometry is None
        else np.array([defect_multipliers(check_geometry(geometry))[d] for d in DEFECTS])
    )
    if defect_orders is None:
        if own is None:
            raise ParameterError("defect_scores needs the bearing's geometry or defect_orders")
        return np.broadcast_to(own, (n, len(DEFECTS)))
    try:
        o = np.asarray(defect_orders, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"defect_orders must be numbers, got {defect_orders!r}") from None
    if o.ndim == 1:
        o = o[None, :]
    if o.ndim != 2 or o.shape[1] != len(DEFECTS) or o.shape[0] not in (1, lead[0] if lead else 1):
        raise ParameterError(
            f"defect_orders must have shape ({len(DEFECTS)},) or (n_windows, {len(DEFECTS)}) "
            f"in the order {DEFECTS}, got shape {o.shape}"
        )
    missing = ~np.isfinite(o).all(axis=1)
    if missing.any():
        if own is None:
            raise ParameterError(
                "defect_orders has rows without orders (NaN) and no geometry to fill them"
            )
        o = np.where(missing[:, None], own, o)
    if (o <= 0).any():
        raise ParameterError("defect_orders must be > 0")
    per_window = np.broadcast_to(o, (lead[0] if lead else 1, len(DEFECTS)))
    rest = int(np.prod(lead[1:])) if len(lead) > 1 else 1
    return np.repeat(per_window, rest, axis=0)


def defect_scores(
    x: Any,
    *,
    fs: float,
    shaft_hz: Any,
    geometry: BearingGeometry | None = None,
    defect_orders: Any = None,
    bands: Any = AUTO,
    harmonics: int = 3,
    tolerance: float = 0.02,
    defects: Any = CANDIDATES,
    mains_hz: tuple[float, ...] = MAINS_HZ,
) -> tuple[np.ndarray, list[str]]:
    """One evidence score per defect frequency and window: how strongly it stands out.

    For every window and channel: its envelope spectrum in its own
    demodulation band (default ``"auto"``: a kurtogram of that window), then
    for each defect the family of
    :func:`~rotordx.features.bearing_evidence.bearing_evidence` at the
    window's shaft speed and defect orders. The score is the 1/k-weighted
    mean of the natural logs of the SNRs of its counted harmonics (the
    fundamental counts most: harmonics of different defects nearly coincide,
    e.g. 3 × BPFO ≈ 2 × BPFI on the SKF 6205; harmonics on an electrical
    line or a shaft harmonic, or beyond what the band carries, are not
    counted): 0 means no line, a clear defect line gives 2–5. With a list of ``bands`` the score
    is the largest over them.

    The score depends on the defect *frequency*, not on how large the fault
    is, which is what lets a model trained on some fault sizes (or on other
    bearings: each window is read at its own bearing's orders) recognise
    others (docs/data.md).

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]
    fs : float > 0
    shaft_hz : float or np.ndarray
        Shaft frequency in Hz: a scalar or one per window (a leading part of
        ``x.shape[:-1]``).
    geometry : BearingGeometry, optional
        The bearing, for windows without ``defect_orders``.
    defect_orders : np.ndarray [shape=(4,) or (n_windows, 4)], optional
        Each window's defect frequencies per Hz of shaft speed, in the order
        :data:`~rotordx.features.bearing.DEFECTS` (``Split.defect_orders``);
        NaN rows take ``geometry``'s.
    bands : "auto" or sequence of (float, float)
        Demodulation band choice (``"auto"``) or explicit bands in Hz.
    harmonics : int >= 1
    tolerance : float >= 0
        Relative half-width of each search band.
    defects : sequence of str
        Subset of :data:`DEFECTS` (default BPFO, BPFI, BSF).
    mains_hz : tuple of float
        Mains frequencies whose multiples are not counted.

    Returns
    -------
    values : np.ndarray [shape=(..., len(defects))]
    names : list of str
        ``score_<defect>``.
    """
    fs = check_fs(fs)
    defects = check_defects(defects)
    harmonics = check_harmonics(harmonics)
    tolerance = check_positive(tolerance, "tolerance", allow_zero=True)
    x = as_signal(x)
    lead = x.shape[:-1]
    speed = _speed_array(shaft_hz, lead).reshape(-1)
    orders = _row_orders(defect_orders, geometry, lead)
    if isinstance(bands, str) and bands == AUTO:
        band_list: list[Any] = [AUTO]
    else:
        try:
            band_list = [(float(lo), float(hi)) for lo, hi in bands]
        except (TypeError, ValueError):
            raise ParameterError(
                f"bands must be 'auto' or (low, high) pairs in Hz, got {bands!r}"
            ) from None
        if not band_list:
            raise ParameterError("bands must name at least one (low, high) band")
    rows = x.reshape(-1, x.shape[-1])
    thr = check_thresholds(None)
    mains = tuple(float(m) for m in mains_hz)
    mults = [dict(zip(DEFECTS, o.tolist(), strict=True)) for o in orders]
    width = max(
        envelope_min_width(v, m, harmonics, defects) for v, m in zip(speed, mults, strict=True)
    )
    best = np.full((len(rows), len(defects)), -np.inf)
    for band in band_list:
        _, amp, df, used = envelope_spectra(rows, fs, band, width)
        for i in range(len(rows)):
            fams = _families(
                amp[i],
                df,
                fs,
                used[i],
                speed[i],
                mults[i],
                defects,
                harmonics,
                tolerance,
                mains,
                0.5,
                thr,
            )
            scores = [_log_score(fams[d]["harmonics"]) for d in defects]
            best[i] = np.maximum(best[i], scores)
    return best.reshape(*lead, len(defects)), [f"score_{d}" for d in defects]
