"""Resampling, moving average and scaling against their reference definitions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import interp1d
from sklearn.preprocessing import MinMaxScaler

from rotordx.exceptions import DataError, ParameterError
from rotordx.signal import MinMaxScaling, interp_linear, moving_average, uniform_grid


def _uneven_times(n, period, rng):
    return np.concatenate([[0.0], np.cumsum(period * (1 + 0.02 * rng.standard_normal(n - 1)))])


def test_interp_matches_scipy_interp1d():
    rng = np.random.default_rng(0)
    t = _uneven_times(5000, 0.000736, rng)
    x = rng.standard_normal((5000, 4))
    grid = uniform_grid(fs=1000.0, duration=float(t[-1]))
    ours = interp_linear(t, x, grid=grid)
    ref = np.column_stack([interp1d(t, x[:, j], kind="linear")(grid) for j in range(4)])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_grid_is_the_seeds_arange():
    np.testing.assert_array_equal(uniform_grid(fs=1000.0, duration=140.0), np.arange(0, 140, 0.001))


@pytest.mark.parametrize("period", [0.000714, 0.000736, 0.000760, 0.000761])
def test_resampled_sine_keeps_frequency_and_amplitude(period):
    rng = np.random.default_rng(1)
    t = _uneven_times(20000, period, rng)
    f0 = 29.5
    x = 2.0 * np.sin(2 * np.pi * f0 * t)
    grid = uniform_grid(fs=1000.0, duration=10.0)
    y = interp_linear(t, x, grid=grid)
    spec = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    freqs = np.fft.rfftfreq(y.size, 1e-3)
    assert freqs[np.argmax(spec)] == pytest.approx(f0, abs=0.1)
    assert np.sqrt(2) * y.std() == pytest.approx(2.0, rel=0.01)


def test_interp_refuses_to_extrapolate():
    t = np.array([0.0, 1.0, 2.0])
    with pytest.raises(DataError, match="outside the recording"):
        interp_linear(t, t, grid=np.array([0.0, 2.5]))


def test_moving_average_matches_np_convolve():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1000, 3)) * 5 + 3
    ours = moving_average(x, m=15)
    ref = np.column_stack([np.convolve(x[:, j], np.ones(15), "valid") / 15 for j in range(3)])
    assert ours.shape == (986, 3)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_moving_average_of_constant_is_constant():
    np.testing.assert_allclose(moving_average(np.full(100, 3.25), m=15), 3.25)


def test_moving_average_errors():
    with pytest.raises(ParameterError, match="positive integer"):
        moving_average(np.ones(10), m=0)
    with pytest.raises(DataError, match="at least m=15"):
        moving_average(np.ones(10), m=15)


def test_minmax_matches_sklearn_and_round_trips():
    rng = np.random.default_rng(3)
    fit_on = rng.standard_normal((500, 4))
    fit_on[:, 3] = 7.0  # constant column: sklearn scales by 1
    other = rng.standard_normal((300, 4)) * 2
    ours = MinMaxScaling.fit(fit_on)
    ref = MinMaxScaler().fit(fit_on)
    np.testing.assert_allclose(ours.transform(other), ref.transform(other), atol=1e-12)
    scaled = ours.transform(fit_on)
    assert scaled[:, :3].min() == 0.0 and scaled[:, :3].max() == 1.0
    assert MinMaxScaling.from_dict(ours.to_dict()) == ours


def test_minmax_shape_mismatch():
    s = MinMaxScaling.fit(np.ones((3, 4)))
    with pytest.raises(ParameterError, match="fitted on 4 columns"):
        s.transform(np.ones((3, 2)))
