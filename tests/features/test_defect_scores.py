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
