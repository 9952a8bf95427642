"""Envelope analysis of rolling-element bearings: how strongly each defect frequency stands out.

Band-pass the vibration around the structural resonances that bearing
impacts ring, take the Hilbert envelope and its spectrum: a local defect
shows as a line at its defect frequency (:mod:`rotordx.features.bearing`)
and its harmonics. Every function needs the bearing's geometry and the
shaft speed; none assumes a bearing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rotordx.exceptions import ParameterError
from rotordx.features._numeric import safe_div
from rotordx.features.bearing import (
    DEFECT_FAULTS,
    DEFECTS,
    BearingGeometry,
    check_geometry,
    defect_multipliers,
)
from rotordx.features.orders import _band_peak, _speed_array
from rotordx.features.spectral import envelope_spectrum
from rotordx.signal.validate import as_signal, check_fs, check_positive

__all__ = [
    "SCORE_BANDS",
    "bearing_envelope_features",
    "default_envelope_band",
    "defect_in_envelope",
    "defect_scores",
    "strongest_defect",
]


def default_envelope_band(fs: float) -> tuple[float, float]:
    """Default demodulation band ``(fs / 8, fs / 2.4)``: 1.5–5 kHz at 12 kHz.

    A wide band in the upper half of the spectrum, where the structural
    resonances excited by bearing impacts lie and the shaft harmonics do
    not. With a known resonance, pass a band around it instead (or choose
    one with a kurtogram).
    """
    fs = check_fs(fs)
    return fs / 8.0, fs / 2.4


def _check_defects(defects: Any) -> tuple[str, ...]:
    if isinstance(defects, str):
        defects = (defects,)
    try:
        out = tuple(str(d).lower() for d in defects)
    except TypeError:
        raise ParameterError(f"defects must be a sequence of {DEFECTS}, got {defects!r}") from None
    if not out or any(d not in DEFECTS for d in out) or len(set(out)) != len(out):
        raise ParameterError(
            f"defects must be distinct names from {', '.join(DEFECTS)}, got {defects!r}"
        )
    return out


def _check_harmonics(harmonics: Any) -> int:
    if isinstance(harmonics, bool) or not isinstance(harmonics, int | np.integer) or harmonics < 1:
        raise ParameterError(f"harmonics must be a positive integer, got {harmonics!r}")
    return int(harmonics)


def _envelope(
    x: Any, fs: float, band: Any
) -> tuple[np.ndarray, np.ndarray, float, tuple[float, float]]:
    """Envelope spectrum of ``x`` in ``band`` (default :func:`default_envelope_band`)."""
    if band is None:
        band = default_envelope_band(fs)
    freqs, amp = envelope_spectrum(x, fs=fs, band=band)
    return freqs, amp, float(freqs[1] - freqs[0]), (float(band[0]), float(band[1]))


def _snr_table(
    amp: np.ndarray,
    df: float,
    fs: float,
    speed: np.ndarray,
    geometry: BearingGeometry,
    defects: tuple[str, ...],
    harmonics: int,
    tolerance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """SNR and peak frequency of every (defect, harmonic), shape (..., n_def, n_harm)."""
    mult = defect_multipliers(geometry)
    n_bins = amp.shape[-1]
    k = np.arange(1, harmonics + 1, dtype=np.float64)
    centres = np.stack([mult[d] * k for d in defects])  # (n_def, n_harm), per Hz of shaft
    fc = speed[..., None, None] * centres  # (..., n_def, n_harm)
    half = np.maximum(tolerance * fc, df)
    # noise floor: median of the envelope spectrum over (0, highest searched frequency]
    f_top = (fc + half).max(axis=(-2, -1))
    bins = np.arange(n_bins) * df
    mask = (bins > 0) & (bins <= f_top[..., None])
    if np.ndim(f_top) == 0 or np.all(f_top == np.ravel(f_top)[0]):
        sel = mask.reshape(-1, n_bins)[0]
        floor = np.median(amp[..., sel], axis=-1) if sel.any() else np.zeros(amp.shape[:-1])
    else:
        floor = np.nanmedian(np.where(mask, amp, np.nan), axis=-1)
    snr = np.empty(fc.shape)
    freq = np.empty(fc.shape)
    for i in range(len(defects)):
        for j in range(harmonics):
            c, h = fc[..., i, j], half[..., i, j]
            peak, f_peak = _band_peak(amp, df, c - h, c + h)
            above = c + h >= fs / 2.0
            snr[..., i, j] = np.where(above, np.nan, safe_div(peak, floor))
            freq[..., i, j] = np.where(above, np.nan, f_peak)
    return snr, freq


def bearing_envelope_features(
    x: Any,
    *,
    fs: float,
    shaft_hz: Any,
    geometry: BearingGeometry,
    band: tuple[float, float] | None = None,
    harmonics: int = 3,
    tolerance: float = 0.02,
    defects: Any = DEFECTS,
) -> tuple[np.ndarray, list[str]]:
    """Envelope-spectrum signal-to-noise ratio at each bearing defect frequency.

    For every window: the envelope spectrum of the signal band-passed to
    ``band`` (:func:`~rotordx.features.envelope_spectrum`: 4th-order
    zero-phase Butterworth, Hilbert envelope, Hann window, no zero padding);
    for each defect frequency ``f_d`` and harmonic ``k`` the largest value
    within ``k f_d ± max(tolerance · k f_d, fs / n)`` (parabolically
    refined), divided by the **median** of the envelope spectrum over
    ``(0, F]``, ``F`` the upper edge of the highest band searched. A value
    of about 1–3 means no line; a clear defect line gives 10–100+.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]
        Acceleration windows, e.g. ``(n_windows, n_channels, n_samples)``.
    fs : float > 0
        Sample rate in Hz.
    shaft_hz : float or np.ndarray
        Shaft frequency in Hz (rpm / 60): a scalar, or an array whose shape
        is a leading part of ``x.shape[:-1]`` (one speed per window).
    geometry : BearingGeometry
        The bearing (:func:`~rotordx.features.bearing.bearing_geometry` of a catalogue name).
    band : (float, float), optional
        Demodulation band in Hz; default :func:`default_envelope_band`
        ``(fs / 8, fs / 2.4)``. The envelope only carries modulation rates
        below about half the band's width.
    harmonics : int >= 1
        Harmonics per defect frequency (1 = the fundamental only).
    tolerance : float >= 0
        Relative half-width of the search band (slip of the rolling
        elements and speed error: 1–2 % is typical).
    defects : sequence of str
        Subset of :data:`DEFECTS` (``"bpfo", "bpfi", "bsf", "ftf"``).

    Returns
    -------
    values : np.ndarray [shape=(..., len(defects) * harmonics)]
        SNRs; NaN where the search band reaches the Nyquist frequency.
    names : list of str
        ``env_<defect>_<k>``, defect-major: ``env_bpfo_1, env_bpfo_2, …``.

    Raises
    ------
    DataError
        Too few samples or non-finite values.
    ParameterError
        Bad ``fs``, ``shaft_hz``, ``geometry``, ``band``, ``harmonics``,
        ``tolerance`` or ``defects``.
    """
    fs = check_fs(fs)
    geometry = check_geometry(geometry)
    harmonics = _check_harmonics(harmonics)
    tolerance = check_positive(tolerance, "tolerance", allow_zero=True)
    defects = _check_defects(defects)
    x = as_signal(x)
    speed = _speed_array(shaft_hz, x.shape[:-1])
    _, amp, df, _ = _envelope(x, fs, band)
    snr, _ = _snr_table(amp, df, fs, speed, geometry, defects, harmonics, tolerance)
    names = [f"env_{d}_{k}" for d in defects for k in range(1, harmonics + 1)]
    return snr.reshape(*snr.shape[:-2], -1), names


#: Demodulation bands of :func:`defect_scores`, as fractions of the sample rate:
#: 0.5–1.5, 1.5–3, 3–5 and 1–5.5 kHz at 12 kHz. A bearing's impacts excite
#: whichever structural resonance is nearby; scanning a few bands instead of
#: one fixed band finds it on machines whose resonances differ.
SCORE_BANDS: tuple[tuple[float, float], ...] = (
    (1 / 24, 1 / 8),
    (1 / 8, 1 / 4),
    (1 / 4, 1 / 2.4),
    (1 / 12, 1 / 2.2),
)


def defect_scores(
    x: Any,
    *,
    fs: float,
    shaft_hz: Any,
    geometry: BearingGeometry,
    bands: Any = None,
    harmonics: int = 3,
    tolerance: float = 0.02,
    defects: Any = ("bpfo", "bpfi", "bsf"),
) -> tuple[np.ndarray, list[str]]:
    """One evidence score per defect frequency: how strongly it stands out in the envelope.

    For each demodulation band (default :data:`SCORE_BANDS` × ``fs``) the
    envelope-spectrum SNRs of :func:`bearing_envelope_features` at harmonics
    ``1..harmonics`` are turned into the 1/k-weighted mean of their natural
    logarithms (the fundamental counts most: harmonics of different defects
    nearly coincide, e.g. 3 × BPFO ≈ 2 × BPFI on the SKF 6205); the score is
    the largest of these over the bands. 0 means no line (SNR ≈ 1); a clear
    defect line over several harmonics gives 2–5. Harmonics whose search band
    reaches the Nyquist frequency are left out.

    The score depends on the defect *frequency*, not on how large the fault
    is, which is what lets a model trained on some fault sizes recognise
    others (see docs/data.md, leave-one-size-out).

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]
    fs : float > 0
    shaft_hz : float or np.ndarray
        Shaft frequency in Hz: a scalar or one per window (a leading part of
        ``x.shape[:-1]``).
    geometry : BearingGeometry
    bands : sequence of (float, float), optional
        Demodulation bands in Hz.
    harmonics : int >= 1
    tolerance : float >= 0
        Relative half-width of each search band.
    defects : sequence of str
        Subset of :data:`DEFECTS`.

    Returns
    -------
    values : np.ndarray [shape=(..., len(defects))]
    names : list of str
        ``score_<defect>``.
    """
    fs = check_fs(fs)
    defects = _check_defects(defects)
    harmonics = _check_harmonics(harmonics)
    if bands is None:
        bands = [(lo * fs, hi * fs) for lo, hi in SCORE_BANDS]
    try:
        bands = [(float(lo), float(hi)) for lo, hi in bands]
    except (TypeError, ValueError):
        raise ParameterError(f"bands must be (low, high) pairs in Hz, got {bands!r}") from None
    if not bands:
        raise ParameterError("bands must name at least one (low, high) band")
    weights = 1.0 / np.arange(1, harmonics + 1)
    best = None
    for band in bands:
        snr, _ = bearing_envelope_features(
            x,
            fs=fs,
            shaft_hz=shaft_hz,
            geometry=geometry,
            band=band,
            harmonics=harmonics,
            tolerance=tolerance,
            defects=defects,
        )
        snr = snr.reshape(*snr.shape[:-1], len(defects), harmonics)
        logs = np.log(np.maximum(snr, 1e-12))
        ok = np.isfinite(logs)
        w = np.where(ok, weights, 0.0)
        total = w.sum(axis=-1)
        score = np.where(
            total > 0, (np.where(ok, logs, 0.0) * w).sum(axis=-1) / np.maximum(total, 1e-300), 0.0
        )
        best = score if best is None else np.maximum(best, score)
    return best, [f"score_{d}" for d in defects]


def strongest_defect(
    x: Any,
    *,
    fs: float,
    shaft_hz: float,
    geometry: BearingGeometry,
    band: tuple[float, float] | None = None,
    harmonics: int = 3,
    tolerance: float = 0.02,
    candidates: Any = ("bpfo", "bpfi", "bsf"),
    min_snr: float = 10.0,
    segment: float | None = 1.0,
) -> dict[str, Any]:
    """The bearing defect frequency that stands out most in the envelope spectrum.

    Windows longer than ``segment`` seconds are cut into non-overlapping
    segments of that length (the remainder is dropped), and the envelope
    spectra of all segments of all windows are **averaged** (Welch), so one
    answer describes the whole input and noise and speed wander average
    out. The SNRs, and so ``min_snr``, depend on this averaging: the
    default threshold was chosen on 1 s segments of ~10 s CWRU recordings
    (``docs/data.md``); a single unaveraged spectrum has higher noise peaks. Each
    candidate's *score* is the mean of its harmonics' SNRs (as in
    :func:`bearing_envelope_features`) weighted ``1/k``, so that the
    fundamental counts most: harmonics of different defects can coincide
    (for the SKF 6205, 3×BPFO ≈ 2×BPFI and 3×BSF ≈ 2×BPFO within 1.5 %).
    The candidate with the highest score wins.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]
        Acceleration window(s) of one machine at one speed.
    fs : float > 0
        Sample rate in Hz.
    shaft_hz : float > 0
        Shaft frequency in Hz (rpm / 60).
    geometry, band, harmonics, tolerance
        As in :func:`bearing_envelope_features`.
    candidates : sequence of str
        Defects to compare; by default the outer race, inner race and ball.
    min_snr : float > 0
        Score from which the winner counts as significant.
    segment : float > 0 or None
        Segment length in seconds (default 1 s, i.e. 1 Hz resolution);
        ``None`` keeps the windows whole.

    Returns
    -------
    dict
        ``defect`` (e.g. ``"bpfi"``), ``fault`` (``"inner_race"``…),
        ``expected_hz`` (its theoretical frequency), ``frequency_hz`` (the
        peak found near it), ``snr`` (of the fundamental), ``harmonic_snr``
        (list, one per harmonic), ``score``, ``significant`` (``score >=
        min_snr``), ``scores`` (every candidate's score), ``band`` (Hz),
        ``rpm``, ``explanation`` (one sentence).

    Raises
    ------
    DataError, ParameterError
        As :func:`bearing_envelope_features`; ``shaft_hz`` must be a scalar.
    """
    fs = check_fs(fs)
    x = as_signal(x)
    if segment is not None:
        seg = round(check_positive(segment, "segment") * fs)
        if 0 < seg < x.shape[-1]:
            n_seg = x.shape[-1] // seg
            x = x[..., : n_seg * seg].reshape(*x.shape[:-1], n_seg, seg)
    _, amp, df, used_band = _envelope(x, fs, band)
    return defect_in_envelope(
        amp.reshape(-1, amp.shape[-1]).mean(axis=0),
        df=df,
        fs=fs,
        band=used_band,
        shaft_hz=shaft_hz,
        geometry=geometry,
        harmonics=harmonics,
        tolerance=tolerance,
        candidates=candidates,
        min_snr=min_snr,
    )


def defect_in_envelope(
    envelope: Any,
    *,
    df: float,
    fs: float,
    band: tuple[float, float],
    shaft_hz: float,
    geometry: BearingGeometry,
    harmonics: int = 3,
    tolerance: float = 0.02,
    candidates: Any = ("bpfo", "bpfi", "bsf"),
    min_snr: float = 10.0,
) -> dict[str, Any]:
    """:func:`strongest_defect` from an (averaged) envelope amplitude spectrum.

    For callers that average the segments' spectra themselves, e.g. while
    reading a long recording block by block. ``envelope`` is the mean
    amplitude of :func:`envelope_spectrum` on bins ``0, df, 2 df, …``;
    ``band`` is the demodulation band it was computed in (reported only).
    """
    fs = check_fs(fs)
    geometry = check_geometry(geometry)
    harmonics = _check_harmonics(harmonics)
    tolerance = check_positive(tolerance, "tolerance", allow_zero=True)
    min_snr = check_positive(min_snr, "min_snr")
    cands = _check_defects(candidates)
    if isinstance(shaft_hz, np.ndarray) and shaft_hz.ndim == 0:
        shaft_hz = shaft_hz[()]
    shaft = check_positive(shaft_hz, "shaft_hz")
    mean_amp = np.asarray(envelope, dtype=np.float64)
    used_band = (float(band[0]), float(band[1]))
    snr, freq = _snr_table(
        mean_amp, df, fs, np.asarray(shaft), geometry, cands, harmonics, tolerance
    )
    w = 1.0 / np.arange(1, harmonics + 1)
    valid = np.isfinite(snr)
    scores = np.where(
        valid.any(axis=-1),
        safe_div(np.where(valid, snr, 0.0) @ w, valid.astype(np.float64) @ w),
        np.nan,
    )
    if np.isnan(scores).all():
        raise ParameterError(
            f"every defect frequency of {geometry.name or 'the bearing'} lies above the "
            f"Nyquist frequency {fs / 2:g} Hz at shaft speed {shaft:g} Hz"
        )
    best = int(np.nanargmax(scores))
    defect = cands[best]
    expected = defect_multipliers(geometry)[defect] * shaft
    score = float(scores[best])
    rpm = shaft * 60.0
    significant = score >= min_snr
    what = geometry.name or "the bearing"
    if significant:
        explanation = (
            f"envelope peak at {freq[best, 0]:.1f} Hz (SNR {snr[best, 0]:.1f}) = "
            f"{defect.upper()} of {what} at {rpm:.0f} rpm ({expected:.1f} Hz) "
            f"→ {DEFECT_FAULTS[defect].replace('_', ' ')}"
        )
    else:
        explanation = (
            f"no defect frequency of {what} at {rpm:.0f} rpm stands out in the envelope "
            f"spectrum (strongest: {defect.upper()}, score {score:.1f} < {min_snr:g})"
        )
    return {
        "defect": defect,
        "fault": DEFECT_FAULTS[defect],
        "expected_hz": float(expected),
        "frequency_hz": float(freq[best, 0]),
        "snr": float(snr[best, 0]),
        "harmonic_snr": [float(v) for v in snr[best]],
        "score": score,
        "significant": bool(significant),
        "scores": {c: float(s) for c, s in zip(cands, scores, strict=True)},
        "band": used_band,
        "rpm": float(rpm),
        "explanation": explanation,
    }
