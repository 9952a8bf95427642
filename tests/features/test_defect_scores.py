"""Defect scores: envelope evidence at the bearing's defect frequencies names the impact rate.

Synthetic recordings (``support.bearing_signal``): impacts repeating at a defect
frequency ring a structural resonance, as a spall does.
"""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.exceptions import ParameterError
from rotordx.features import defect_scores
from rotordx.features.bearing import SKF_6205
from support import BEARING_FS as FS
from support import LABEL_DEFECT
from support import bearing_windows as windows


@pytest.mark.parametrize("label", ["outer_race", "inner_race", "ball"])
def test_defect_scores_name_the_impact_frequency(label):
    X = windows(label, n=4)
    s, names = defect_scores(X, fs=FS, shaft_hz=1797 / 60, geometry=SKF_6205)
    assert names == ["score_bpfo", "score_bpfi", "score_bsf"]
    assert s.shape == (4, 1, 3)
    k = names.index(f"score_{LABEL_DEFECT[label]}")
    assert (s[:, 0].argmax(axis=1) == k).all(), s[:, 0]
    # impacts at 2 x BSF leave the BSF fundamental empty: a lower, still clear score
    assert s[:, 0, k].min() > (1.0 if label == "ball" else 1.5)


def test_defect_scores_of_noise_are_near_zero():
    s, _ = defect_scores(windows("normal", n=4), fs=FS, shaft_hz=1797 / 60, geometry=SKF_6205)
    assert np.abs(s).max() < 1.2


def test_defect_scores_follow_the_speed():
    X = windows("outer_race", n=2, rpm=1500.0)
    right, _ = defect_scores(X, fs=FS, shaft_hz=25.0, geometry=SKF_6205)
    wrong, _ = defect_scores(
        X, fs=FS, shaft_hz=30.0, geometry=SKF_6205
    )  # 20 % off: BPFO lines missed
    assert right[:, 0, 0].min() > wrong[:, 0, 0].max() + 1.0


def test_defect_scores_reject_bad_bands():
    with pytest.raises(ParameterError, match="bands"):
        defect_scores(
            windows("normal", n=1), fs=FS, shaft_hz=30.0, bands=[(1, 2, 3)], geometry=SKF_6205
        )
    with pytest.raises(ParameterError, match="at least one"):
        defect_scores(windows("normal", n=1), fs=FS, shaft_hz=30.0, bands=[], geometry=SKF_6205)


def _impacts(rate_hz, *, n=4, window=12000, seed=0, shaft_hz=1797 / 60):
    """``n`` windows of impacts at ``rate_hz`` ringing 3 kHz, over 1x and noise."""
    rng = np.random.default_rng(seed)
    total = n * window
    t = np.arange(total) / FS
    times = np.cumsum(rng.normal(1.0, 0.01, int(total / FS * rate_hz) + 2) / rate_hz)
    pulses = np.zeros(total)
    np.add.at(pulses, (times[times < total / FS] * FS).astype(int), 1.0)
    th = np.arange(int(0.01 * FS)) / FS
    ring = np.exp(-th / 0.001) * np.sin(2 * np.pi * 3000.0 * th)
    x = 4.0 * np.convolve(pulses, ring)[:total] + 0.5 * np.sin(2 * np.pi * shaft_hz * t)
    return (x + 0.3 * rng.normal(size=total)).reshape(n, 1, window)


def test_each_window_is_read_at_its_own_bearing():
    from rotordx.features.bearing import DEFECTS, FAG_6203, defect_multipliers

    shaft = 1797 / 60
    rows = {g.name: [defect_multipliers(g)[d] for d in DEFECTS] for g in (SKF_6205, FAG_6203)}
    X = np.concatenate(
        [
            _impacts(defect_multipliers(g)["bpfo"] * shaft, n=2, seed=i)
            for i, g in enumerate((SKF_6205, FAG_6203))
        ]
    )
    orders = np.array([rows["SKF 6205"]] * 2 + [rows["FAG 6203"]] * 2)
    s, names = defect_scores(X, fs=FS, shaft_hz=shaft, defect_orders=orders)
    assert (s[:, 0].argmax(axis=1) == names.index("score_bpfo")).all()
    # read at the other bearing's orders, the lines are missed
    swapped, _ = defect_scores(X, fs=FS, shaft_hz=shaft, defect_orders=orders[::-1])
    assert (s[:, 0, 0] > swapped[:, 0, 0] + 1.0).all()
    # NaN rows take the geometry's orders; one row of orders applies to every window
    half = orders.copy()
    half[2:] = np.nan
    a, _ = defect_scores(X, fs=FS, shaft_hz=shaft, defect_orders=half, geometry=FAG_6203)
    np.testing.assert_allclose(a, s)
    b, _ = defect_scores(X[:2], fs=FS, shaft_hz=shaft, defect_orders=rows["SKF 6205"])
    np.testing.assert_allclose(b, s[:2])


def test_defect_orders_are_checked():
    X = windows("normal", n=2)
    with pytest.raises(ParameterError, match="geometry or defect_orders"):
        defect_scores(X, fs=FS, shaft_hz=30.0)
    with pytest.raises(ParameterError, match="shape"):
        defect_scores(X, fs=FS, shaft_hz=30.0, defect_orders=np.ones((3, 4)))
    with pytest.raises(ParameterError, match="no geometry"):
        defect_scores(X, fs=FS, shaft_hz=30.0, defect_orders=np.full((2, 4), np.nan))
    with pytest.raises(ParameterError, match="> 0"):
        defect_scores(X, fs=FS, shaft_hz=30.0, defect_orders=-np.ones(4))
