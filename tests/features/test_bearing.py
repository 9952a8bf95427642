"""Bearing defect frequencies and envelope features: known values, synthetic
impact trains, and the real CWRU recordings (skipped when absent).

What holds on CWRU (drive end, 1 s segments averaged, default band
1.5–5 kHz): the inner-race (007/014/021) and outer-race files except
OR014@6 are found with a significant score; the ball faults, IR028 (3001),
OR014@6 and the healthy recording give no significant defect line. Ball
faults are notoriously weak in the envelope spectrum, so no ball file is
asserted to be found; it is asserted that no file is confidently misread.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rotordx.exceptions import DataError, ParameterError
from rotordx.features.bearing import DEFECTS, SKF_6205, BearingGeometry, defect_frequencies
from rotordx.features.envelope import (
    bearing_envelope_features,
    default_envelope_band,
    strongest_defect,
)
from rotordx.io.cwru import find_cwru, read_cwru

FS = 12000.0
SHAFT = 1797 / 60.0


# ---------------------------------------------------------------- frequencies


def test_skf6205_defect_frequencies_at_1797_rpm():
    f = defect_frequencies(SHAFT, SKF_6205)
    assert f["bpfi"] == pytest.approx(162.19, abs=0.01)
    assert f["bpfo"] == pytest.approx(107.36, abs=0.01)
    assert f["bsf"] == pytest.approx(70.58, abs=0.01)
    assert f["ftf"] == pytest.approx(11.93, abs=0.01)
    # the multiples of the shaft speed CWRU lists for the 6205: 5.4152, 3.5848, 4.7135 (2 x BSF)
    assert f["bpfi"] / SHAFT == pytest.approx(5.4152, abs=1e-4)
    assert f["bpfo"] / SHAFT == pytest.approx(3.5848, abs=1e-4)
    assert 2 * f["bsf"] / SHAFT == pytest.approx(4.7135, abs=1e-4)


def test_defect_frequency_identities():
    g = BearingGeometry(12, 10.0, 50.0, 15.0)
    f = defect_frequencies(25.0, g)
    r = 10.0 / 50.0 * math.cos(math.radians(15.0))
    assert f["bpfo"] + f["bpfi"] == pytest.approx(12 * 25.0)
    assert f["bpfo"] == pytest.approx(12 * f["ftf"])
    assert f["bsf"] == pytest.approx(50.0 / 20.0 * 25.0 * (1 - r * r))
    arr = defect_frequencies(np.array([10.0, 20.0]), g)
    np.testing.assert_allclose(arr["bpfi"], [f["bpfi"] * 0.4, f["bpfi"] * 0.8])


@pytest.mark.parametrize(
    "args",
    [
        (0, 0.3, 1.5, 0.0),
        (9.5, 0.3, 1.5, 0.0),
        (True, 0.3, 1.5, 0.0),
        (9, -0.3, 1.5, 0.0),
        (9, 0.3, float("nan"), 0.0),
        (9, 1.6, 1.5, 0.0),
        (9, 0.3, 1.5, 90.0),
        (9, 0.3, 1.5, -1.0),
    ],
)
def test_bad_geometry_raises(args):
    with pytest.raises(ParameterError):
        BearingGeometry(*args)


@pytest.mark.parametrize("shaft", [0.0, -1.0, float("inf"), "fast", []])
def test_bad_shaft_speed_raises(shaft):
    with pytest.raises(ParameterError, match="shaft_hz"):
        defect_frequencies(shaft, SKF_6205)


# ---------------------------------------------------------------- synthetic signals


def _impacts(rate_hz, *, seconds=2.0, fs=FS, seed=0, shaft_mod=0.0, noise=0.3):
    """Impacts at ``rate_hz`` (1 % jitter) ringing a 3 kHz resonance, plus 1x and noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    times = np.cumsum(rng.normal(1.0, 0.01, int(seconds * rate_hz) + 2) / rate_hz)
    times = times[times < seconds]
    pulses = np.zeros(n)
    amp = 1.0 + shaft_mod * np.cos(2 * np.pi * SHAFT * times)  # load-zone modulation
    np.add.at(pulses, (times * fs).astype(int), amp)
    th = np.arange(int(0.01 * fs)) / fs
    ring = np.exp(-th / 0.001) * np.sin(2 * np.pi * 3000.0 * th)
    x = np.convolve(pulses, ring)[:n] * 5.0
    return x + np.sin(2 * np.pi * SHAFT * t) + noise * rng.normal(size=n)


@pytest.mark.parametrize(("defect", "shaft_mod"), [("bpfo", 0.0), ("bpfi", 0.5), ("bsf", 0.0)])
def test_synthetic_impacts_are_found(defect, shaft_mod):
    f = defect_frequencies(SHAFT, SKF_6205)[defect]
    x = _impacts(f, shaft_mod=shaft_mod)
    s = strongest_defect(x, fs=FS, shaft_hz=SHAFT, geometry=SKF_6205)
    assert s["defect"] == defect
    assert s["significant"]
    assert s["frequency_hz"] == pytest.approx(f, abs=1.0)
    assert s["expected_hz"] == pytest.approx(f)
    assert s["snr"] > 20
    others = [v for k, v in s["scores"].items() if k != defect]
    assert s["score"] > 3 * max(others)
    assert s["band"] == (1500.0, 5000.0)


def test_noise_has_no_significant_defect():
    rng = np.random.default_rng(3)
    s = strongest_defect(rng.normal(size=(4, 12000)), fs=FS, shaft_hz=SHAFT, geometry=SKF_6205)
    assert not s["significant"]
    assert s["score"] < 3
    assert "no defect line" in s["explanation"] and s["verdict"] is None


def test_features_names_shape_and_values():
    x = np.stack([_impacts(107.364, seed=1), _impacts(162.186, seed=2, shaft_mod=0.5)])
    v, names = bearing_envelope_features(x, fs=FS, shaft_hz=SHAFT, geometry=SKF_6205)
    assert v.shape == (2, 12)
    assert names[:4] == ["env_bpfo_1", "env_bpfo_2", "env_bpfo_3", "env_bpfi_1"]
    assert names == [f"env_{d}_{k}" for d in DEFECTS for k in (1, 2, 3)]
    assert np.isfinite(v).all() and (v > 0).all()
    col = {n: i for i, n in enumerate(names)}
    assert v[0, col["env_bpfo_1"]] > 20 and v[0, col["env_bpfi_1"]] < 5
    assert v[1, col["env_bpfi_1"]] > 20 and v[1, col["env_bpfo_1"]] < 5


def test_features_are_vectorised_and_accept_per_window_speeds():
    x = np.stack([_impacts(107.364, seconds=1.0, seed=s) for s in range(3)]).reshape(3, 1, -1)
    v, _ = bearing_envelope_features(x, fs=FS, shaft_hz=SHAFT, harmonics=2, geometry=SKF_6205)
    assert v.shape == (3, 1, 8)
    for i in range(3):
        vi, _ = bearing_envelope_features(
            x[i, 0], fs=FS, shaft_hz=SHAFT, harmonics=2, geometry=SKF_6205
        )
        np.testing.assert_allclose(v[i, 0], vi, rtol=1e-9)
    speeds = np.array([SHAFT, SHAFT * 0.97, SHAFT * 1.02])
    vs, _ = bearing_envelope_features(x, fs=FS, shaft_hz=speeds, harmonics=2, geometry=SKF_6205)
    for i in range(3):
        vi, _ = bearing_envelope_features(
            x[i], fs=FS, shaft_hz=speeds[i], harmonics=2, geometry=SKF_6205
        )
        np.testing.assert_allclose(vs[i], vi, rtol=1e-9)


def test_harmonics_above_nyquist_are_nan():
    x = np.random.default_rng(0).normal(size=4000)
    v, names = bearing_envelope_features(
        x,
        fs=1000.0,
        shaft_hz=SHAFT,
        band=(100.0, 400.0),
        harmonics=4,
        defects=["bpfi"],
        geometry=SKF_6205,
    )
    assert names == ["env_bpfi_1", "env_bpfi_2", "env_bpfi_3", "env_bpfi_4"]
    assert np.isfinite(v[:3]).all() and np.isnan(v[3])  # 4 x 162 Hz > 500 Hz


def test_default_band():
    assert default_envelope_band(12000) == (1500.0, 5000.0)
    assert default_envelope_band(48000) == (6000.0, 20000.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"harmonics": 0},
        {"harmonics": 1.5},
        {"tolerance": -0.1},
        {"defects": ["cage"]},
        {"defects": []},
        {"geometry": "6205"},
        {"band": (0.0, 3000.0)},
        {"band": (1000.0, 7000.0)},
        {"shaft_hz": -3.0},
        {"fs": 0.0},
    ],
)
def test_bad_feature_parameters_raise(kwargs):
    args = {"fs": FS, "shaft_hz": SHAFT, "geometry": SKF_6205, **kwargs}
    with pytest.raises(ParameterError):
        bearing_envelope_features(np.zeros(4096), **args)


def test_bad_data_raises():
    with pytest.raises(DataError):
        bearing_envelope_features(np.full(4096, np.nan), fs=FS, shaft_hz=SHAFT, geometry=SKF_6205)
    with pytest.raises(DataError):
        strongest_defect(np.zeros(10), fs=FS, shaft_hz=SHAFT, geometry=SKF_6205)
    with pytest.raises(ParameterError, match="shaft_hz"):
        strongest_defect(np.zeros(4096), fs=FS, shaft_hz=[SHAFT, SHAFT], geometry=SKF_6205)


# ---------------------------------------------------------------- real CWRU data

FOUND = {
    "12k_Drive_End_IR007_0_105.mat": "bpfi",
    "12k_Drive_End_IR007_3_108.mat": "bpfi",
    "12k_Drive_End_IR014_0_169.mat": "bpfi",
    "12k_Drive_End_IR021_0_209.mat": "bpfi",
    "12k_Drive_End_OR007@6_0_130.mat": "bpfo",
    "12k_Drive_End_OR007@3_2_146.mat": "bpfo",
    "12k_Drive_End_OR007@12_1_158.mat": "bpfo",
    "12k_Drive_End_OR021@6_0_234.mat": "bpfo",
}
EXPECTED = {"inner_race": "bpfi", "outer_race": "bpfo", "ball": "bsf", "normal": None}


def _strongest(path):
    r = read_cwru(path)
    return r, strongest_defect(
        r.recording.signals[0], fs=r.recording.fs, shaft_hz=r.rpm / 60, geometry=SKF_6205
    )


def test_ir007_is_bpfi_of_the_6205(cwru_dir):
    _, s = _strongest(cwru_dir / "12k_Drive_End_IR007_0_105.mat")
    assert s["defect"] == "bpfi" and s["fault"] == "inner_race" and s["significant"]
    assert s["frequency_hz"] == pytest.approx(162.2, abs=1.5)
    assert s["snr"] > 30
    assert "BPFI of SKF 6205 at 1797 rpm" in s["explanation"]
    assert "inner race" in s["explanation"]


def test_or007_at_6_is_bpfo(cwru_dir):
    _, s = _strongest(cwru_dir / "12k_Drive_End_OR007@6_0_130.mat")
    assert s["defect"] == "bpfo" and s["fault"] == "outer_race" and s["significant"]
    assert s["frequency_hz"] == pytest.approx(107.4, abs=1.5)
    assert s["snr"] > 50


@pytest.mark.parametrize(("name", "defect"), sorted(FOUND.items()))
def test_race_faults_are_found(cwru_dir, name, defect):
    _, s = _strongest(cwru_dir / name)
    assert (s["defect"], s["significant"]) == (defect, True)


def test_no_cwru_file_is_confidently_misread(cwru_dir):
    found = {}
    for path in find_cwru(cwru_dir):
        r, s = _strongest(path)
        want = EXPECTED[r.info.label]
        if s["significant"]:
            assert s["defect"] == want, (path.name, s["explanation"])
        found[path.name] = s["significant"]
    assert sum(found.values()) == 21  # 6 IR + 15 OR of 31 files
    assert not found["normal_0_97.mat"]
    assert not any(v for k, v in found.items() if "_B0" in k)  # ball faults: not found
    assert not found["12k_Drive_End_OR014@6_0_197.mat"]
    assert not found["12k_Drive_End_IR028_0_3001.mat"]


def test_per_window_features_on_ir007(cwru_dir):
    r = read_cwru(cwru_dir / "12k_Drive_End_IR007_0_105.mat")
    x = r.recording.signals[0, : 10 * 12000].reshape(10, 12000)
    v, names = bearing_envelope_features(
        x,
        fs=12000.0,
        shaft_hz=r.rpm / 60,
        defects=("bpfo", "bpfi", "bsf"),
        harmonics=1,
        geometry=SKF_6205,
    )
    assert names == ["env_bpfo_1", "env_bpfi_1", "env_bsf_1"]
    assert (v.argmax(axis=1) == 1).all()  # BPFI in every 1 s window
