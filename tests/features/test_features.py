"""Physics features: known answers on synthetic signals and on the simulated testbed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gamma

from rotordx.classes import KAMP_CLASSES
from rotordx.exceptions import DataError, ParameterError
from rotordx.features import (
    DEFAULT_ORDERS,
    SEVERITY_PRESETS,
    TIME_FEATURE_NAMES,
    ZONE_DESCRIPTIONS,
    SeverityThresholds,
    amplitude_spectrum,
    band_power_fraction,
    clearance_factor,
    crest_factor,
    envelope_spectrum,
    estimate_running_speed,
    extract_features,
    impulse_factor,
    kurtosis,
    mean,
    order_amplitudes,
    peak,
    peak_to_peak,
    rms,
    severity_zone,
    shape_factor,
    skewness,
    spectral_centroid,
    time_features,
    velocity_rms,
)
from rotordx.simulate import TestbedConfig, running_speed, simulate_class

FS = 1000.0
N = 1024


def _sine(a=2.5, f=50.0, *, fs=FS, n=1000, phase=0.3):
    t = np.arange(n) / fs
    return a * np.sin(2 * np.pi * f * t + phase)


def _sim_windows(rpm, seed, *, n=N, fs=FS, t0=3.0):
    """All four classes of one simulated run on a uniform grid: (4 classes, 4 sensors, n)."""
    cfg = TestbedConfig(rpm=rpm)
    t = t0 + np.arange(n) / fs
    x = np.stack([simulate_class(cfg, fault=c, times=t, seed=seed).T for c in KAMP_CLASSES])
    return x, float(running_speed(cfg, t=t, seed=seed).mean())


# ---------------------------------------------------------------------------------
# time-domain statistics
# ---------------------------------------------------------------------------------


def test_sine_time_statistics():
    a = 2.5
    x = _sine(a, fs=100_000.0, n=100_000) + 0.7  # 50 whole periods, 2000 samples each, DC offset
    assert mean(x) == pytest.approx(0.7, abs=1e-12)
    assert rms(x) == pytest.approx(a / math.sqrt(2), rel=1e-9)
    assert peak(x) == pytest.approx(a, rel=1e-3)
    assert peak_to_peak(x) == pytest.approx(2 * a, rel=1e-3)
    assert crest_factor(x) == pytest.approx(math.sqrt(2), rel=1e-3)
    assert kurtosis(x) == pytest.approx(1.5, rel=1e-9)
    assert skewness(x) == pytest.approx(0.0, abs=1e-9)
    assert shape_factor(x) == pytest.approx(math.pi / (2 * math.sqrt(2)), rel=1e-3)
    assert impulse_factor(x) == pytest.approx(math.pi / 2, rel=1e-3)
    # mean(sqrt|sin|) = Gamma(3/4) / (sqrt(pi) Gamma(5/4))
    msqrt = gamma(0.75) / (math.sqrt(math.pi) * gamma(1.25))
    assert clearance_factor(x) == pytest.approx(1 / (math.sqrt(a) * msqrt) ** 2 * a, rel=2e-3)


def test_time_features_stack_and_names():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 500))
    values, names = time_features(x)
    assert names == list(TIME_FEATURE_NAMES)
    assert values.shape == (3, 2, len(names))
    funcs = [mean, rms, peak, peak_to_peak, crest_factor, kurtosis, skewness]
    funcs += [impulse_factor, shape_factor, clearance_factor]
    for j, fn in enumerate(funcs):
        np.testing.assert_allclose(values[..., j], fn(x), rtol=1e-12)
        np.testing.assert_allclose(values[1, 0, j], fn(x[1, 0]), rtol=1e-12)


def test_gaussian_noise_and_impulse_train():
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(200_000)
    assert kurtosis(noise) == pytest.approx(3.0, abs=0.1)
    assert skewness(noise) == pytest.approx(0.0, abs=0.05)
    assert crest_factor(noise) > 3.5
    impulses = np.zeros(10_000)
    impulses[::500] = 1.0  # one impact every 500 samples
    assert kurtosis(impulses) > 15
    assert crest_factor(impulses) > 15
    assert kurtosis(impulses) > 10 * kurtosis(_sine())


def test_constant_window_gives_finite_zero_ratios():
    values, _ = time_features(np.full((2, 100), 3.0))
    assert np.isfinite(values).all()
    np.testing.assert_array_equal(values[:, 0], 3.0)
    np.testing.assert_array_equal(values[:, 1:], 0.0)


# ---------------------------------------------------------------------------------
# spectra
# ---------------------------------------------------------------------------------


def test_amplitude_spectrum_of_a_sine():
    a, f = 2.5, 50.0
    freqs, amp = amplitude_spectrum(_sine(a, f), fs=FS)  # f falls on a bin
    assert freqs[np.argmax(amp)] == pytest.approx(f)
    assert amp.max() == pytest.approx(a, rel=0.01)
    # off-bin, zero padding brings the Hann scalloping loss to about 1 %
    x = _sine(a, 37.3, n=N)
    freqs, amp = amplitude_spectrum(x, fs=FS, nfft=8 * N)
    assert freqs[np.argmax(amp)] == pytest.approx(37.3, abs=FS / (8 * N))
    assert amp.max() == pytest.approx(a, rel=0.01)
    # DC reads as the mean; leading axes are kept
    _, amp = amplitude_spectrum(np.full((2, 3, 64), 1.5), fs=FS)
    assert amp.shape == (2, 3, 33)
    np.testing.assert_allclose(amp[..., 0], 1.5)


def test_velocity_rms_of_a_sine():
    a, f = 3.0, 50.0
    expected = a / (2 * math.pi * f) / math.sqrt(2) * 1000.0  # mm/s
    for fs, n in [(1000.0, 1024), (1000.0, 1000), (5000.0, 4096)]:
        assert velocity_rms(_sine(a, f, fs=fs, n=n), fs=fs) == pytest.approx(expected, rel=0.01)
    # out of band: a 4 Hz sine is below 10 Hz, a 300 Hz sine above a 10-200 Hz band
    assert velocity_rms(_sine(a, 4.0, n=4000), fs=FS) < 0.01 * expected
    assert velocity_rms(_sine(a, 300.0, n=N), fs=FS, band=(10.0, 200.0)) < 0.01 * expected
    with pytest.raises(ParameterError, match="Nyquist"):
        velocity_rms(_sine(), fs=FS, band=(600.0, 1000.0))


def test_envelope_spectrum_of_am_carrier():
    t = np.arange(2000) / FS
    x = (1.0 + 0.5 * np.cos(2 * np.pi * 30.0 * t)) * np.sin(2 * np.pi * 200.0 * t)
    freqs, amp = envelope_spectrum(x, fs=FS, band=(150.0, 250.0))
    assert freqs[np.argmax(amp)] == pytest.approx(30.0, abs=FS / 2000)
    assert amp.max() == pytest.approx(0.5, rel=0.05)
    # an unmodulated carrier has a flat envelope
    _, amp0 = envelope_spectrum(np.sin(2 * np.pi * 200.0 * t), fs=FS, band=(150.0, 250.0))
    assert amp0[freqs > 5].max() < 0.02
    with pytest.raises(ParameterError, match="Nyquist"):
        envelope_spectrum(x, fs=FS, band=(150.0, 500.0))


def test_centroid_and_band_fractions():
    x = _sine(1.0, 100.0) + _sine(1.0, 300.0)
    assert spectral_centroid(x, fs=FS) == pytest.approx(200.0, rel=0.01)
    frac = band_power_fraction(x, fs=FS, bands=[(0, 200), (200, 500)])
    np.testing.assert_allclose(frac, [0.5, 0.5], atol=0.01)


# ---------------------------------------------------------------------------------
# orders and running speed
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize("speed", [20.0, 29.3, 44.7])
def test_order_amplitudes_recovers_harmonics(speed):
    rng = np.random.default_rng(int(speed))
    t = np.arange(N) / FS
    amps = rng.uniform(0.1, 2.0, len(DEFAULT_ORDERS))
    x = sum(
        a * np.cos(2 * np.pi * k * speed * t + rng.uniform(0, 2 * np.pi))
        for a, k in zip(amps, DEFAULT_ORDERS, strict=True)
    )
    got = order_amplitudes(x, fs=FS, speed_hz=speed)
    np.testing.assert_allclose(got, amps, rtol=0.01, atol=0.005)
    # a 1 % error in the speed stays inside the search bands
    np.testing.assert_allclose(
        order_amplitudes(x, fs=FS, speed_hz=speed * 1.01), amps, rtol=0.02, atol=0.01
    )


def test_order_amplitudes_per_window_speed_and_nyquist():
    t = np.arange(N) / FS
    speeds = np.array([20.0, 30.0, 40.0])
    # (3 windows, 2 channels, N): channel c has 1x amplitude c + 1 and 0.5x of 0.2
    x = np.stack(
        [
            np.stack(
                [
                    (c + 1) * np.sin(2 * np.pi * s * t) + 0.2 * np.sin(np.pi * s * t)
                    for c in range(2)
                ]
            )
            for s in speeds
        ]
    )
    got = order_amplitudes(x, fs=FS, speed_hz=speeds, orders=(0.5, 1, 13))
    assert got.shape == (3, 2, 3)
    np.testing.assert_allclose(got[..., 1], [[1, 2]] * 3, rtol=0.01)
    np.testing.assert_allclose(got[..., 0], 0.2, rtol=0.02)
    # 13x is 260 Hz, 390 Hz and 520 Hz: only the last is above Nyquist (500 Hz)
    assert np.isnan(got[:, :, 2]).tolist() == [[False] * 2, [False] * 2, [True] * 2]
    with pytest.raises(ParameterError, match="leading part"):
        order_amplitudes(x, fs=FS, speed_hz=np.ones(2))


@pytest.mark.parametrize("rpm", [1200, 1800, 2400, 3000])
@pytest.mark.parametrize("seed", [0, 3])
def test_speed_estimate_on_simulated_testbed(rpm, seed):
    x, true = _sim_windows(rpm, seed)
    est = estimate_running_speed(x, fs=FS)  # one joint estimate per class window
    assert est.shape == (len(KAMP_CLASSES),)
    for cls, f in zip(KAMP_CLASSES, est, strict=True):
        assert abs(f / true - 1) < 0.01, (cls, f, true)
    # a hint narrows the search and gives the same answer
    hinted = estimate_running_speed(x, fs=FS, rpm_hint=rpm * 1.1)
    np.testing.assert_allclose(hinted, est, rtol=1e-3)


def test_speed_estimate_longer_window_at_higher_rate():
    x, true = _sim_windows(2100, 1, n=4096, fs=4000.0)
    est = estimate_running_speed(x, fs=4000.0)
    np.testing.assert_allclose(est, true, rtol=0.005)


def test_speed_estimate_is_vectorised():
    x, _ = _sim_windows(1800, 2)
    joint = estimate_running_speed(x, fs=FS)
    singles = [estimate_running_speed(w, fs=FS) for w in x]
    np.testing.assert_allclose(joint, singles, rtol=1e-12)
    assert estimate_running_speed(x[0], fs=FS).shape == ()
    assert estimate_running_speed(x, fs=FS, channel_axis=None).shape == (4, 4)


def _synthetic_machine(speed, amps_int, amps_half, gains, noise, wander, seed):
    """Channels of a machine with orders locked to the speed (1x amplitude 1 before gain)."""
    rng = np.random.default_rng(seed)
    t = np.arange(N) / FS
    duration = t[-1]
    theta = 2 * np.pi * speed * (t + wander * t**2 / (2 * duration))
    mean_speed = speed * (1 + wander / 2)  # mean of the instantaneous frequency
    x = np.zeros((len(gains), N))
    orders = [(1.0, 1.0)] + [(k + 2.0, a) for k, a in enumerate(amps_int)]
    orders += [(k + 0.5, a) for k, a in enumerate(amps_half)]
    for c, g in enumerate(gains):
        for k, a in orders:
            if k * mean_speed < 0.45 * FS:
                x[c] += g * a * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
        x[c] += g * noise * rng.standard_normal(N)
    return x, mean_speed


@settings(max_examples=80, deadline=None)
@given(
    speed=st.floats(10.0, 50.0),
    amps_int=st.lists(st.floats(0.0, 0.8), min_size=5, max_size=5),
    half=st.booleans(),
    amps_half=st.lists(st.floats(0.0, 0.4), min_size=6, max_size=6),
    gains=st.lists(st.floats(0.3, 1.5), min_size=1, max_size=4),
    noise=st.floats(0.0, 0.5),
    wander=st.floats(-0.003, 0.003),
    seed=st.integers(0, 2**16),
)
def test_speed_estimate_property(speed, amps_int, half, amps_half, gains, noise, wander, seed):
    """1x dominant (integer orders <= 0.8), optionally half orders (<= 0.4, looseness-like)."""
    amps_half = amps_half if half else [0.0] * 6
    x, true = _synthetic_machine(speed, amps_int, amps_half, gains, noise, wander, seed)
    assert abs(estimate_running_speed(x, fs=FS) / true - 1) < 0.01


def test_simulated_order_signatures():
    """type1 raises 1x; type2 raises 0.5x/1x and 2x/1x on the vertical sensors (1 and 3)."""
    for rpm in (1800, 2400):
        x = np.concatenate([_sim_windows(rpm, s, t0=t0)[0] for s in (0, 1) for t0 in (2.0, 9.0)])
        cls = np.tile(np.arange(len(KAMP_CLASSES)), 4)
        oa = order_amplitudes(x, fs=FS, speed_hz=estimate_running_speed(x, fs=FS))
        normal, type1, type2 = (oa[cls == c] for c in range(3))
        # every window: type1's 1x is several times normal's, on every sensor
        assert (type1[..., 1] > 3 * normal[..., 1]).all()
        r05 = lambda a: np.median(a[..., 0] / a[..., 1], axis=0)  # noqa: E731
        r2 = lambda a: np.median(a[..., 3] / a[..., 1], axis=0)  # noqa: E731
        vertical = [1, 3]
        assert (r05(type2)[vertical] > 1.5 * r05(normal)[vertical]).all()
        assert (r2(type2)[vertical] > 2.5 * r2(normal)[vertical]).all()


# ---------------------------------------------------------------------------------
# severity zones
# ---------------------------------------------------------------------------------


def test_severity_zone_boundaries_belong_to_the_higher_zone():
    v = np.array([0.0, 1.39, 1.4, 2.79, 2.8, 4.49, 4.5, 20.0])
    zones = severity_zone(v)  # default group 2, rigid: 1.4 / 2.8 / 4.5
    assert zones.tolist() == ["A", "A", "B", "B", "C", "C", "D", "D"]
    assert severity_zone(3.0, thresholds="group1_flexible") == "A"
    assert severity_zone(7.1, thresholds="group1_flexible") == "C"
    custom = SeverityThresholds(1.0, 2.0, 3.0, "test")
    assert severity_zone(np.array([[0.5, 2.5]]), thresholds=custom).tolist() == [["A", "C"]]


def test_severity_presets_and_descriptions():
    values = {k: (p.ab, p.bc, p.cd) for k, p in SEVERITY_PRESETS.items()}
    assert values == {
        "group2_rigid": (1.4, 2.8, 4.5),
        "group2_flexible": (2.3, 4.5, 7.1),
        "group1_rigid": (2.3, 4.5, 7.1),
        "group1_flexible": (3.5, 7.1, 11.0),
    }
    assert sorted(ZONE_DESCRIPTIONS) == ["A", "B", "C", "D"]
    with pytest.raises(AttributeError):
        SEVERITY_PRESETS["group2_rigid"].ab = 2.0  # frozen


@pytest.mark.parametrize("bad", [(2.8, 1.4, 4.5), (1.0, 1.0, 2.0), (0.0, 1.0, 2.0), (1, 2, np.nan)])
def test_severity_thresholds_must_increase(bad):
    with pytest.raises(ParameterError):
        SeverityThresholds(*bad)


def test_severity_zone_errors():
    with pytest.raises(ParameterError, match="unknown severity preset"):
        severity_zone(1.0, thresholds="group3")
    with pytest.raises(DataError):
        severity_zone(-1.0)
    with pytest.raises(DataError):
        severity_zone(np.nan)


# ---------------------------------------------------------------------------------
# feature vector
# ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim_batch():
    x, _ = _sim_windows(1800, 4)
    y, _ = _sim_windows(2700, 5)
    return np.concatenate([x, y])  # (8, 4, 1024)


def test_extract_features_layout(sim_batch):
    X, names = extract_features(sim_batch, fs=FS)
    per_channel = 10 + 8 + 7 + 8 + 1 + 2 + 1 + 4
    assert X.shape == (8, 4 * per_channel + 1)
    assert len(names) == X.shape[1] == len(set(names))
    assert np.isfinite(X).all()
    assert names[0] == "s1_mean" and names[-1] == "speed_hz"
    for name in ["s1_rms", "s1_order_1x", "s3_order_0.5x", "s2_ratio_2x_1x", "s4_rel_1.5x"]:
        assert name in names
    for name in ["s1_vel_rms", "s2_env_1x", "s2_env_1x_depth", "s4_centroid_hz"]:
        assert name in names
    assert "s1_bandfrac_0_62.5hz" in names and "s4_bandfrac_250_500hz" in names
    # columns are what the public functions give
    col = {n: X[:, i] for i, n in enumerate(names)}
    speed = estimate_running_speed(sim_batch, fs=FS)
    np.testing.assert_allclose(col["speed_hz"], speed, rtol=1e-12)
    np.testing.assert_allclose(col["s2_rms"], rms(sim_batch[:, 1]), rtol=1e-12)
    np.testing.assert_allclose(col["s4_kurtosis"], kurtosis(sim_batch[:, 3]), rtol=1e-12)
    oa = order_amplitudes(sim_batch, fs=FS, speed_hz=speed)
    np.testing.assert_allclose(col["s3_order_2x"], oa[:, 2, 3], rtol=1e-9)
    np.testing.assert_allclose(col["s2_ratio_2x_1x"], oa[:, 1, 3] / oa[:, 1, 1], rtol=1e-9)
    np.testing.assert_allclose(col["s1_rel_1x"], oa[:, 0, 1] / rms(sim_batch[:, 0]), rtol=1e-9)
    np.testing.assert_allclose(col["s1_vel_rms"], velocity_rms(sim_batch[:, 0], fs=FS), rtol=1e-9)
    fracs = X[:, [i for i, n in enumerate(names) if n.startswith("s2_bandfrac")]]
    np.testing.assert_allclose(fracs.sum(axis=1), 1.0, rtol=1e-9)


def test_extract_features_deterministic_and_options(sim_batch):
    X1, n1 = extract_features(sim_batch, fs=FS)
    X2, n2 = extract_features(sim_batch, fs=FS)
    assert n1 == n2
    np.testing.assert_array_equal(X1, X2)
    # a copy elsewhere in memory may differ in the last bits (SIMD alignment of the FFT)
    np.testing.assert_allclose(extract_features(sim_batch.copy(), fs=FS)[0], X1, rtol=1e-9)
    X3, n3 = extract_features(
        sim_batch,
        fs=FS,
        speed_hz=30.0,
        orders=(1, 2, 20),  # 20x of 30 Hz is above Nyquist: 0, not NaN
        channel_names=["h1", "v1", "h2", "v2"],
    )
    assert np.isfinite(X3).all()
    assert n3[:2] == ["h1_mean", "h1_rms"] and "v2_ratio_20x_1x" in n3
    np.testing.assert_array_equal(X3[:, n3.index("h1_order_20x")], 0.0)
    np.testing.assert_array_equal(X3[:, -1], 30.0)
    # a hint (+-20 %) gives the same speeds for the 1800 rpm windows
    X4, _ = extract_features(sim_batch[:4], fs=FS, rpm_hint=2000)
    np.testing.assert_allclose(X4[:, -1], X1[:4, -1], rtol=1e-3)


def test_extract_features_constant_and_zero_windows_are_finite():
    x = np.zeros((2, 3, N))
    x[1] = 5.0
    X, _ = extract_features(x, fs=FS)
    assert np.isfinite(X).all()


# ---------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------


def test_bad_input_errors():
    good = np.zeros((2, 4, N))
    with pytest.raises(DataError, match=r"\(n_windows, n_channels, n_samples\)"):
        extract_features(np.zeros((4, N)), fs=FS)
    with pytest.raises(DataError, match="too short"):
        extract_features(np.zeros((2, 4, 256)), fs=FS)
    bad = good.copy()
    bad[1, 2, 10] = np.nan
    with pytest.raises(DataError, match="NaN or infinite"):
        extract_features(bad, fs=FS)
    with pytest.raises(DataError, match="NaN or infinite"):
        estimate_running_speed(bad, fs=FS)
    with pytest.raises(DataError, match="scalar"):
        rms(np.float64(1.0))
    with pytest.raises(DataError, match="at least 16"):
        amplitude_spectrum(np.zeros(8), fs=FS)
    with pytest.raises(DataError, match="at least 2"):
        kurtosis(np.zeros((3, 1)))
    with pytest.raises(DataError, match="too short"):
        estimate_running_speed(np.zeros(300), fs=FS)
    with pytest.raises(ParameterError, match="fs"):
        amplitude_spectrum(np.zeros(64), fs=0)
    with pytest.raises(ParameterError, match="fs"):
        extract_features(good, fs=-1.0)
    with pytest.raises(ParameterError, match="orders must contain 1"):
        extract_features(good, fs=FS, orders=(0.5, 2))
    with pytest.raises(ParameterError, match="channel_names"):
        extract_features(good, fs=FS, channel_names=["a", "a", "b", "c"])
    with pytest.raises(ParameterError, match="fmin < fmax"):
        estimate_running_speed(good, fs=FS, fmin=50.0, fmax=20.0)
    with pytest.raises(ParameterError, match="channel_axis"):
        estimate_running_speed(good, fs=FS, channel_axis=2)
    with pytest.raises(ParameterError, match="speed_hz"):
        order_amplitudes(good, fs=FS, speed_hz=-3.0)
