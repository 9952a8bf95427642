"""Framing: windows cut from signals, each a contiguous copy of the samples it holds."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.exceptions import DataError, ParameterError
from rotordx.signal.framing import frame


@pytest.mark.parametrize(
    ("n", "window", "hop"),
    [(100, 16, 1), (100, 16, 16), (100, 20, 7), (64, 64, 5), (1000, 128, 200), (17, 16, 3)],
)
def test_frame_shape_and_content_1d(n, window, hop):
    x = np.random.default_rng(n).standard_normal(n)
    out = frame(x, window=window, hop=hop)
    n_windows = 1 + (n - window) // hop
    assert out.shape == (n_windows, window)
    for i in range(n_windows):
        np.testing.assert_array_equal(out[i], x[i * hop : i * hop + window])
    # the next window would not fit: nothing is left out that could be framed
    assert n_windows * hop + window > n


def test_frame_multichannel():
    x = np.arange(3 * 50, dtype=np.float64).reshape(3, 50)
    out = frame(x, window=16, hop=5)
    assert out.shape == (1 + (50 - 16) // 5, 3, 16)
    for i in range(out.shape[0]):
        np.testing.assert_array_equal(out[i], x[:, i * 5 : i * 5 + 16])


def test_frame_returns_a_contiguous_copy():
    x = np.arange(40, dtype=np.float32).reshape(2, 20)
    out = frame(x, window=16, hop=2)
    assert out.flags["C_CONTIGUOUS"] and out.dtype == np.float32
    out[0, 0, 0] = -1.0
    assert x[0, 0] == 0.0  # not a view


def test_frame_exactly_one_window():
    x = np.arange(32.0)
    out = frame(x, window=32, hop=100)
    assert out.shape == (1, 32)
    np.testing.assert_array_equal(out[0], x)


def test_frame_too_short():
    with pytest.raises(DataError, match="shorter than one window"):
        frame(np.zeros((4, 15)), window=16, hop=1)


@pytest.mark.parametrize(("window", "hop"), [(4, -1), (0, 1), (4, 0)])
def test_frame_rejects_non_positive_window_or_hop(window, hop):
    with pytest.raises(ParameterError):
        frame(np.arange(10.0), window=window, hop=hop)
