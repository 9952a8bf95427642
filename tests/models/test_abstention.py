"""Abstention: the threshold chosen on held-out windows, and what it does downstream."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rotordx.exceptions import ParameterError
from rotordx.models.abstention import calibrate, selective_scores


def _proba(conf: list[float], n_classes: int = 2) -> np.ndarray:
    """Rows whose top probability (class 0) is ``conf``."""
    p = np.empty((len(conf), n_classes))
    p[:, 0] = conf
    p[:, 1:] = ((1 - np.asarray(conf)) / (n_classes - 1))[:, None]
    return p


def test_the_lowest_threshold_that_meets_the_target():
    # 20 windows: the 12 most confident are right, then wrong ones mixed in
    conf = [0.99 - 0.01 * i for i in range(20)]
    y = np.zeros(20, dtype=int)
    y[[12, 14, 16, 18]] = 1  # wrong answers (the model says class 0)
    cal = calibrate(_proba(conf), y, target=0.9, min_answered=5)
    # answering down to window 13 (index 13) gives 13 of 14 right = 0.93 >= 0.9;
    # down to index 15: 14 of 16 = 0.875 < 0.9. The threshold: midway between the last
    # window answered and the first left out
    assert cal.min_confidence == pytest.approx((conf[13] + conf[14]) / 2)
    assert cal.target_met and cal.coverage == pytest.approx(14 / 20)
    assert cal.answered_accuracy == pytest.approx(13 / 14)
    assert cal.accuracy == pytest.approx(16 / 20) and cal.n_windows == 20


def test_a_perfect_model_answers_everything():
    conf = np.linspace(0.6, 1.0, 30)
    cal = calibrate(_proba(list(conf), n_classes=4), np.zeros(30, dtype=int), target=0.95)
    # nothing was wrong: no evidence that low confidence means wrong, chance level
    assert cal.min_confidence == pytest.approx(0.25) and cal.coverage == 1.0


def test_an_unreachable_target_keeps_the_best_and_says_so():
    conf = [0.9, 0.8, 0.7, 0.6] * 5
    y = np.array([1, 0, 1, 0] * 5)  # half wrong at every level
    cal = calibrate(_proba(conf), y, target=0.99, min_answered=4)
    assert not cal.target_met and cal.answered_accuracy < 0.99
    assert cal.coverage * 20 >= 4


def test_ties_are_answered_together():
    y = np.zeros(20, dtype=int)
    y[10:12] = 1  # two of the ten at 0.6 are wrong: 18 of 20 right is below 0.95
    cal = calibrate(_proba([0.8] * 10 + [0.6] * 10), y, target=0.95)
    assert cal.min_confidence == pytest.approx(0.7) and cal.coverage == 0.5


def test_selective_scores():
    p = _proba([0.9, 0.8, 0.55, 0.52])
    s = selective_scores(p, np.array([0, 1, 0, 0]), 0.6)
    assert s == {"min_confidence": 0.6, "coverage": 0.5, "answered": 2, "answered_accuracy": 0.5}
    assert selective_scores(p, np.zeros(4, dtype=int), 0.95)["answered_accuracy"] is None
    assert selective_scores(p, np.zeros(4, dtype=int), None)["coverage"] == 1.0


@pytest.mark.parametrize("target", [0, 1.5, "x"])
def test_bad_targets(target):
    with pytest.raises(ParameterError, match="target accuracy"):
        calibrate(_proba([0.9]), np.zeros(1, dtype=int), target=target)


def test_a_run_is_calibrated_and_evaluate_and_diagnose_use_it(small_group_dir, tmp_path):
    from rotordx.diagnosis.api import diagnose_path
    from rotordx.models import load_model
    from rotordx.workflows import evaluate_run, train_run

    run = tmp_path / "run"
    m = train_run(small_group_dir, model="features", out=run, progress=False)
    ab = m["abstention"]
    assert ab["source"] == "validation" and ab["target"] == 0.95
    assert 0 < ab["min_confidence"] <= 1 and 0 < ab["test"]["coverage"] <= 1
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["abstention"] == ab
    bundle = load_model(run)
    assert bundle.input["min_confidence"] == ab["min_confidence"]
    ev = evaluate_run(run, small_group_dir)
    assert ev["abstention"]["min_confidence"] == ab["min_confidence"]
    assert ev["abstention"]["answered"] == round(ev["abstention"]["coverage"] * ev["n_samples"])
    # a threshold no recording reaches: every diagnosis is inconclusive, the class kept
    bundle.input["min_confidence"] = 1.01
    for d in diagnose_path(small_group_dir, model=bundle, spectrum=False):
        assert d.verdict == "inconclusive" and d.model["class"] in bundle.classes
        assert "below the 1.01 it was calibrated to answer at" in d.evidence()[0]
    # switched off
    m0 = train_run(
        small_group_dir, model="features", out=tmp_path / "r0", progress=False, target_accuracy=0
    )
    assert "abstention" not in m0 and "min_confidence" not in load_model(tmp_path / "r0").input


def test_out_of_fold_calibration_on_a_recording_split(tmp_path):
    from rotordx.simulate.fleet import FleetConfig, write_fleet
    from rotordx.workflows import train_run

    manifest = write_fleet(
        tmp_path / "f",
        FleetConfig(machines=2, snapshots=12, seconds=0.5, classes=("normal", "unbalance")),
        seed=1,
        manifest_columns="basic",
    )
    m = train_run(manifest, model="features", out=tmp_path / "run", progress=False)
    assert m["split"]["method"] == "recording"
    ab = m["abstention"]
    assert ab["source"] == "out-of-fold"
    # every training recording's windows were scored by a model that had not seen it
    n_train = len(m["split"]["train_recordings"])
    assert ab["n_windows"] >= n_train
