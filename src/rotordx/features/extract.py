"""The physics feature vector of a window of multi-channel vibration.

Functions
---------
    extract_features
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.signal

from rotordx.exceptions import DataError, ParameterError
from rotordx.features._numeric import safe_div
from rotordx.features.orders import (
    DEFAULT_ORDERS,
    _band_peak,
    _check_orders,
    _estimate_from_amplitude,
    _orders_from_amplitude,
    _padded_length,
    _speed_array,
)
from rotordx.features.spectral import (
    MIN_SPECTRAL_SAMPLES,
    _amplitude,
    _amplitude_from_fft,
    _band_fractions,
    _check_bands,
    _one_sided_weights,
    _velocity_rms_from_spectrum,
)
from rotordx.features.time import TIME_FEATURE_NAMES, _time_features_ac
from rotordx.signal.validate import as_signal, check_band, check_fs, check_positive

__all__ = ["extract_features"]

#: Relative half-width of the order search bands (see ``order_amplitudes``).
_ORDER_TOLERANCE = 0.02


def _order_label(k: float) -> str:
    return f"{k:g}x"


def _default_bands(fs: float) -> list[tuple[float, float]]:
    nyq = fs / 2.0
    return [(0.0, nyq / 8), (nyq / 8, nyq / 4), (nyq / 4, nyq / 2), (nyq / 2, nyq)]


def _channel_names(channel_names: Any, n_channels: int) -> list[str]:
    if channel_names is None:
        return [f"s{i + 1}" for i in range(n_channels)]
    if isinstance(channel_names, str) or not isinstance(channel_names, Sequence):
        raise ParameterError(f"channel_names must be a sequence of strings, got {channel_names!r}")
    names = list(channel_names)
    if len(names) != n_channels or not all(isinstance(c, str) and c for c in names):
        raise ParameterError(
            f"channel_names must be {n_channels} non-empty strings (one per channel), "
            f"got {channel_names!r}"
        )
    if len(set(names)) != len(names):
        raise ParameterError(f"channel_names must be unique, got {channel_names!r}")
    return names


def extract_features(
    x: np.ndarray,
    *,
    fs: float,
    speed_hz: Any = None,
    rpm_hint: float | None = None,
    orders: Any = DEFAULT_ORDERS,
    channel_names: Sequence[str] | None = None,
    fmin: float = 5.0,
    fmax: float = 100.0,
    velocity_band: tuple[float, float] = (10.0, 1000.0),
    envelope_band: tuple[float, float] | None = None,
    bands: Any = None,
) -> tuple[np.ndarray, list[str]]:
    """Physics feature vector of every window, for a classifier.

    For every channel ``c`` (names ``{c}_...``; default ``s1``, ``s2``, ...),
    in this order:

    * ``mean, rms, peak, p2p, crest, kurtosis, skewness, impulse, shape,
      clearance``: time statistics (:func:`~rotordx.features.time_features`);
    * ``order_{k}x``: amplitude at each order ``k`` of ``orders`` (m/s^2,
      :func:`~rotordx.features.order_amplitudes`, 2 % tolerance);
    * ``ratio_{k}x_1x``: order ``k`` over the 1x amplitude, for every
      ``k != 1``;
    * ``rel_{k}x``: order ``k`` over the window's RMS (dimensionless; a
      pure 1x sine gives ``rel_1x = sqrt(2)``);
    * ``vel_rms``: velocity RMS in mm/s over ``velocity_band``
      (:func:`~rotordx.features.velocity_rms`);
    * ``env_1x``: amplitude of the envelope spectrum in ``envelope_band``
      at 1x (m/s^2), and ``env_1x_depth``: the same over the mean
      envelope (modulation depth at the shaft rate, dimensionless);
    * ``centroid_hz``: spectral centroid (Hz);
    * ``bandfrac_{lo}_{hi}hz``: fraction of the power in each of ``bands``;

    and finally one column ``speed_hz``: the running speed used for all
    channels of the window (given, or estimated jointly from all channels
    by :func:`~rotordx.features.estimate_running_speed`).

    Orders at or above Nyquist give 0 (not NaN) in every column derived
    from them; every ratio with a zero denominator is 0, so the output is
    finite for any finite input.

    Parameters
    ----------
    x : np.ndarray [shape=(n_windows, n_channels, n_samples)]
        Acceleration windows in m/s^2.
    fs : float > 0
        Sample rate in Hz.
    speed_hz : float or np.ndarray [shape=(n_windows,)], optional
        Known running speed in Hz; estimated from ``x`` when ``None``.
    rpm_hint : float, optional
        Approximate speed (rev/min) that narrows the estimation to +-20 %.
    orders : sequence of float > 0
        Orders to report; must contain 1 (the reference of the ratios).
    channel_names : sequence of str, optional
        Unique prefix per channel (default ``s1 .. sN``).
    fmin, fmax : float
        Speed search range in Hz when estimating without a hint.
    velocity_band : (float, float)
        Band of the velocity RMS in Hz; the upper edge is clipped to Nyquist.
    envelope_band : (float, float), optional
        Band-pass of the envelope analysis in Hz; default
        ``(fs / 8, 0.45 fs)`` (125–450 Hz at 1 kHz), above the low orders
        and around the structural resonances that impacts excite.
    bands : sequence of (float, float), optional
        Bands of the power fractions in Hz; default the four bands
        ``[0, N/8), [N/8, N/4), [N/4, N/2), [N/2, N]`` of the Nyquist
        frequency ``N``.

    Returns
    -------
    X : np.ndarray [shape=(n_windows, n_features)]
        Features, float64, ``n_features = n_channels * (13 + 3 * n_orders +
        n_bands) + 1`` (41 per channel and 165 in all for 4 channels with
        the default 8 orders and 4 bands).
    names : list of str
        Column names, unique, aligned with ``X``.

    Raises
    ------
    DataError
        ``x`` not 3-D, windows too short for the speed search (fewer than
        ``2 fs / fmin`` samples) or the filters, or non-finite values.
    ParameterError
        Bad ``fs``, ``speed_hz``, ``orders``, ``channel_names`` or bands.
    """
    fs = check_fs(fs)
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"x must be a numeric array, got {type(x).__name__}") from None
    if arr.ndim != 3:
        raise DataError(
            f"x must have shape (n_windows, n_channels, n_samples), got {arr.ndim}-D "
            f"shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(f"x has no windows or no channels (shape {arr.shape})")
    o = _check_orders(orders)
    if not np.any(o == 1.0):
        raise ParameterError(f"orders must contain 1 (the reference of the ratios), got {orders!r}")
    if len(set(o.tolist())) != o.size:
        raise ParameterError(f"orders must be unique, got {orders!r}")
    names_c = _channel_names(channel_names, arr.shape[1])
    v_lo, v_hi = check_band(velocity_band, fs=fs, name="velocity_band", clip=True)
    if envelope_band is None:
        envelope_band = (fs / 8.0, 0.45 * fs)
    e_lo, e_hi = check_band(envelope_band, fs=fs, name="envelope_band", clip=False)
    if e_lo <= 0:
        raise ParameterError(f"envelope_band lower edge must be > 0 Hz, got {envelope_band!r}")
    band_list = _default_bands(fs) if bands is None else _check_bands(bands, fs)
    sos = scipy.signal.butter(4, [e_lo, e_hi], btype="bandpass", fs=fs, output="sos")
    padlen = 3 * (2 * sos.shape[0] + 1)
    arr = as_signal(arr, min_samples=max(MIN_SPECTRAL_SAMPLES, padlen + 1))
    n_win, n_ch, n = arr.shape

    # shared intermediate results
    xc = arr - arr.mean(axis=-1, keepdims=True)
    tfeat = _time_features_ac(xc, arr.mean(axis=-1))  # (w, c, 10)
    rms = tfeat[..., 1]
    w = scipy.signal.get_window("hann", n, fftbins=True)
    nfft = _padded_length(n)
    df = fs / nfft
    z = np.fft.rfft(xc * w, n=nfft, axis=-1)
    amp = _amplitude_from_fft(z, w, nfft)  # padded, coherent-gain corrected (w, c, bins)
    spec = z[..., :: nfft // n]  # the unpadded FFT (nfft = 4 n), for power-based features

    # running speed, one per window
    if speed_hz is None:
        if rpm_hint is not None:
            f_hint = check_positive(rpm_hint, "rpm_hint") / 60.0
            lo, hi, sub = 0.8 * f_hint, 1.2 * f_hint, np.inf
        else:
            lo, hi, sub = check_positive(fmin, "fmin"), check_positive(fmax, "fmax"), 0.5
        if hi <= lo or hi >= fs / 2.0:
            raise ParameterError(
                f"speed search range {lo:g}–{hi:g} Hz must be increasing and below Nyquist"
            )
        need = int(np.ceil(2.0 * fs / lo))
        if n < need:
            raise DataError(
                f"windows of {n} samples are too short to estimate a speed down to {lo:g} Hz "
                f"at fs={fs:g} Hz: need at least {need} samples (two periods), or pass speed_hz"
            )
        speed = _estimate_from_amplitude(
            amp, fs=fs, nfft=nfft, fmin=lo, fmax=hi, n_harmonics=8, subharmonic_ratio=sub
        )
    else:
        speed = np.array(_speed_array(speed_hz, (n_win,)), dtype=np.float64)

    # orders
    oa = _orders_from_amplitude(
        amp,
        df,
        np.broadcast_to(speed[:, None], (n_win, n_ch)),
        o,
        tolerance=_ORDER_TOLERANCE,
        fs=fs,
        n=n,
    )
    oa = np.nan_to_num(oa, nan=0.0)
    i1 = int(np.nonzero(o == 1.0)[0][0])
    others = [j for j in range(o.size) if j != i1]
    ratios = safe_div(oa[..., others], oa[..., i1 : i1 + 1])
    rel = safe_div(oa, rms[..., None])

    # velocity, envelope, spectral shape
    vel = _velocity_rms_from_spectrum(spec, w, fs=fs, n=n, lo=v_lo, hi=v_hi)
    y = scipy.signal.sosfiltfilt(sos, xc, axis=-1)
    env_full = np.abs(scipy.signal.hilbert(y, axis=-1))
    env_mean = env_full.mean(axis=-1)
    env_amp = _amplitude(env_full - env_mean[..., None], w, nfft)
    s = np.broadcast_to(speed[:, None], (n_win, n_ch))
    half = np.maximum(_ORDER_TOLERANCE * s, fs / n)
    env1, _ = _band_peak(env_amp, df, s - half, s + half)
    env_depth = safe_div(env1, env_mean)
    p = spec.real**2 + spec.imag**2
    p *= _one_sided_weights(p.shape[-1], n)
    p[..., 0] = 0.0
    f = np.fft.rfftfreq(n, 1.0 / fs)
    centroid = safe_div(p @ f, p.sum(axis=-1))
    bfrac = _band_fractions(p, f, band_list, fs)

    per_channel = np.concatenate(
        [
            tfeat,
            oa,
            ratios,
            rel,
            vel[..., None],
            env1[..., None],
            env_depth[..., None],
            centroid[..., None],
            bfrac,
        ],
        axis=-1,
    )
    labels = [_order_label(k) for k in o]
    feat_names = (
        list(TIME_FEATURE_NAMES)
        + [f"order_{lab}" for lab in labels]
        + [f"ratio_{labels[j]}_1x" for j in others]
        + [f"rel_{lab}" for lab in labels]
        + ["vel_rms", "env_1x", "env_1x_depth", "centroid_hz"]
        + [f"bandfrac_{lo:g}_{hi:g}hz" for lo, hi in band_list]
    )
    X = np.concatenate([per_channel.reshape(n_win, -1), speed[:, None]], axis=1)
    names = [f"{c}_{fn}" for c in names_c for fn in feat_names] + ["speed_hz"]
    return X, names
