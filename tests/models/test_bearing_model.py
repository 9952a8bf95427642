"""The bearing-physics model: it names the defect from the frequency at any size and speed.

Synthetic recordings (``support.bearing_signal``): impacts repeating at a defect
frequency ring a structural resonance, as a spall does.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from rotordx.data.splits import Split
from rotordx.exceptions import DataError, ParameterError
from rotordx.models import classifier_from_state, make_classifier
from support import BEARING_FS as FS
from support import bearing_windows as windows

CLASSES = ("normal", "ball", "inner_race", "outer_race")


def _split(sizes, *, rpm, seed):
    xs, ys = [], []
    for k, label in enumerate(CLASSES):
        for j, size in enumerate(sizes):
            w = windows(label, n=4, rpm=rpm, size=size, seed=seed + 10 * k + j)
            xs.append(w)
            ys.append(np.full(len(w), k))
    X = np.concatenate(xs).astype(np.float32)
    return Split(X, np.concatenate(ys), np.full(len(X), rpm / 60.0))


def test_bearing_model_generalises_to_an_unseen_size_and_speed():
    train = _split([0.5, 2.0], rpm=1797.0, seed=0)
    valid = _split([1.0], rpm=1797.0, seed=100)
    test = _split([1.0], rpm=1730.0, seed=200)  # unseen size between, another speed
    clf = make_classifier("bearing", fs=FS, geometry="SKF_6205")
    info = clf.fit(train, valid, seed=0)
    assert info["best_valid_accuracy"] >= 0.9
    acc = (clf.predict(test.X, shaft_hz=test.shaft_hz) == test.y).mean()
    assert acc >= 0.9
    names = [n for n, _ in clf.top_features(3)]
    assert any(n.startswith("score_") for n in names)


def test_bearing_model_state_round_trip_and_speed():
    train = _split([1.0], rpm=1797.0, seed=0)
    clf = make_classifier("bearing", fs=FS, geometry="SKF_6205", n_estimators=20)
    clf.fit(train, train, seed=0)
    arrays, meta = clf.get_state()
    assert json.loads(json.dumps(meta))["geometry"]["n_balls"] == 9
    back = classifier_from_state("bearing", arrays, meta)
    p1 = clf.predict_proba(train.X, shaft_hz=train.shaft_hz)
    p2 = back.predict_proba(train.X, shaft_hz=29.95)  # a scalar speed works too
    np.testing.assert_array_equal(p1, p2)
    # without a speed it is estimated from each window: the 1x line is clear here
    speed = back._speed(None, train.X.astype(np.float64))
    np.testing.assert_allclose(speed, 29.95, rtol=0.01)
    assert (back.predict(train.X) == back.predict(train.X, shaft_hz=29.95)).mean() >= 0.9
    with pytest.raises(ParameterError, match="one value per window"):
        back.predict(train.X, shaft_hz=np.ones(3))
    with pytest.raises(DataError, match="cannot be estimated"):
        back.predict(train.X[:, :, :1000])  # 1000 samples < 2 fs / 5
