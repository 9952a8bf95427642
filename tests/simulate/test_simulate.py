"""Known-answer physics checks of the KAMP testbed simulator."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rotordx.classes import KAMP_CLASSES
from rotordx.exceptions import ParameterError
from rotordx.io.kamp import N_SENSORS
from rotordx.simulate import (
    TestbedConfig,
    running_speed,
    shaft_angle,
    simulate_class,
    simulate_testbed,
)

SECONDS = 20.0
LOOSE = (1, 3)  # sensors 2 and 4 measure along the loose (vertical) direction
ACROSS = (0, 2)  # sensors 1 and 3 are horizontal
COL = {name: 1 + i for i, name in enumerate(KAMP_CLASSES)}


def _grid(seconds: float) -> np.ndarray:
    return np.arange(0.0, seconds, 0.001)


def order_amplitude(data: np.ndarray, cls: str, f_r: float, order: float, seconds: float) -> float:
    """Amplitude (m/s^2) of one order of ``f_r``, from a Hann-windowed FFT on a 1 kHz grid.

    The band power around ``order * f_r`` is summed (Parseval), so a peak smeared by
    the speed wander is measured in full.
    """
    grid = _grid(seconds)
    y = np.interp(grid, data[:, 0], data[:, COL[cls]])
    y = y - y.mean()
    w = np.hanning(y.size)
    spec = np.fft.rfft(y * w)
    freq = np.fft.rfftfreq(y.size, 0.001)
    centre = order * f_r
    half_width = max(0.3, 0.03 * centre)
    band = np.abs(freq - centre) < half_width
    return float(2.0 * np.sqrt(np.sum(np.abs(spec[band]) ** 2) / (y.size * np.sum(w * w))))


def mean_speed(cfg: TestbedConfig, seed: int = 0) -> float:
    return float(running_speed(cfg, t=_grid(cfg.seconds), seed=seed).mean())


@pytest.fixture(scope="module")
def default20() -> tuple[TestbedConfig, list[np.ndarray], float]:
    cfg = TestbedConfig(seconds=SECONDS)
    return cfg, simulate_testbed(cfg, seed=0), mean_speed(cfg)


# --------------------------------------------------------------------------- layout


def test_shapes_and_sample_times(default20):
    cfg, data, _ = default20
    assert isinstance(data, list)
    assert len(data) == N_SENSORS == 4
    lengths = set()
    medians = []
    for s, arr in enumerate(data):
        assert arr.dtype == np.float64
        assert arr.ndim == 2
        assert arr.shape[1] == 5
        t = arr[:, 0]
        assert t[0] == 0.0
        assert t[-1] >= cfg.seconds
        assert np.all(np.diff(t) > 0.0)
        assert np.all(np.isfinite(arr))
        med = float(np.median(np.diff(t)))
        assert med == pytest.approx(cfg.sample_periods[s], rel=0.01)
        medians.append(med)
        lengths.add(arr.shape[0])
    assert len(lengths) == 4
    assert len({round(m, 7) for m in medians}) == 4
    # the downstream 1 kHz grid lies inside every sensor's time span
    assert all(d[-1, 0] >= _grid(cfg.seconds)[-1] for d in data)


def test_no_jitter_gives_exact_grid():
    cfg = TestbedConfig(seconds=2.0, jitter=0.0)
    for s, arr in enumerate(simulate_testbed(cfg)):
        np.testing.assert_array_equal(arr[:, 0], np.arange(arr.shape[0]) * cfg.sample_periods[s])


def test_large_jitter_keeps_time_increasing():
    cfg = TestbedConfig(seconds=2.0, jitter=0.15)
    for arr in simulate_testbed(cfg, seed=3):
        assert arr[0, 0] == 0.0
        assert np.all(np.diff(arr[:, 0]) > 0.0)


def test_magnitudes_are_realistic(default20):
    _, data, _ = default20
    for s, arr in enumerate(data):
        rms = arr[:, 1:].std(axis=0)
        assert 0.1 < rms[0] < 1.0  # healthy
        assert 0.5 < rms[1] < 10.0  # unbalance
        assert rms[3] > rms[0]
        if s in LOOSE:
            assert 0.5 < rms[2] < 10.0
            assert 1.0 < rms[3] < 10.0


def test_no_class_specific_offset(default20):
    _, data, _ = default20
    for arr in data:
        means = arr[:, 1:].mean(axis=0)
        assert np.ptp(means) < 0.01


# --------------------------------------------------------------------------- unbalance


def test_unbalance_dominates_1x_on_every_sensor(default20):
    cfg, data, f_r = default20
    for arr in data:
        normal = order_amplitude(arr, "normal", f_r, 1.0, cfg.seconds)
        type1 = order_amplitude(arr, "type1", f_r, 1.0, cfg.seconds)
        assert type1 >= 3.0 * normal
        assert 0.1 < normal < 1.0


def test_unbalance_grows_with_speed_squared():
    amps = {}
    for rpm in (1200.0, 2400.0):
        cfg = TestbedConfig(seconds=10.0, rpm=rpm, rpm_wander=0.0)
        data = simulate_testbed(cfg, seed=1)
        amps[rpm] = [order_amplitude(d, "type1", rpm / 60.0, 1.0, cfg.seconds) for d in data]
    for low, high in zip(amps[1200.0], amps[2400.0], strict=True):
        assert high / low == pytest.approx(4.0, rel=0.1)


def test_unbalance_is_phase_coherent_across_sensors():
    cfg = TestbedConfig(seconds=SECONDS, rpm_wander=0.02)
    data = simulate_testbed(cfg, seed=2)
    grid = _grid(cfg.seconds)
    theta = shaft_angle(cfg, t=grid, seed=2)
    halves = (slice(0, grid.size // 2), slice(grid.size // 2, None))
    phases = np.empty((2, N_SENSORS))
    for s, arr in enumerate(data):
        y = np.interp(grid, arr[:, 0], arr[:, COL["type1"]])
        for i, half in enumerate(halves):
            phases[i, s] = np.angle(np.mean(y[half] * np.exp(-1j * theta[half])))
    rel = np.angle(np.exp(1j * (phases - phases[:, :1])))  # relative to sensor 1
    drift = np.degrees(np.abs(np.angle(np.exp(1j * (rel[1] - rel[0])))))
    assert np.all(drift < 3.0)
    # horizontal and vertical sensors see the rotating vector about 90 deg apart
    assert 45.0 < abs(np.degrees(rel[0, 1])) < 135.0


def test_unbalance_severity_zero_is_healthy():
    cfg = TestbedConfig(seconds=2.0, unbalance=0.0, looseness=0.0, noise=0.0)
    for arr in simulate_testbed(cfg):
        for cls in ("type1", "type2", "type3"):
            np.testing.assert_allclose(arr[:, COL[cls]], arr[:, COL["normal"]], atol=1e-12)


# --------------------------------------------------------------------------- looseness


@pytest.mark.parametrize("order", [0.5, 1.5, 2.0])
def test_looseness_adds_half_orders_and_harmonics(default20, order):
    cfg, data, f_r = default20
    for s in LOOSE:
        normal = order_amplitude(data[s], "normal", f_r, order, cfg.seconds)
        type2 = order_amplitude(data[s], "type2", f_r, order, cfg.seconds)
        assert type2 >= 3.0 * normal, (s, order, type2, normal)


def test_looseness_is_direction_dependent():
    cfg = TestbedConfig(seconds=5.0, noise=0.0)
    data = simulate_testbed(cfg, seed=4)
    excess = [np.std(d[:, COL["type2"]] - d[:, COL["normal"]]) for d in data]
    for s in LOOSE:
        for r in ACROSS:
            assert excess[s] > 3.0 * excess[r]


def test_looseness_scales_linearly_and_leaves_other_classes_alone():
    base = simulate_testbed(TestbedConfig(seconds=3.0), seed=5)
    double = simulate_testbed(TestbedConfig(seconds=3.0, looseness=2.0), seed=5)
    quiet = TestbedConfig(seconds=3.0, noise=0.0)
    q1 = simulate_testbed(quiet, seed=5)
    q2 = simulate_testbed(TestbedConfig(seconds=3.0, noise=0.0, looseness=2.0), seed=5)
    for a, b, c, d in zip(base, double, q1, q2, strict=True):
        np.testing.assert_array_equal(a[:, :3], b[:, :3])  # time, normal, type1
        np.testing.assert_allclose(
            d[:, COL["type2"]] - d[:, COL["normal"]],
            2.0 * (c[:, COL["type2"]] - c[:, COL["normal"]]),
            atol=1e-9,
        )


def test_type3_has_both_signatures(default20):
    cfg, data, f_r = default20
    for arr in data:
        normal = order_amplitude(arr, "normal", f_r, 1.0, cfg.seconds)
        assert order_amplitude(arr, "type3", f_r, 1.0, cfg.seconds) >= 3.0 * normal
    for s in LOOSE:
        for order in (0.5, 1.5, 2.0, 3.0):
            normal = order_amplitude(data[s], "normal", f_r, order, cfg.seconds)
            type3 = order_amplitude(data[s], "type3", f_r, order, cfg.seconds)
            assert type3 >= 3.0 * normal, (s, order, type3, normal)


def test_unbalance_makes_looseness_impacts_stronger():
    cfg = TestbedConfig(seconds=3.0, noise=0.0)
    data = simulate_testbed(cfg, seed=6)
    for s in LOOSE:
        arr = data[s]
        loose_alone = arr[:, COL["type2"]] - arr[:, COL["normal"]]
        loose_with_unbalance = arr[:, COL["type3"]] - arr[:, COL["type1"]]
        assert np.abs(loose_with_unbalance).max() > 2.0 * np.abs(loose_alone).max()


def test_looseness_rings_the_structural_resonance():
    cfg = TestbedConfig(seconds=SECONDS, noise=0.0)
    s = LOOSE[0]
    arr = simulate_testbed(cfg, seed=0)[s]
    grid = np.arange(0.0, cfg.seconds, 1.0 / 1300.0)  # close to the sensor rate
    y = np.interp(grid, arr[:, 0], arr[:, COL["type3"]] - arr[:, COL["type1"]])
    freq = np.fft.rfftfreq(y.size, grid[1])
    power = np.abs(np.fft.rfft(y * np.hanning(y.size))) ** 2
    f_n = cfg.resonance_hz[s]
    near = power[np.abs(freq - f_n) < 0.15 * f_n].sum()
    far = power[(freq > 1.5 * f_n) & (freq < 2.0 * f_n)].sum()
    assert near > 10.0 * far


# --------------------------------------------------------------------------- speed


def test_running_speed_stays_in_band_and_is_slow():
    cfg = TestbedConfig(rpm=1500.0, rpm_wander=0.05)
    t = np.arange(0.0, cfg.seconds, 0.01)
    f = running_speed(cfg, t=t, seed=7)
    f0 = cfg.rpm / 60.0
    assert np.all(f >= f0 * (1.0 - cfg.rpm_wander))
    assert np.all(f <= f0 * (1.0 + cfg.rpm_wander))
    assert np.ptp(f) > 0.5 * cfg.rpm_wander * f0  # it does wander
    # slow: relative change per second bounded by 2 pi * wander / 15 s
    assert np.max(np.abs(np.diff(f))) / 0.01 < f0 * cfg.rpm_wander * 2 * math.pi / 15 * 1.01
    # the angle is the integral of the speed
    theta = shaft_angle(cfg, t=t, seed=7)
    np.testing.assert_allclose(np.gradient(theta, t)[1:-1], 2 * np.pi * f[1:-1], rtol=1e-6)


def test_constant_speed_puts_1x_exactly_at_rpm_over_60():
    cfg = TestbedConfig(seconds=10.0, rpm=1500.0, rpm_wander=0.0)
    np.testing.assert_array_equal(running_speed(cfg, t=np.linspace(0, 10, 11)), 25.0)
    arr = simulate_testbed(cfg, seed=8)[0]
    grid = _grid(cfg.seconds)
    y = np.interp(grid, arr[:, 0], arr[:, COL["type1"]])
    spec = np.abs(np.fft.rfft(y - y.mean()))
    freq = np.fft.rfftfreq(y.size, 0.001)
    assert freq[np.argmax(spec)] == pytest.approx(cfg.rpm / 60.0, abs=1e-9)


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_data_and_different_seed_different():
    cfg = TestbedConfig(seconds=2.0)
    a = simulate_testbed(cfg, seed=11)
    b = simulate_testbed(cfg, seed=11)
    c = simulate_testbed(cfg, seed=12)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x[:, 1:], z[:, 1:]) for x, z in zip(a, c, strict=True))
    assert not np.array_equal(a[0][:, 0], c[0][:, 0])


def test_normal_is_independent_of_fault_severities():
    a = simulate_testbed(TestbedConfig(seconds=2.0), seed=13)
    b = simulate_testbed(TestbedConfig(seconds=2.0, unbalance=3.0, looseness=0.2), seed=13)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x[:, :2], y[:, :2])


def test_simulate_class_reproduces_testbed_columns():
    cfg = TestbedConfig(seconds=2.0)
    data = simulate_testbed(cfg, seed=14)
    for cls in KAMP_CLASSES:
        for s in (0, 3):
            out = simulate_class(cfg, fault=cls, times=data[s][:, 0], seed=14)
            assert out.shape == (data[s].shape[0], N_SENSORS)
            np.testing.assert_allclose(out[:, s], data[s][:, COL[cls]], rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"rpm": -100.0}, "rpm"),
        ({"rpm": 0.0}, "rpm"),
        ({"rpm": 7000.0}, "rpm"),
        ({"rpm": float("nan")}, "rpm"),
        ({"seconds": 0.0}, "seconds"),
        ({"seconds": -1.0}, "seconds"),
        ({"jitter": 0.5}, "jitter"),
        ({"jitter": -0.01}, "jitter"),
        ({"rpm_wander": 0.5}, "rpm_wander"),
        ({"sample_periods": (0.000736, 0.000760, 0.000714)}, "sample_periods"),
        ({"sample_periods": (0.0007, 0.0007, 0.0007, -0.0007)}, "sample_periods"),
        ({"sample_periods": "0.0007"}, "sample_periods"),
        ({"unbalance": -1.0}, "unbalance"),
        ({"noise": True}, "noise"),
        ({"damping_ratio": (0.05, 0.05, 0.05, 0.0)}, "damping_ratio"),
        ({"clearance_um": 0.0}, "clearance_um"),
    ],
)
def test_bad_parameters_raise_parameter_error(kwargs, name):
    with pytest.raises(ParameterError, match=rf"\b{name}\b") as info:
        TestbedConfig(**kwargs)
    assert repr(next(iter(kwargs.values()))) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bad_call_arguments_raise_parameter_error():
    cfg = TestbedConfig(seconds=1.0)
    with pytest.raises(ParameterError, match="seed"):
        simulate_testbed(cfg, seed=-1)
    with pytest.raises(ParameterError, match="fault"):
        simulate_class(cfg, fault="type4", times=np.zeros(3))
    with pytest.raises(ParameterError, match="times"):
        simulate_class(cfg, fault="normal", times=np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="config"):
        simulate_testbed({"rpm": 1800})  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"\bt\b"):
        running_speed(cfg, t=np.array([0.0, np.inf]))


def test_config_normalises_sequences_to_float_tuples():
    cfg = TestbedConfig(sample_periods=[0.001, 0.001, 0.001, 0.001], rpm=1800)
    assert cfg.sample_periods == (0.001, 0.001, 0.001, 0.001)
    assert isinstance(cfg.rpm, float)


def test_simulate_class_on_any_time_span():
    times = np.arange(5.0, 6.0, 0.001)
    short = simulate_class(TestbedConfig(seconds=1.0, noise=0.0), fault="type2", times=times)
    long = simulate_class(TestbedConfig(seconds=30.0, noise=0.0), fault="type2", times=times)
    normal = simulate_class(TestbedConfig(seconds=1.0, noise=0.0), fault="normal", times=times)
    np.testing.assert_allclose(short, long, rtol=0, atol=1e-12)
    assert np.std(short[:, LOOSE[0]] - normal[:, LOOSE[0]]) > 0.3
    assert simulate_class(fault="type3", times=np.empty(0)).shape == (0, N_SENSORS)
