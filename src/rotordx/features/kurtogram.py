"""Demodulation band from the signal: a spectral-kurtosis kurtogram (STFT based).

Bearing impacts ring structural resonances, so the band worth demodulating
is where the vibration is most *impulsive*. The spectral kurtosis (SK) of a
band says how impulsive it is: for the short-time Fourier transform
``X(t, f)`` of a signal,

    SK(f) = <|X(t, f)|^4> / <|X(t, f)|^2>^2 - 2

is 0 for stationary Gaussian noise, -1 for a pure tone and large for a band
that carries repeated transients (J. Antoni, *The spectral kurtosis: a useful
tool for characterising non-stationary signals*, MSSP 20 (2006) 282-307).
Computing SK with windows of several lengths gives bands of several widths
(a short window is a wide band); the map of SK over centre frequency and
band width is the *kurtogram* (J. Antoni, *Fast computation of the kurtogram
for the detection of transient faults*, MSSP 21 (2007) 108-124; here an STFT
over window lengths 2^k and 1.5·2^k, not the filter-bank tree of that
paper). The band of largest SK is the demodulation band (Randall & Antoni,
*Rolling element bearing diagnostics — a tutorial*, MSSP 25 (2011), §3.3).

One refinement for real sensors: impulsive *measurement* noise (switching
spikes of an inverter, for instance) has a large SK in bands where the
vibration itself is below the measurement floor, and no bearing line can be
demodulated there. Each band's SK is therefore weighted by the share of its
power above the floor, ``(1 - floor / power)^2`` (the factor by which
additive stationary noise of power ``floor`` lowers SK), the floor being a
low percentile of the power over all bands. Bands at the floor score 0.

Functions
---------
    kurtogram, select_band
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rotordx.exceptions import DataError, ParameterError
from rotordx.signal.validate import as_signal, check_fs, check_positive

__all__ = [
    "DEFAULT_FMIN",
    "DEFAULT_MIN_WIDTH",
    "Kurtogram",
    "kurtogram",
    "select_band",
]

#: Lowest band edge searched by default, Hz: above the shaft and gear-mesh orders
#: of most machines. Structural resonances do not move with the sample rate, so
#: the defaults are in Hz, not fractions of ``fs``.
DEFAULT_FMIN = 500.0
#: Narrowest band by default, Hz: the envelope of a band of width ``B`` carries
#: modulation up to ``B / 2``, enough for three harmonics of a 150 Hz defect
#: frequency and its shaft sidebands.
DEFAULT_MIN_WIDTH = 1000.0
#: Highest band edge by default, as a fraction of ``fs``: the anti-aliasing
#: filter of most recorders starts rolling off above 0.4-0.45 fs.
_TOP = 0.45
#: The floor: this percentile of the band powers at the finest level.
_FLOOR_PERCENTILE = 5.0
#: A band counts as impulsive when its weighted SK exceeds this many standard
#: deviations of SK for Gaussian noise (2 / sqrt(frames)); the largest of a few
#: hundred null bands stays below it with probability of about 0.99.
_Z = 4.0
_MIN_WINDOW = 8  # shortest STFT window: 5 bins, one band per bin


@dataclass(frozen=True)
class Kurtogram:
    """Spectral kurtosis per band width and centre frequency.

    Attributes
    ----------
    windows : tuple of int
        STFT window length of each level (samples), longest first.
    widths : np.ndarray [shape=(n_levels,)]
        Band width of each level, Hz (``2 fs / window``: the -6 dB width of
        the Hann window).
    freqs : list of np.ndarray
        Centre frequencies of each level's bands, Hz (bins ``k fs / window``).
    sk : list of np.ndarray
        Spectral kurtosis of each band (NaN outside the searched range).
    score : list of np.ndarray
        SK weighted by the share of the band's power above the floor; the
        band of the largest score is chosen.
    threshold : np.ndarray [shape=(n_levels,)]
        Score above which a band is impulsive (``4 · 2 / sqrt(frames)``).
    band : (float, float)
        The chosen band, Hz.
    level, index : int
        Where the chosen band is (``freqs[level][index]``).
    significant : bool
        Whether the chosen band's score exceeds its threshold. If not, no
        band is impulsive (e.g. stationary noise) and ``band`` is the
        fallback: the widest band with the most power.
    fs : float
        Sample rate, Hz.
    floor : float
        Power floor used for the weights (mean ``|X|^2`` per window sample at
        the finest frequency resolution).
    """

    windows: tuple[int, ...]
    widths: np.ndarray
    freqs: list
    sk: list
    score: list
    threshold: np.ndarray
    band: tuple[float, float]
    level: int
    index: int
    significant: bool
    floor: float
    fs: float

    def grid(self, n_freqs: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """``(freqs, image)``: each level's score on a common frequency grid (for a figure).

        ``image`` has shape ``(n_levels, n_freqs)``, widest band first, NaN
        outside the searched range.
        """
        top = max(float(f[-1]) for f in self.freqs)
        grid = np.linspace(0.0, top, int(n_freqs))
        rows = []
        for f, s in zip(self.freqs, self.score, strict=True):
            idx = np.clip(np.rint(grid / (f[1] - f[0])).astype(int), 0, len(f) - 1)
            rows.append(s[idx])
        return grid, np.array(rows[::-1])


def _windows(fs: float, min_width: float, max_width: float, n: int) -> list[int]:
    """Window lengths 2^k and 3·2^(k-1) whose band width lies in [min_width, max_width]."""
    cands = {1 << k for k in range(3, 31)} | {3 << (k - 1) for k in range(3, 31)}
    return sorted(
        (m for m in cands if 4 * m <= n and min_width <= 2.0 * fs / m <= max_width), reverse=True
    )


def _moments(x: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean |X|^2 and |X|^4 over STFT frames (Hann, hop m/4) of every row of ``x``."""
    hop = max(m // 4, 1)
    w = np.hanning(m + 2)[1:-1]
    w = w / np.sqrt(np.mean(w * w))
    p2 = np.zeros(m // 2 + 1)
    p4 = np.zeros(m // 2 + 1)
    frames = 0
    for row in x.reshape(-1, x.shape[-1]):
        fr = sliding_window_view(row, m)[::hop]
        for start in range(0, len(fr), 8192):  # bounded memory
            block = fr[start : start + 8192]
            spec = np.fft.rfft((block - block.mean(axis=1, keepdims=True)) * w, axis=1)
            pw = spec.real**2 + spec.imag**2
            p2 += pw.sum(axis=0)
            p4 += (pw * pw).sum(axis=0)
        frames += len(fr)
    # |X|^2 of white noise grows with the window length: per sample, levels compare
    return p2 / (frames * m), p4 / (frames * m * m)


def kurtogram(
    x: Any,
    *,
    fs: float,
    fmin: float = DEFAULT_FMIN,
    fmax: float | None = None,
    min_width: float = DEFAULT_MIN_WIDTH,
    max_width: float | None = None,
) -> Kurtogram:
    """The kurtogram of ``x`` and the demodulation band it points to.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]
        One channel: a block of a few seconds (1-D), or several windows of it
        (every row's frames are pooled).
    fs : float > 0
        Sample rate in Hz.
    fmin, fmax : float
        Bands lie inside ``[fmin, fmax]`` Hz (default 500 Hz to ``0.45 fs``).
    min_width, max_width : float
        Band widths searched, Hz (default 1 kHz to ``(fmax - fmin) / 2``).
        The envelope of a band of width ``B`` carries modulation frequencies
        up to about ``B / 2``: ``min_width`` must exceed twice the highest
        defect harmonic (with sidebands) to be read.

    Returns
    -------
    Kurtogram

    Raises
    ------
    DataError
        Fewer samples than four windows of the widest band (or non-finite).
    ParameterError
        Bad ``fs``, bands outside ``(0, fs / 2)`` or no band width that fits.
    """
    fs = check_fs(fs)
    fmin = check_positive(fmin, "fmin", allow_zero=True)
    fmax = _TOP * fs if fmax is None else check_positive(fmax, "fmax")
    if fmax > fs / 2:
        raise ParameterError(f"fmax ({fmax:g} Hz) must not exceed fs / 2 = {fs / 2:g} Hz")
    if fmin >= fmax:
        raise ParameterError(f"fmin ({fmin:g} Hz) must be below fmax ({fmax:g} Hz)")
    min_width = check_positive(min_width, "min_width")
    max_width = (fmax - fmin) / 2 if max_width is None else check_positive(max_width, "max_width")
    max_width = min(max_width, fmax - fmin)
    if min_width > max_width:
        raise ParameterError(
            f"no band of width >= {min_width:g} Hz fits between fmin {fmin:g} and "
            f"fmax {fmax:g} Hz (widest {max_width:g} Hz)"
        )
    x = as_signal(x, min_samples=_MIN_WINDOW * 4)
    windows = _windows(fs, min_width, max_width, x.shape[-1])
    if not windows:
        longest = math.floor(2 * fs / min_width)
        raise DataError(
            f"x has {x.shape[-1]} samples; a kurtogram with bands of {min_width:g} to "
            f"{max_width:g} Hz at {fs:g} Hz needs windows of {max(longest, _MIN_WINDOW)} samples "
            f"and at least 4 of them ({4 * max(longest, _MIN_WINDOW)} samples)"
        )
    freqs, sks, powers, thresholds = [], [], [], []
    for m in windows:
        p2, p4 = _moments(x, m)
        f = np.fft.rfftfreq(m, 1.0 / fs)
        half = fs / m
        inside = (f - half >= fmin) & (f + half <= fmax)
        sk = np.where(inside & (p2 > 0), p4 / np.where(p2 > 0, p2 * p2, 1.0) - 2.0, np.nan)
        freqs.append(f)
        sks.append(sk)
        powers.append(np.where(inside, p2, np.nan))
        # SK of Gaussian noise: standard deviation about 2 / sqrt(independent frames)
        thresholds.append(_Z * 2.0 / math.sqrt(max(x.size / m, 1.0)))
    finest = powers[0]  # the longest window: the finest frequency resolution
    floor = float(np.nanpercentile(finest, _FLOOR_PERCENTILE)) if np.isfinite(finest).any() else 0.0
    scores = []
    for sk, p2 in zip(sks, powers, strict=True):
        above = np.clip(1.0 - floor / np.where(p2 > 0, p2, np.inf), 0.0, 1.0)
        scores.append(np.where(np.isfinite(sk), sk * above**2, np.nan))
    best = [(np.nanmax(s) if np.isfinite(s).any() else -np.inf) for s in scores]
    level = int(np.argmax(best))
    if not np.isfinite(best[level]):
        raise ParameterError(
            f"no band of width {min_width:g}-{max_width:g} Hz lies inside [{fmin:g}, {fmax:g}] Hz"
        )
    index = int(np.nanargmax(scores[level]))
    significant = bool(best[level] > thresholds[level])
    if not significant:  # no impulsive band: the widest band with the most power
        level = len(windows) - 1
        index = int(np.nanargmax(powers[level]))
    centre, half = float(freqs[level][index]), fs / windows[level]
    return Kurtogram(
        windows=tuple(windows),
        widths=np.array([2.0 * fs / m for m in windows]),
        freqs=freqs,
        sk=sks,
        score=scores,
        threshold=np.array(thresholds),
        band=(centre - half, centre + half),
        level=level,
        index=index,
        significant=significant,
        floor=floor,
        fs=fs,
    )


def select_band(
    x: Any,
    *,
    fs: float,
    fmin: float = DEFAULT_FMIN,
    fmax: float | None = None,
    min_width: float = DEFAULT_MIN_WIDTH,
    max_width: float | None = None,
) -> tuple[float, float]:
    """The demodulation band ``(lo, hi)`` in Hz chosen by :func:`kurtogram`.

    The most impulsive band (largest spectral kurtosis, weighted by its power
    above the measurement floor) of width ``>= min_width`` inside ``[fmin,
    fmax]``. On a signal without an impulsive band (stationary noise, a
    healthy machine) the result is still a valid band: the widest band with
    the most power; :func:`kurtogram` says which case it is
    (``significant``). Streaming: call it on the first seconds of a
    recording, then average the envelope spectra of later segments in that
    band.
    """
    return kurtogram(x, fs=fs, fmin=fmin, fmax=fmax, min_width=min_width, max_width=max_width).band
