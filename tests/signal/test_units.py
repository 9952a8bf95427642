"""Units: every supported unit comes out as m/s², with the right factor or derivative."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.exceptions import ParameterError
from rotordx.signal.units import (
    STANDARD_GRAVITY,
    parse_sensitivity,
    parse_units,
    to_acceleration,
)

FS = 10_000.0


def _sine(f: float, amplitude: float = 1.0, n: int = 10_000) -> np.ndarray:
    t = np.arange(n) / FS
    return amplitude * np.sin(2 * np.pi * f * t)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("g", "g"), ("G", "g"), ("m/s^2", "m/s2"), ("m/s²", "m/s2"), ("mm/s", "mm/s"), ("v", "V")],
)
def test_spellings(text, canonical):
    assert parse_units(text) == canonical


def test_g_is_standard_gravity():
    x = np.array([[0.0, 1.0, -2.0]])
    np.testing.assert_array_equal(to_acceleration(x, fs=FS, units="g"), x * 9.80665)
    assert STANDARD_GRAVITY == 9.80665


def test_m_s2_is_a_copy():
    x = np.array([[0.5, -0.5]])
    y = to_acceleration(x, fs=FS, units="m/s2")
    np.testing.assert_array_equal(x, y)
    y[0, 0] = 7.0
    assert x[0, 0] == 0.5  # the caller's array is untouched


@pytest.mark.parametrize("f", [10.0, 100.0, 1000.0])
def test_velocity_is_differentiated(f):
    # v = 5 sin(2π f t) mm/s  ->  a = 5e-3 · 2π f · cos(2π f t) m/s²
    v = _sine(f, 5.0)[None, :]
    a = to_acceleration(v, fs=FS, units="mm/s")
    t = np.arange(v.shape[1]) / FS
    exact = 5e-3 * 2 * np.pi * f * np.cos(2 * np.pi * f * t)
    inner = slice(2, -2)
    err = np.max(np.abs(a[0, inner] - exact[inner])) / (5e-3 * 2 * np.pi * f)
    assert err < 0.005, err  # within 0.5 % up to fs/10
    # the two samples at each end are lower-order differences, still close
    assert np.max(np.abs(a[0, :2] - exact[:2])) / (5e-3 * 2 * np.pi * f) < 0.1


def test_volts_through_the_sensitivity():
    x = np.array([[0.1, -0.2]])  # volts
    # 100 mV/g: 0.1 V is 1 g
    np.testing.assert_allclose(
        to_acceleration(x, fs=FS, units="V", sensitivity=parse_sensitivity("100")),
        [[9.80665, -19.6133]],
    )
    np.testing.assert_allclose(
        to_acceleration(x, fs=FS, units="V", sensitivity=parse_sensitivity("10 mV/(m/s2)")),
        [[10.0, -20.0]],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100", (100.0, "g")),
        ("100 mV/g", (100.0, "g")),
        ("10.2 mV/(m/s2)", (10.2, "m/s2")),
        ("4 mv/(mm/s)", (4.0, "mm/s")),
    ],
)
def test_sensitivity_spellings(text, expected):
    assert parse_sensitivity(text) == expected


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: parse_units("furlongs"), "unknown units 'furlongs'"),
        (lambda: parse_sensitivity("-5"), "positive"),
        (lambda: parse_sensitivity("abc"), "expected a number of mV per g"),
        (lambda: parse_sensitivity("5 mV/V"), "mV per V"),
        (lambda: to_acceleration(np.ones((1, 4)), fs=FS, units="V"), "need a sensitivity"),
        (
            lambda: to_acceleration(np.ones((1, 4)), fs=FS, units="g", sensitivity=(1.0, "g")),
            "only used with units 'V'",
        ),
    ],
)
def test_errors(call, fragment):
    with pytest.raises(ParameterError, match=fragment.replace("(", r"\(")):
        call()
