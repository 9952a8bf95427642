"""Running-speed estimation next to electrical lines (mains multiples)."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.features import estimate_running_speed
from rotordx.features.orders import MAINS_HZ, electrical

FS = 5000.0


def _motor(seconds: float, *, shaft: float = 49.6, seed: int = 0) -> np.ndarray:
    """A 2-pole motor: weak 1x and 2x of the shaft, a strong electrical line at 100 Hz."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    x = (
        0.3 * np.sin(2 * np.pi * shaft * t)
        + 0.1 * np.sin(2 * np.pi * 2 * shaft * t + 1.0)
        + 0.05 * np.sin(2 * np.pi * 3 * shaft * t + 2.0)
        + 1.0 * np.sin(2 * np.pi * 100.0 * t)  # twice the 50 Hz mains
        + 0.4 * np.sin(2 * np.pi * 200.0 * t)
        + 0.2 * np.sin(2 * np.pi * 300.0 * t)
    )
    return x + 0.05 * rng.standard_normal(t.size)


def test_electrical_lines_pull_the_estimate_without_mains_rejection():
    x = _motor(5.0)
    assert estimate_running_speed(x, fs=FS, fmax=200.0) == pytest.approx(100.0, abs=0.2)


@pytest.mark.parametrize("seconds", [5.0, 8.0])
def test_mains_rejection_finds_the_shaft(seconds):
    x = _motor(seconds)
    est = estimate_running_speed(x, fs=FS, fmax=200.0, mains_hz=MAINS_HZ)
    assert est == pytest.approx(49.6, abs=0.05)


def test_mains_rejection_changes_nothing_away_from_mains():
    t = np.arange(int(4 * FS)) / FS
    x = sum(np.sin(2 * np.pi * k * 29.3 * t) / k for k in (1, 2, 3))
    a = estimate_running_speed(x, fs=FS)
    b = estimate_running_speed(x, fs=FS, mains_hz=MAINS_HZ)
    assert a == b == pytest.approx(29.3, abs=0.01)


def test_electrical():
    f = np.array([49.9, 50.0, 50.2, 99.95, 120.1, 29.95, 150.0, 180.0])
    np.testing.assert_array_equal(
        electrical(f, MAINS_HZ, 0.15), [True, True, False, True, True, False, True, True]
    )
