"""The kurtogram: the demodulation band chosen from the signal.

Synthetic machines: stationary broadband vibration above a weak measurement
floor, plus impacts at 107 Hz (a BPFO) ringing a structural resonance. The
band chosen must contain the resonance whatever the sample rate; stationary
noise has no impulsive band; impulsive *measurement* noise (single-sample
spikes, spread over the whole spectrum like an inverter's switching spikes)
does not pull the band away from the resonance.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.signal

from rotordx.exceptions import DataError, ParameterError
from rotordx.features import kurtogram, select_band
from rotordx.features.kurtogram import DEFAULT_FMIN, DEFAULT_MIN_WIDTH


def _machine(fs, resonance, *, seconds=2.0, amp=4.0, spikes=0, top=None, seed=0):
    """Broadband vibration up to ``top`` Hz (default 0.4 fs), a weak floor, impacts."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    sos = scipy.signal.butter(4, top or 0.4 * fs, fs=fs, output="sos")
    x = scipy.signal.sosfilt(sos, rng.normal(size=n)) + 0.05 * rng.normal(size=n)
    if spikes:  # one-sample switching spikes: white, at the floor where no vibration is
        x[rng.integers(0, n, spikes)] += 2.0 * rng.choice([-1.0, 1.0], spikes)
    if amp:
        times = np.arange(0.0, seconds, 1 / 107.0) + rng.normal(0, 2e-4, int(seconds * 107) + 1)
        idx = (times[(times >= 0) & (times < seconds)] * fs).astype(int)
        pulses = np.zeros(n)
        pulses[idx] = 1.0
        th = np.arange(int(0.005 * fs)) / fs
        ring = np.exp(-th / 5e-4) * np.sin(2 * np.pi * resonance * th)
        x = x + amp * np.convolve(pulses, ring)[:n]
    return x


@pytest.mark.parametrize(
    ("fs", "resonance"),
    [(12000.0, 3000.0), (12000.0, 1500.0), (64000.0, 7000.0), (64000.0, 9000.0)],
)
def test_band_contains_the_resonance(fs, resonance):
    for seed in (0, 1):
        kg = kurtogram(_machine(fs, resonance, seed=seed), fs=fs)
        lo, hi = kg.band
        assert lo < resonance < hi, (kg.band, seed)
        assert kg.significant
        assert hi - lo >= DEFAULT_MIN_WIDTH and lo >= DEFAULT_FMIN and hi <= 0.45 * fs
        assert select_band(_machine(fs, resonance, seed=seed), fs=fs) == kg.band


def test_switching_spikes_do_not_take_the_band():
    fs = 64000.0
    # the vibration stops at 10 kHz (the sensor's range, say); above it only the floor
    # and the spikes: the most impulsive band by far, but not one that carries vibration
    x = _machine(fs, 4000.0, spikes=200, top=10000.0)
    lo, hi = select_band(x, fs=fs)
    assert lo < 4000.0 < hi
    # without impacts the spikes are the only impulsive thing: any band, but a valid one
    lo, hi = select_band(_machine(fs, 4000.0, amp=0.0, spikes=200, top=10000.0), fs=fs)
    assert DEFAULT_FMIN <= lo < hi <= 0.45 * fs


@pytest.mark.parametrize("fs", [12000.0, 64000.0])
def test_stationary_noise_has_no_impulsive_band(fs):
    """Documented behaviour: not significant, and the widest band with the most power."""
    for seed in range(3):
        kg = kurtogram(np.random.default_rng(seed).normal(size=int(2 * fs)), fs=fs)
        assert not kg.significant
        assert kg.level == len(kg.windows) - 1  # the widest band
        lo, hi = kg.band
        assert hi - lo == pytest.approx(kg.widths[-1])
        assert DEFAULT_FMIN <= lo < hi <= 0.45 * fs


def test_kurtogram_arrays_and_grid():
    fs = 12000.0
    kg = kurtogram(_machine(fs, 3000.0), fs=fs)
    assert list(kg.windows) == sorted(kg.windows, reverse=True)
    np.testing.assert_allclose(kg.widths, [2 * fs / m for m in kg.windows])
    for f, sk, sc in zip(kg.freqs, kg.sk, kg.score, strict=True):
        assert f.shape == sk.shape == sc.shape
    freqs, image = kg.grid(128)
    assert image.shape == (len(kg.windows), 128) and freqs.shape == (128,)
    assert np.nanmax(image) == pytest.approx(kg.score[kg.level][kg.index])
    # rows of a block (several windows of one channel) are pooled
    x = _machine(fs, 3000.0)
    assert kurtogram(x.reshape(4, -1), fs=fs).band == kg.band


def test_parameters_and_bands_in_hz():
    fs = 64000.0
    x = _machine(fs, 7000.0)
    lo, hi = select_band(x, fs=fs, fmin=5000.0, fmax=12000.0, min_width=2000.0, max_width=3000.0)
    assert 5000.0 <= lo < 7000.0 < hi <= 12000.0 and 2000.0 <= hi - lo <= 3000.0


def test_ten_seconds_at_64_khz_take_under_three_seconds():
    x = np.random.default_rng(0).normal(size=640000)
    t0 = time.perf_counter()
    kurtogram(x, fs=64000.0)
    assert time.perf_counter() - t0 < 3.0  # about 0.8 s on one core of the CI machine


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fmin": 5000.0, "fmax": 4000.0}, "fmin"),
        ({"fmax": 7000.0}, "fs / 2"),
        ({"min_width": 5000.0, "max_width": 2000.0}, "no band"),
        ({"fs": 0.0}, "fs"),
        ({"min_width": -1.0}, "min_width"),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    args = {"fs": 12000.0, **kwargs}
    with pytest.raises(ParameterError, match=match):
        kurtogram(np.random.default_rng(0).normal(size=12000), **args)


def test_bad_data_raises():
    with pytest.raises(DataError, match="samples"):
        kurtogram(np.zeros(20), fs=12000.0)
    with pytest.raises(DataError, match="NaN"):
        kurtogram(np.full(12000, np.nan), fs=12000.0)
    with pytest.raises(DataError, match="at least 4"):
        kurtogram(np.random.default_rng(0).normal(size=40), fs=12000.0)
