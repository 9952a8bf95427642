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


def _bpfo_windows(geometry, *, n, rpm, seed, label_impacts=True):
    """Windows of impacts at ``geometry``'s BPFO (or none) ringing 3 kHz, over 1x and noise."""
    from rotordx.features.bearing import defect_frequencies

    rng = np.random.default_rng(seed)
    window = 6000
    total = n * window
    t = np.arange(total) / FS
    x = 0.5 * np.sin(2 * np.pi * rpm / 60 * t) + 0.3 * rng.normal(size=total)
    if label_impacts:
        f = defect_frequencies(rpm / 60, geometry)["bpfo"]
        times = np.cumsum(rng.normal(1.0, 0.01, int(total / FS * f) + 2) / f)
        pulses = np.zeros(total)
        np.add.at(pulses, (times[times < total / FS] * FS).astype(int), 1.0)
        th = np.arange(int(0.01 * FS)) / FS
        x += 4.0 * np.convolve(pulses, np.exp(-th / 0.001) * np.sin(2 * np.pi * 3000 * th))[:total]
    return x.reshape(n, 1, window).astype(np.float32)


def test_one_model_reads_windows_of_two_bearings_at_their_own_orders():
    """Outer-race impacts at each bearing's own BPFO (SKF 6205: 3.58 x, FAG 6203: 3.05 x)."""
    from rotordx.features.bearing import DEFECTS, FAG_6203, SKF_6205, defect_multipliers

    def split(seed, rpm):
        xs, ys, orders = [], [], []
        for g in (SKF_6205, FAG_6203):
            row = [defect_multipliers(g)[d] for d in DEFECTS]
            for label, impacts in ((0, False), (1, True)):
                w = _bpfo_windows(g, n=6, rpm=rpm, seed=seed + 7 * label, label_impacts=impacts)
                xs.append(w)
                ys.append(np.full(len(w), label))
                orders.append(np.tile(row, (len(w), 1)))
            seed += 100
        X = np.concatenate(xs)
        return Split(X, np.concatenate(ys), np.full(len(X), rpm / 60.0), np.concatenate(orders))

    train, test = split(0, 1797.0), split(1000, 1750.0)
    clf = make_classifier("bearing", fs=FS, geometry="6205", n_estimators=50)
    clf.fit(train, train, seed=0)
    pred = clf.predict_split(test)
    assert (pred == test.y).mean() == 1.0
    # both bearings' faulty windows are found, at each one's own BPFO
    assert pred[test.y == 1].min() == 1 and len(set(test.defect_orders[:, 0].round(3))) == 2
    # read with one geometry for all, the FAG windows' BPFO lines are missed
    wrong = clf.predict_proba(test.X, shaft_hz=test.shaft_hz)
    assert (wrong.argmax(axis=1) == test.y).mean() < 1.0
