"""Running-speed estimation and order (shaft-harmonic) amplitudes.

An *order* is a multiple of the shaft's running speed ``f_r``: order 1
("1x") is the rotation frequency, 2x twice it, 0.5x half of it. Unbalance
raises 1x; looseness adds half orders (0.5x, 1.5x, ...) and integer
harmonics (2x, 3x, ...).

Functions
---------
    estimate_running_speed
    order_amplitudes
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.features.spectral import MIN_SPECTRAL_SAMPLES, _amplitude, _window
from rotordx.signal.validate import as_signal, check_fs, check_positive

__all__ = ["DEFAULT_ORDERS", "MAINS_HZ", "electrical", "estimate_running_speed", "order_amplitudes"]

#: The mains frequencies of the world's grids, Hz: their multiples are electrical lines.
MAINS_HZ: tuple[float, ...] = (50.0, 60.0)

#: Orders reported by default: half orders up to 2.5x and integer orders up to 5x.
DEFAULT_ORDERS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)

_ZERO_PAD = 4  # spectra are zero padded to 4 n
_SNR_MIN = 3.0  # harmonics weaker than 3x the noise floor do not refine the estimate
_MAINS_LOBE = 1.5  # bins of an electrical line's window main lobe left out of the speed search


def _padded_length(n: int) -> int:
    # exactly 4 n, so that every 4th padded bin is a bin of the unpadded FFT
    return _ZERO_PAD * n


def _speed_array(speed_hz: Any, lead_shape: tuple[int, ...]) -> np.ndarray:
    """``speed_hz`` broadcast, leading-aligned, to ``lead_shape``."""
    try:
        s = np.asarray(speed_hz, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"speed_hz must be a number or an array of Hz, got {speed_hz!r}"
        ) from None
    if s.ndim > len(lead_shape) or s.shape != lead_shape[: s.ndim]:
        raise ParameterError(
            f"speed_hz must be a scalar or an array whose shape {s.shape} is a leading part "
            f"of the signal's shape without its time axis {lead_shape}"
        )
    if not np.isfinite(s).all() or (s <= 0).any():
        raise ParameterError("speed_hz must be finite and > 0")
    s = s.reshape(s.shape + (1,) * (len(lead_shape) - s.ndim))
    return np.broadcast_to(s, lead_shape)


def _check_orders(orders: Any) -> np.ndarray:
    try:
        o = np.asarray(orders, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ParameterError(
            f"orders must be a sequence of positive numbers, got {orders!r}"
        ) from None
    if o.size == 0 or not np.isfinite(o).all() or (o <= 0).any():
        raise ParameterError(
            f"orders must be a non-empty sequence of positive numbers, got {orders!r}"
        )
    return o


def _band_peak(
    amp: np.ndarray, df: float, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Largest value of ``amp`` (uniform grid, spacing ``df``) in ``[lo, hi]`` Hz.

    ``lo`` and ``hi`` have the shape of ``amp.shape[:-1]``. The peak is
    refined by a parabola through the maximum and its neighbours (when the
    maximum is a local one), which removes most of the residual scalloping
    of a zero-padded spectrum. Returns (peak value, peak frequency in Hz).
    """
    nb = amp.shape[-1]
    ilo = np.clip(np.ceil(lo / df - 1e-9).astype(np.int64), 0, nb - 1)
    ihi = np.clip(np.floor(hi / df + 1e-9).astype(np.int64), 0, nb - 1)
    ihi = np.maximum(ihi, ilo)
    width = int((ihi - ilo).max()) + 1
    idx = ilo[..., None] + np.arange(width)
    valid = idx <= ihi[..., None]
    idx = np.minimum(idx, nb - 1)
    vals = np.take_along_axis(amp, idx, axis=-1)
    vals = np.where(valid, vals, -np.inf)
    j = np.argmax(vals, axis=-1)
    i = np.take_along_axis(idx, j[..., None], axis=-1)[..., 0]
    y0 = np.take_along_axis(amp, np.clip(i - 1, 0, nb - 1)[..., None], axis=-1)[..., 0]
    y1 = np.take_along_axis(amp, i[..., None], axis=-1)[..., 0]
    y2 = np.take_along_axis(amp, np.clip(i + 1, 0, nb - 1)[..., None], axis=-1)[..., 0]
    den = y0 - 2.0 * y1 + y2
    local = (i > 0) & (i < nb - 1) & (y1 >= y0) & (y1 >= y2) & (den < 0)
    delta = np.zeros(y1.shape)
    np.divide(0.5 * (y0 - y2), den, out=delta, where=local)
    peak = y1 - 0.25 * (y0 - y2) * delta
    return peak, (i + delta) * df


def order_amplitudes(
    x: np.ndarray,
    *,
    fs: float,
    speed_hz: Any,
    orders: Any = DEFAULT_ORDERS,
    tolerance: float = 0.02,
    window: Any = "hann",
) -> np.ndarray:
    """Amplitude of the vibration at multiples (orders) of the running speed.

    For each order ``k`` the peak of the (Hann-windowed, coherent-gain
    corrected, mean-free, zero-padded to 4 n) amplitude spectrum is taken
    within ``k * speed_hz`` +- ``max(tolerance * k * speed_hz, fs / n)``:
    a relative band for speed wander and speed-estimate error, and at least
    one frequency bin of the window's resolution. The peak is refined by
    parabolic interpolation, so a stationary sine reads its amplitude within
    about 0.5 %. Where there is no line the value is the largest noise or
    leakage value in the band.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]
        Signal(s), e.g. ``(n_windows, n_channels, n_samples)``.
    fs : float > 0
        Sample rate in Hz.
    speed_hz : float or np.ndarray
        Running speed in Hz: a scalar, or an array whose shape is a leading
        part of ``x.shape[:-1]`` (e.g. ``(n_windows,)`` for one speed per
        window, as returned by :func:`estimate_running_speed`).
    orders : sequence of float > 0
        Orders to report (default 0.5, 1, 1.5, 2, 2.5, 3, 4, 5).
    tolerance : float >= 0
        Relative half-width of the search band (default 2 %).
    window : str, tuple or np.ndarray
        Analysis window (see :func:`~rotordx.features.amplitude_spectrum`).

    Returns
    -------
    np.ndarray [shape=(..., n_orders)]
        Amplitudes in the units of ``x``. Orders whose frequency
        ``k * speed_hz`` is at or above the Nyquist frequency ``fs / 2`` are
        NaN (no information there).

    Raises
    ------
    DataError
        Fewer than 16 samples, or non-finite values.
    ParameterError
        Bad ``fs``, ``speed_hz``, ``orders``, ``tolerance`` or ``window``.
    """
    fs = check_fs(fs)
    tolerance = check_positive(tolerance, "tolerance", allow_zero=True)
    o = _check_orders(orders)
    x = as_signal(x, min_samples=MIN_SPECTRAL_SAMPLES)
    speed = _speed_array(speed_hz, x.shape[:-1])
    n = x.shape[-1]
    nfft = _padded_length(n)
    amp = _amplitude(x - x.mean(axis=-1, keepdims=True), _window(window, n), nfft)
    return _orders_from_amplitude(amp, fs / nfft, speed, o, tolerance=tolerance, fs=fs, n=n)


def _orders_from_amplitude(
    amp: np.ndarray,
    df: float,
    speed: np.ndarray,
    orders: np.ndarray,
    *,
    tolerance: float,
    fs: float,
    n: int,
) -> np.ndarray:
    out = np.empty((*amp.shape[:-1], orders.size))
    for j, k in enumerate(orders):
        fc = k * speed
        half = np.maximum(tolerance * fc, fs / n)
        peak, _ = _band_peak(amp, df, fc - half, np.minimum(fc + half, fs / 2.0))
        out[..., j] = np.where(fc < fs / 2.0, peak, np.nan)
    return out


def estimate_running_speed(
    x: np.ndarray,
    *,
    fs: float,
    fmin: float = 5.0,
    fmax: float = 100.0,
    rpm_hint: float | None = None,
    search_band: float = 0.2,
    n_harmonics: int = 8,
    subharmonic_ratio: float = 0.5,
    channel_axis: int | None = -2,
    mains_hz: tuple[float, ...] | None = None,
    mains_tolerance: float = 0.15,
) -> np.ndarray:
    """Estimate the shaft's running speed (Hz) from the vibration itself.

    Method (all windows at once, no loop over windows):

    1. Each channel's mean-free, Hann-windowed amplitude spectrum is zero
       padded to 4 n points and divided by its median (its noise floor),
       so that every channel contributes on the same scale; the channels
       along ``channel_axis`` are summed.
    2. *Harmonic sum*: every candidate ``f`` on the padded frequency grid in
       ``[fmin, fmax]`` gets the score ``S(f) = sum_k A(k f) / k``,
       ``k = 1 .. n_harmonics`` (``A`` taken as the maximum within the
       frequency tolerance that a one-bin candidate error causes at
       harmonic ``k``). The ``1/k`` weights penalise sub-harmonics: ``f/2``
       collects the lines of ``f`` only with half their weight, so the
       half orders of a loose machine (0.5x, 1.5x, ...) do not pull the
       estimate to 0.5x as long as the 1x line is stronger than them.
    3. *Octave checks* (without ``rpm_hint``): the pick ``f`` is doubled
       if its line is weaker than ``subharmonic_ratio`` times the line at
       ``2 f`` (``f`` was a sub-harmonic: a speed's 1x is expected to be at
       least that fraction of its 2x); then it is halved if the line at
       ``f / 2`` is at least ``subharmonic_ratio`` times the line at ``f``
       (``f / 2`` is the real 1x and ``f`` its 2x). So the half orders of a
       loose machine never win while 0.5x stays below half of 1x, and a
       misaligned machine is read correctly while its 1x stays above half
       of its 2x.
    4. *Refinement*: around every harmonic ``k f`` (``k <= n_harmonics``,
       +-(k + 2) padded bins) the peak of the summed spectrum is located by
       parabolic interpolation, giving ``f_k / k``; the estimate is their
       mean weighted by ``(k * snr_k)^2``, where ``snr_k`` is the line's
       height above 3 times the median of the summed spectrum (harmonics
       below that do not count). High harmonics make this precise.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_channels, n_samples) or (..., n_samples)]
        Vibration signal(s), e.g. ``(n_windows, n_channels, n_samples)``.
        Needs at least two periods of the lowest candidate speed.
    fs : float > 0
        Sample rate in Hz.
    fmin, fmax : float
        Search range of the running speed in Hz (ignored with ``rpm_hint``).
    rpm_hint : float, optional
        Approximate speed in rev/min; the search range becomes
        ``rpm_hint / 60 * (1 +- search_band)`` (and step 3 is skipped).
    search_band : float in (0, 1)
        Relative half-width of the search range around ``rpm_hint``.
    n_harmonics : int >= 1
        Number of harmonics in the harmonic sum (those above Nyquist count 0).
    subharmonic_ratio : float > 0
        Threshold of the octave checks of step 3; ``inf`` disables them.
    channel_axis : int or None
        Axis of ``x`` whose channels are combined into one estimate
        (default ``-2``: the channels of a window). ``None`` estimates every
        signal separately. Ignored for 1-D ``x``.
    mains_hz : tuple of float, optional
        Mains frequencies (e.g. ``(50.0, 60.0)``) whose multiples are
        *electrical* lines, not a shaft: a candidate speed within
        ``mains_tolerance`` Hz of ``k * mains`` (k = 1, 2, …) is never chosen,
        nor doubled to in the octave checks. On a 2-pole induction motor the
        line at twice the mains frequency sits within 1 Hz of 2x and is often
        stronger than 1x; only a spectrum finer than that tolerance (windows of
        several seconds) tells them apart. ``None`` (default): no rejection.
    mains_tolerance : float > 0
        Half-width in Hz of the rejected bands around the mains multiples.

    Returns
    -------
    np.ndarray [shape=x.shape without the time axis and channel_axis]
        Running speed in Hz, e.g. ``(n_windows,)``; 0-d for one window.

    Raises
    ------
    DataError
        Non-finite values, or a window shorter than ``max(16, 2 fs / fmin)``
        samples.
    ParameterError
        Bad ``fs``, range, hint or other parameter.

    Notes
    -----
    Accuracy on the rotordx simulator: see ``docs/features.md``. A machine
    whose 1x line is weaker than half its 2x line (or whose 0.5x line is
    stronger than half its 1x line) is ambiguous from the spectrum alone
    and is read an octave off: pass ``rpm_hint``. A window without any
    line above the noise returns a meaningless value inside the range.
    """
    fs = check_fs(fs)
    if (
        isinstance(n_harmonics, bool)
        or not isinstance(n_harmonics, int | np.integer)
        or n_harmonics < 1
    ):
        raise ParameterError(f"n_harmonics must be a positive integer, got {n_harmonics!r}")
    if not (isinstance(subharmonic_ratio, float) and subharmonic_ratio == np.inf):
        subharmonic_ratio = check_positive(subharmonic_ratio, "subharmonic_ratio")
    if rpm_hint is not None:
        f_hint = check_positive(rpm_hint, "rpm_hint") / 60.0
        band = check_positive(search_band, "search_band")
        if band >= 1:
            raise ParameterError(f"search_band must be in (0, 1), got {search_band!r}")
        fmin, fmax = f_hint * (1.0 - band), f_hint * (1.0 + band)
        check_sub = False
    else:
        fmin = check_positive(fmin, "fmin")
        fmax = check_positive(fmax, "fmax")
        check_sub = np.isfinite(subharmonic_ratio)
    if fmax <= fmin:
        raise ParameterError(f"need fmin < fmax, got fmin={fmin:g}, fmax={fmax:g} Hz")
    if fmax >= fs / 2.0:
        raise ParameterError(f"fmax={fmax:g} Hz must be below the Nyquist frequency {fs / 2:g} Hz")
    x = as_signal(x, min_samples=MIN_SPECTRAL_SAMPLES)
    n = x.shape[-1]
    need = int(np.ceil(2.0 * fs / fmin))
    if n < need:
        raise DataError(
            f"windows of {n} samples are too short to estimate a speed down to {fmin:g} Hz "
            f"at fs={fs:g} Hz: need at least {need} samples (two periods)"
        )
    if x.ndim == 1 or channel_axis is None:
        x = x[..., None, :]
    else:
        if isinstance(channel_axis, bool) or not isinstance(channel_axis, int | np.integer):
            raise ParameterError(f"channel_axis must be an integer or None, got {channel_axis!r}")
        ax = int(channel_axis)
        if not -x.ndim <= ax < x.ndim or ax % x.ndim == x.ndim - 1:
            raise ParameterError(
                f"channel_axis={channel_axis} is not a non-time axis of x with shape {x.shape}"
            )
        x = np.moveaxis(x, ax, -2)
    mains = ()
    if mains_hz is not None:
        mains = tuple(check_positive(m, "mains_hz") for m in mains_hz)
        mains_tolerance = check_positive(mains_tolerance, "mains_tolerance")
    nfft = _padded_length(n)
    amp = _amplitude(x - x.mean(axis=-1, keepdims=True), _window("hann", n), nfft)
    return _estimate_from_amplitude(
        amp,
        fs=fs,
        nfft=nfft,
        fmin=fmin,
        fmax=fmax,
        n_harmonics=int(n_harmonics),
        subharmonic_ratio=subharmonic_ratio if check_sub else np.inf,
        mains=mains,
        mains_tolerance=mains_tolerance,
    )


def electrical(f: np.ndarray, mains: tuple[float, ...], tolerance: float) -> np.ndarray:
    """Whether each frequency ``f`` (Hz) is within ``tolerance`` of a mains multiple."""
    f = np.asarray(f, dtype=np.float64)
    out = np.zeros(f.shape, dtype=bool)
    for m in mains:
        k = np.maximum(np.round(f / m), 1.0)
        out |= np.abs(f - k * m) <= tolerance
    return out


def _estimate_from_amplitude(
    amp: np.ndarray,
    *,
    fs: float,
    nfft: int,
    fmin: float,
    fmax: float,
    n_harmonics: int,
    subharmonic_ratio: float,
    mains: tuple[float, ...] = (),
    mains_tolerance: float = 0.15,
) -> np.ndarray:
    """Core of :func:`estimate_running_speed` on padded spectra ``(..., n_ch, n_bins)``."""
    df = fs / nfft
    nb = amp.shape[-1]
    # 1. per-channel noise floor normalisation, channels summed
    top = min(nb, int(np.ceil(min(n_harmonics * fmax, fs / 2.0) / df)) + 1)
    bottom = min(int(fmin / (2.0 * df)), top - 1) // _ZERO_PAD * _ZERO_PAD
    # median over the unpadded bins (every _ZERO_PAD-th): the same statistic, 4x cheaper
    floor = np.median(amp[..., bottom:top:_ZERO_PAD], axis=-1, keepdims=True)
    scale = np.maximum(floor, 1e-12 * amp.max(axis=-1, keepdims=True))
    spec = np.divide(amp, scale, out=np.zeros(amp.shape), where=scale > 0).sum(axis=-2)
    if mains:  # electrical lines (with the main lobe of their window) are not a shaft's
        bins = np.arange(nb) * df
        lobe = max(mains_tolerance, _MAINS_LOBE * fs / (nfft / _ZERO_PAD))
        spec = np.where(electrical(bins, mains, lobe), 0.0, spec)

    # 2. coarse harmonic sum over the padded grid
    cand = np.arange(int(np.ceil(fmin / df)), int(np.floor(fmax / df)) + 1)
    if cand.size == 0:
        cand = np.array([round(0.5 * (fmin + fmax) / df)])
    score = np.zeros((*spec.shape[:-1], cand.size))
    m, r_done = spec, 0  # running maximum of spec over +-r_done bins
    for k in range(1, n_harmonics + 1):
        idx = k * cand
        ok = idx < nb
        if not ok.any():
            break
        r = (k + 1) // 2  # a half-bin candidate error moves harmonic k by k/2 bins
        while r_done < r:
            grown = m.copy()
            np.maximum(grown[..., 1:], m[..., :-1], out=grown[..., 1:])
            np.maximum(grown[..., :-1], m[..., 1:], out=grown[..., :-1])
            m, r_done = grown, r_done + 1
        score[..., ok] += m[..., idx[ok]] / k
    if mains:  # electrical lines are not a shaft
        score[..., electrical(cand * df, mains, mains_tolerance)] = -np.inf
    best = np.asarray(cand[np.argmax(score, axis=-1)] * df, dtype=np.float64)

    # 3. octave checks: the 1x line of the speed is at least `ratio` times its 2x line,
    #    and the line at half the speed is weaker than `ratio` times the 1x line
    if np.isfinite(subharmonic_ratio):
        tol = 0.5 * fs / (nfft / _ZERO_PAD)  # half a bin of the unpadded spectrum

        def line(f: np.ndarray) -> np.ndarray:
            return _band_peak(spec, df, f - tol, f + tol)[0]

        up = (2.0 * best <= fmax) & (line(best) < subharmonic_ratio * line(2.0 * best))
        if mains:
            up &= ~electrical(2.0 * best, mains, mains_tolerance)
        best = np.where(up, 2.0 * best, best)
        down = (0.5 * best >= fmin) & (line(0.5 * best) >= subharmonic_ratio * line(best))
        best = np.where(down, 0.5 * best, best)

    # 4. refine: parabolic peak of every harmonic near k * best, weighted mean of f_k / k
    sfloor = np.median(spec[..., bottom:top:_ZERO_PAD], axis=-1)
    num = np.zeros(best.shape)
    den = np.zeros(best.shape)
    for k in range(1, n_harmonics + 1):
        fc = k * best
        half = (k + 2) * df
        peak, fk = _band_peak(spec, df, fc - half, fc + half)
        snr = np.maximum(
            np.divide(peak, sfloor, out=np.zeros(peak.shape), where=sfloor > 0) - _SNR_MIN, 0.0
        )
        w = np.where(fc + half < fs / 2.0, (k * snr) ** 2, 0.0)
        num += w * fk / k
        den += w
    out = np.array(best, dtype=np.float64, copy=True)
    np.divide(num, den, out=out, where=den > 0)
    return out
