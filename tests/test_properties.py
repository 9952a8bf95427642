"""Property-based tests (hypothesis) of the signal chain's building blocks.

Not repeated here because they are covered thoroughly elsewhere:

* ``window_split`` never lets a window cross a split gap: ``tests/test_windows.py``
  (``_check_leak_free``: no window crosses its block, no sample in two splits, gaps of at
  least one window, checked over many configurations).
* ``estimate_running_speed`` on a synthetic machine (random speed 10-50 Hz, 1x dominant,
  random 2x..6x and half orders, gains, noise, 1-4 channels): ``tests/test_features.py``
  (``test_speed_estimate_property``, 80 examples). Only the simulator at *random* speeds
  and seeds is added below (test_features.py checks it at four fixed speeds, two seeds).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.signal.windows import flattop

from rotordx.classes import KAMP_CLASSES
from rotordx.features import estimate_running_speed
from rotordx.signal import MinMaxScaling, interp_linear, moving_average, uniform_grid
from rotordx.simulate import TestbedConfig, running_speed, simulate_class

FS = 1000.0


# -- resampling -----------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    period=st.floats(0.0005, 0.0009),
    jitter=st.floats(0.0, 0.02),
    freq=st.floats(5.0, 60.0),
    amp=st.floats(0.1, 10.0),
    phase=st.floats(0.0, 2 * np.pi),
    duration=st.floats(2.0, 4.0),
    seed=st.integers(0, 2**16),
)
def test_resampling_keeps_sine_frequency_and_amplitude(
    period, jitter, freq, amp, phase, duration, seed
):
    """Irregular sensor samples of a sine, linearly interpolated onto the 1 kHz grid.

    Tolerances:

    * Frequency: the FFT peak is within one bin (``fs / n``) of ``freq``. Resampling does
      not move a line; the flat-top window's main lobe is a few bins wide but its maximum
      is at the bin nearest to ``freq``.
    * Amplitude: 3 %. A flat-top window reads a line's amplitude within 0.1 % wherever it
      falls between bins, so what is left is linear interpolation's attenuation: between
      samples ``h`` apart, at fraction ``u``, a sine is scaled by
      ``|1 - u + u exp(i w h)| ~ 1 - u (1 - u) (w h)^2 / 2``, at most ``(w h)^2 / 8``. Here
      ``w h <= 2 pi 60 Hz * 0.0009 s * 1.04`` (jitter may stretch a gap by 4 %), so at most
      1.6 % (about 1 % on average over ``u``). The estimate is also checked one-sidedly:
      interpolation can only shrink the sine (a convex combination of its samples).
    """
    rng = np.random.default_rng(seed)
    n = int(np.ceil((duration + 2 * period) / period)) + 2
    # nominal times k*period starting one period before 0, each moved by up to `jitter`
    t = (np.arange(n) - 1) * period + jitter * period * rng.uniform(-1, 1, n)
    assert t[0] < 0 and t[-1] > duration and np.all(np.diff(t) > 0)
    x = amp * np.sin(2 * np.pi * freq * t + phase)
    grid = uniform_grid(fs=FS, duration=duration)
    y = interp_linear(t, x, grid=grid)
    assert y.shape == grid.shape and np.all(np.abs(y) <= amp * (1 + 1e-12))

    w = flattop(len(y), sym=False)
    spec = np.abs(np.fft.rfft(y * w)) * 2 / w.sum()
    freqs = np.fft.rfftfreq(len(y), d=1 / FS)
    k = int(np.argmax(spec))
    assert abs(freqs[k] - freq) <= FS / len(y)
    est = spec[k]
    assert abs(est / amp - 1) < 0.03
    worst = (2 * np.pi * freq * period * (1 + 2 * jitter)) ** 2 / 8
    assert 1 - worst - 0.002 <= est / amp <= 1.002


# -- moving average -------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 50),
    extra=st.integers(0, 200),
    value=st.floats(-1e6, 1e6),
    cols=st.integers(1, 3),
)
def test_moving_average_of_constant_is_constant(m, extra, value, cols):
    x = np.full((m + extra, cols), value)
    y = moving_average(x, m=m)
    assert y.shape == (extra + 1, cols)
    np.testing.assert_allclose(y, value, rtol=1e-12, atol=1e-12 * abs(value))


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 50),
    extra=st.integers(0, 300),
    seed=st.integers(0, 2**32 - 1),
    scale=st.floats(1e-3, 1e3),
    offset=st.floats(-10, 10),
)
def test_moving_average_matches_convolution(m, extra, seed, scale, offset):
    rng = np.random.default_rng(seed)
    x = offset + scale * rng.standard_normal((m + extra, 2))
    y = moving_average(x, m=m)
    for j in range(2):
        ref = np.convolve(x[:, j], np.ones(m), "valid") / m
        # relative to the signal's magnitude: a mean near zero has no relative precision
        np.testing.assert_allclose(y[:, j], ref, rtol=0, atol=1e-9 * np.abs(x[:, j]).max())
    # 1-D input and the axis argument agree with the 2-D result
    np.testing.assert_allclose(moving_average(x[:, 0], m=m), y[:, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(moving_average(x.T, m=m, axis=1), y.T, rtol=1e-12, atol=1e-12)


# -- min-max scaling ------------------------------------------------------------------------

_finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    x=hnp.arrays(
        np.float64,
        shape=st.tuples(st.integers(1, 30), st.integers(1, 6)),
        elements=_finite,
    )
)
def test_min_max_scaling_range_and_round_trip(x):
    s = MinMaxScaling.fit(x)
    y = s.transform(x)
    assert y.shape == x.shape
    assert np.all(y >= -1e-12) and np.all(y <= 1 + 1e-12)
    for j in range(x.shape[1]):
        if np.ptp(x[:, j]) > 0:  # each non-constant column reaches both ends
            assert y[:, j].min() == 0.0 and y[:, j].max() == 1.0
        else:  # constant column: zero range scales by 1 (scikit-learn's rule)
            assert np.all(y[:, j] == 0.0)
    back = MinMaxScaling.from_dict(s.to_dict())
    assert back == s
    np.testing.assert_array_equal(back.transform(x), y)


# -- running speed on the simulator at random speeds ----------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    rpm=st.floats(1200.0, 3000.0),
    seed=st.integers(0, 2**16),
    t0=st.floats(1.0, 8.0),
)
def test_speed_estimate_on_simulator_random_speed(rpm, seed, t0):
    """All four classes, one 2048-sample window at 1 kHz each, within 1 % of the truth."""
    cfg = TestbedConfig(rpm=rpm)
    t = t0 + np.arange(2048) / FS
    x = np.stack([simulate_class(cfg, fault=c, times=t, seed=seed).T for c in KAMP_CLASSES])
    true = float(running_speed(cfg, t=t, seed=seed).mean())
    est = estimate_running_speed(x, fs=FS)
    assert est.shape == (len(KAMP_CLASSES),)
    for cls, f in zip(KAMP_CLASSES, est, strict=True):
        assert abs(f / true - 1) < 0.01, (cls, rpm, seed, t0, float(f), true)
