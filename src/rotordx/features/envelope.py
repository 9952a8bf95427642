"""Envelope analysis of rolling-element bearings: how strongly each defect frequency stands out.

Band-pass the vibration around the structural resonances that bearing
impacts ring, take the Hilbert envelope and its spectrum: a local defect
shows as a line at its defect frequency (:mod:`rotordx.features.bearing`)
and its harmonics. Every function needs the bearing's geometry (or its
defect orders) and the shaft speed; none assumes a bearing.

The demodulation band is best chosen from the signal: ``band="auto"`` takes
the most impulsive band of a spectral-kurtosis kurtogram
(:mod:`rotordx.features.kurtogram`). Structural resonances do not move with
the sample rate, so no fixed fraction of it is right for every machine
(:func:`default_envelope_band` is kept as the fallback of ``band=None``).
Which line family stands out, and whether that is evidence of a defect, is
:func:`~rotordx.features.bearing_evidence.bearing_evidence`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.features._numeric import safe_div
from rotordx.features.bearing import (
    DEFECTS,
    BearingGeometry,
    check_geometry,
    defect_multipliers,
)
from rotordx.features.bearing_evidence import CANDIDATES, bearing_evidence, check_thresholds
from rotordx.features.kurtogram import DEFAULT_FMIN, DEFAULT_MIN_WIDTH, select_band
from rotordx.features.orders import MAINS_HZ, _band_peak, _speed_array
from rotordx.features.spectral import envelope_spectrum
from rotordx.signal.validate import as_signal, check_fs, check_positive

__all__ = [
    "AUTO",
    "BAND_SECONDS",
    "bearing_envelope_features",
    "default_envelope_band",
    "defect_in_envelope",
    "envelope_min_width",
    "strongest_defect",
]

#: ``band=AUTO`` chooses the demodulation band from the signal (kurtogram).
AUTO = "auto"
#: Seconds at the start of a recording whose kurtogram chooses the band (``band="auto"``
#: in :func:`strongest_defect`; the same for a stream: choose the band on the first
#: seconds, then average the envelope spectra of every segment in it).
BAND_SECONDS = 2.0


def default_envelope_band(fs: float) -> tuple[float, float]:
    """Fallback demodulation band ``(fs / 8, fs / 2.4)``: 1.5–5 kHz at 12 kHz.

    A wide band in the upper half of the spectrum, used when ``band=None``.
    It moves with the sample rate, which structural resonances do not:
    prefer ``band="auto"`` (a kurtogram of the signal) or a band around a
    known resonance.
    """
    fs = check_fs(fs)
    return fs / 8.0, fs / 2.4


def envelope_min_width(
    shaft_hz: float, orders: dict[str, float], harmonics: int = 3, defects: Any = CANDIDATES
) -> float:
    """Narrowest demodulation band (Hz) whose envelope carries ``harmonics`` of every defect.

    The envelope of a band of width ``B`` carries modulation up to ``B / 2``:
    the highest harmonic plus a shaft sideband must fit, and at least
    :data:`~rotordx.features.kurtogram.DEFAULT_MIN_WIDTH` (1 kHz).
    """
    top = max(orders[d] for d in defects) * harmonics + 1.0
    return max(DEFAULT_MIN_WIDTH, 2.0 * top * float(shaft_hz))


def check_defects(defects: Any) -> tuple[str, ...]:
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


def check_harmonics(harmonics: Any) -> int:
    if isinstance(harmonics, bool) or not isinstance(harmonics, int | np.integer) or harmonics < 1:
        raise ParameterError(f"harmonics must be a positive integer, got {harmonics!r}")
    return int(harmonics)


def auto_band(x: np.ndarray, fs: float, min_width: float) -> tuple[float, float]:
    """The kurtogram's band for ``x`` (rows pooled).

    Above 500 Hz (or 0.1 fs at low rates), at least ``min_width`` wide or the
    widest that fits; at a rate too low, or on a signal too short, for any
    band of the kurtogram, :func:`default_envelope_band`.
    """
    fmin = min(DEFAULT_FMIN, 0.1 * fs)
    widest = (0.45 * fs - fmin) / 2.0
    try:
        return select_band(x, fs=fs, fmin=fmin, min_width=min(min_width, widest))
    except (ParameterError, DataError):  # no band fits the rate, or x is too short for one
        return default_envelope_band(fs)  # (bad data is reported by the envelope itself)


def envelope_spectra(
    x: np.ndarray, fs: float, band: Any, min_width: float = DEFAULT_MIN_WIDTH
) -> tuple[np.ndarray, np.ndarray, float, list[tuple[float, float]]]:
    """Envelope spectra of the rows of ``x`` (time last), each in its demodulation band.

    ``band``: ``None`` (:func:`default_envelope_band`), ``"auto"`` (a
    kurtogram per row), ``(lo, hi)`` Hz, or a list of one ``(lo, hi)`` per
    row. Returns the frequencies, the
    amplitudes ``(..., n_bins)``, the bin spacing and the band of each row.
    """
    rows = x.reshape(-1, x.shape[-1])
    if isinstance(band, str):
        if band != AUTO:
            raise ParameterError(f"band must be (low, high) in Hz, None or 'auto', got {band!r}")
        bands = [auto_band(r, fs, min_width) for r in rows]
    elif isinstance(band, list) and len(band) == len(rows):  # one band per row
        bands = [(float(b[0]), float(b[1])) for b in band]
    else:
        one = default_envelope_band(fs) if band is None else band
        try:
            one = (float(one[0]), float(one[1]))
        except (TypeError, ValueError, IndexError):
            raise ParameterError(f"band must be (low, high) in Hz, got {band!r}") from None
        bands = [one] * len(rows)
    amp = None
    freqs = None
    for b in sorted(set(bands)):
        idx = [i for i, bi in enumerate(bands) if bi == b]
        freqs, a = envelope_spectrum(rows[idx], fs=fs, band=b)
        if amp is None:
            amp = np.empty((len(rows), a.shape[-1]))
        amp[idx] = a
    amp = amp.reshape(*x.shape[:-1], -1)
    return freqs, amp, float(freqs[1] - freqs[0]), bands


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
    band: Any = None,
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
    band : (float, float), "auto" or None
        Demodulation band in Hz; ``"auto"``: chosen per window and channel
        by a kurtogram (:func:`~rotordx.features.kurtogram.select_band`);
        ``None``: :func:`default_envelope_band` ``(fs / 8, fs / 2.4)``. The
        envelope only carries modulation rates below about half the band's
        width.
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
    harmonics = check_harmonics(harmonics)
    tolerance = check_positive(tolerance, "tolerance", allow_zero=True)
    defects = check_defects(defects)
    x = as_signal(x)
    speed = _speed_array(shaft_hz, x.shape[:-1])
    width = envelope_min_width(
        float(np.max(speed)), defect_multipliers(geometry), harmonics, defects
    )
    _, amp, df, _ = envelope_spectra(x, fs, band, width)
    snr, _ = _snr_table(amp, df, fs, speed, geometry, defects, harmonics, tolerance)
    names = [f"env_{d}_{k}" for d in defects for k in range(1, harmonics + 1)]
    return snr.reshape(*snr.shape[:-2], -1), names


def strongest_defect(
    x: Any,
    *,
    fs: float,
    shaft_hz: float,
    geometry: BearingGeometry,
    band: Any = None,
    harmonics: int = 3,
    tolerance: float = 0.02,
    candidates: Any = CANDIDATES,
    min_snr: float | None = None,
    segment: float | None = 1.0,
    thresholds: dict[str, float] | None = None,
    mains_hz: tuple[float, ...] = MAINS_HZ,
    band_seconds: float = BAND_SECONDS,
) -> dict[str, Any]:
    """Which bearing defect line family stands out in the averaged envelope spectrum of ``x``.

    Windows longer than ``segment`` seconds are cut into non-overlapping
    segments of that length (the remainder is dropped), and the envelope
    spectra of all segments of all windows are **averaged** (Welch), so one
    answer describes the whole input. The spectrum is then read by
    :func:`~rotordx.features.bearing_evidence.bearing_evidence`: each
    candidate's fundamental, harmonics and sidebands, electrical lines and
    shaft harmonics set aside, and the decision thresholds calibrated on 1 s
    segments (docs/data.md).

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]
        Acceleration window(s) of one machine at one speed, one channel.
    fs : float > 0
        Sample rate in Hz.
    shaft_hz : float > 0
        Shaft frequency in Hz (rpm / 60).
    geometry : BearingGeometry
    band : (float, float), "auto" or None
        Demodulation band: ``"auto"`` chooses it with a kurtogram of the
        first ``band_seconds`` of ``x`` (the rows of a 2-D ``x`` are taken
        as consecutive windows); ``None`` is :func:`default_envelope_band`.
    harmonics, tolerance, candidates, thresholds, mains_hz
        As in :func:`~rotordx.features.bearing_evidence.bearing_evidence`.
    min_snr : float, optional
        Threshold on the leading line's SNR (``thresholds["fundamental"]``).
    segment : float > 0 or None
        Segment length in seconds (default 1 s, i.e. 1 Hz resolution);
        ``None`` keeps the windows whole.
    band_seconds : float > 0
        Length of the start whose kurtogram chooses the band (default 2 s).

    Returns
    -------
    dict
        As :func:`~rotordx.features.bearing_evidence.bearing_evidence`
        (``verdict``, ``significant``, ``defect``, ``snr``, ``explanation``,
        …).

    Raises
    ------
    DataError, ParameterError
        As :func:`bearing_envelope_features`; ``shaft_hz`` must be a scalar.
    """
    fs = check_fs(fs)
    x = as_signal(x)
    geometry = check_geometry(geometry)
    harmonics = check_harmonics(harmonics)
    cands = check_defects(candidates)
    if isinstance(shaft_hz, np.ndarray) and shaft_hz.ndim == 0:
        shaft_hz = shaft_hz[()]
    shaft = check_positive(shaft_hz, "shaft_hz")
    if isinstance(band, str) and band == AUTO:
        width = envelope_min_width(shaft, defect_multipliers(geometry), harmonics, cands)
        rows = x.reshape(-1, x.shape[-1])
        n_start = round(check_positive(band_seconds, "band_seconds") * fs)
        first = max(1, -(-n_start // rows.shape[1]))  # the windows that cover the start
        start = rows[:first].reshape(-1)[:n_start]
        band = auto_band(start, fs, width)
    if segment is not None:
        seg = round(check_positive(segment, "segment") * fs)
        if 0 < seg < x.shape[-1]:
            n_seg = x.shape[-1] // seg
            x = x[..., : n_seg * seg].reshape(*x.shape[:-1], n_seg, seg)
    _, amp, df, used = envelope_spectra(x, fs, band)
    return defect_in_envelope(
        amp.reshape(-1, amp.shape[-1]).mean(axis=0),
        df=df,
        fs=fs,
        band=used[0],
        shaft_hz=shaft,
        geometry=geometry,
        harmonics=harmonics,
        tolerance=tolerance,
        candidates=cands,
        min_snr=min_snr,
        thresholds=thresholds,
        mains_hz=mains_hz,
    )


def defect_in_envelope(
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
    min_snr: float | None = None,
    thresholds: dict[str, float] | None = None,
    mains_hz: tuple[float, ...] = MAINS_HZ,
) -> dict[str, Any]:
    """:func:`strongest_defect` from an (averaged) envelope amplitude spectrum.

    For callers that average the segments' spectra themselves, e.g. while
    reading a long recording block by block: choose the band on the first
    seconds (:func:`~rotordx.features.kurtogram.select_band`), average the
    :func:`~rotordx.features.envelope_spectrum` of every later segment in
    it, then call this once. ``envelope`` is the mean amplitude on bins
    ``0, df, 2 df, …``; ``band`` the demodulation band. The result is
    :func:`~rotordx.features.bearing_evidence.bearing_evidence`'s (``min_snr``,
    if given, is the leading line's threshold).
    """
    thr = check_thresholds(thresholds)
    if min_snr is not None:
        thr["fundamental"] = check_positive(min_snr, "min_snr")
    return bearing_evidence(
        envelope,
        df=df,
        fs=fs,
        band=band,
        shaft_hz=shaft_hz,
        geometry=geometry,
        defect_orders=defect_orders,
        harmonics=harmonics,
        tolerance=tolerance,
        candidates=candidates,
        mains_hz=mains_hz,
        thresholds=thr,
    )
