"""Pieces of the resampling grid and the moving average, chunk by chunk: whole-array numbers."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.exceptions import DataError
from rotordx.signal import moving_average
from rotordx.signal.filters import MovingAverageStream
from rotordx.signal.resample import grid_size, grid_times, uniform_grid


@pytest.mark.parametrize("duration", [0.05, 1.0, 12.0, 139.9995, 140.0, 2240.0])
@pytest.mark.parametrize("fs", [1000.0, 999.0, 12000.0])
def test_grid_pieces_are_numpys_arange(duration, fs):
    whole = uniform_grid(fs=fs, duration=duration)
    assert grid_size(fs=fs, duration=duration) == whole.shape[0]
    n = whole.shape[0]
    for a, b in [(0, n), (0, 1), (n // 3, n // 2), (n - 1, n)]:
        np.testing.assert_array_equal(grid_times(a, b, fs=fs), whole[a:b])


@pytest.mark.parametrize("m", [1, 2, 3, 15, 16])
def test_moving_average_stream_equals_whole(m):
    rng = np.random.default_rng(m)
    x = rng.standard_normal((2, 5000, 3)) * 4 + 30
    whole = moving_average(x, m=m, axis=1)
    for sizes in ([5000], [1, 2, 3, 4993, 1], list(rng.integers(1, 40, 400))):
        ma = MovingAverageStream(m=m, axis=1)
        parts, pos = [], 0
        for s in sizes:
            parts.append(ma.push(x[:, pos : pos + s]))
            pos += s
        parts.append(ma.push(x[:, pos:]))
        ma.finish()
        np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole)


def test_moving_average_stream_too_short():
    ma = MovingAverageStream(m=15)
    assert ma.push(np.ones(10)).shape == (0,)
    with pytest.raises(DataError, match="10 samples"):
        ma.finish()


def test_moving_average_stays_exact_on_long_offset_signals():
    """No running sum along the signal: the error does not grow with its length."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(2_000_000) + 50.0
    ours = moving_average(x, m=15)
    ref = np.convolve(x, np.ones(15), "valid") / 15
    assert np.abs(ours - ref).max() < 1e-12
