"""Calibrating a trained model's abstention threshold on windows it did not train on.

:func:`window_calibrator` says where those windows come from for a windowed
run (:mod:`rotordx.models.abstention` says how the threshold is chosen):

* the run's **validation windows**, where it has them (a time split, or a
  model with early stopping, whose validation recordings are held out of its
  training);
* otherwise (a recording split of a model without early stopping, which
  trains on every training window) **out-of-fold** windows: the training
  recordings are dealt into up to 3 folds stratified by label, a copy of the
  model is fitted on the other folds' recordings and scores each fold's, so
  every calibration window comes from a recording its scorer did not see.
  That costs up to 3 extra fits; a class with a single training recording
  leaves the run without a threshold (said in ``metrics.json``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rotordx.data.holdout import kfold_recordings, recording_windows
from rotordx.data.splits import Split, WindowConfig
from rotordx.exceptions import DataError
from rotordx.models.abstention import Calibration, calibrate

__all__ = ["CALIBRATION_FOLDS", "window_calibrator"]

#: Most folds of the out-of-fold calibration.
CALIBRATION_FOLDS = 3


def _out_of_fold(
    ds, train_ids, *, make: Callable[[], object], config: WindowConfig, seed: int
) -> tuple[np.ndarray, np.ndarray] | None:
    sub = ds.subset(train_ids)
    per_class: dict[str, int] = {}
    for r in sub.recordings:
        per_class[r.label] = per_class.get(r.label, 0) + 1
    k = min(CALIBRATION_FOLDS, min(per_class.values()))
    if k < 2:
        return None
    proba, y = [], []
    for fold in kfold_recordings(sub, k=k, seed=seed):
        train, _ = recording_windows(sub, fold.train, window=config.window, hop=config.hop)
        test, _ = recording_windows(sub, fold.test, window=config.window)
        clf = make()
        try:
            clf.fit(train.shuffled(seed), None, seed=seed, progress=False)
        except DataError:
            return None  # a fold the model cannot train on (e.g. a class missing)
        proba.append(clf.predict_proba_split(test))
        y.append(test.y)
    return np.concatenate(proba), np.concatenate(y)


def window_calibrator(
    ds,
    train_ids,
    valid: Split | None,
    *,
    make: Callable[[], object],
    config: WindowConfig,
    target: float,
    seed: int,
) -> Callable[[object], Calibration | str]:
    """A function of the fitted classifier: its :class:`Calibration`, or why there is none.

    ``make`` builds an unfitted copy of the classifier (for out-of-fold
    calibration); ``train_ids`` are the training recordings of a recording
    split (``None`` for a time split, which always has ``valid``).
    """

    def calibrator(classifier) -> Calibration | str:
        if valid is not None and len(valid):
            proba = classifier.predict_proba_split(valid)
            return calibrate(proba, valid.y, target=target, source="validation")
        if train_ids is None:
            return "no validation windows"
        oof = _out_of_fold(ds, train_ids, make=make, config=config, seed=seed)
        if oof is None:
            return "out-of-fold calibration needs 2 training recordings of every class"
        return calibrate(*oof, target=target, source="out-of-fold")

    return calibrator
