"""Abstention: a model says "inconclusive" below a confidence calibrated on held-out data.

A classifier always names a class; on a machine, an operating point or a
fault it has not seen, that class is often wrong with a probability that
looks confident. Selective classification answers only when the top
probability reaches a threshold, chosen on data the model did not train on
so that the answered windows reach a **target accuracy** (0.95 by default):
the largest set of most-confident calibration windows that is at least that
accurate is answered, and the threshold lies midway between its least
confident window and the most confident one left out (the calibration says
nothing in between; with every window answered it is the chance level
``1 / n_classes``: the model never abstains). Where no set reaches the target
with enough answered windows, the most accurate (of those the largest) is
kept and ``target_met`` says so.

:func:`selective_scores` reports what a threshold does on labelled data:
the **coverage** (share of windows answered) and the **answered accuracy**,
beside the plain accuracy (``rotordx evaluate``, ``metrics.json``).

Functions
---------
    calibrate, selective_scores
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from rotordx.exceptions import ParameterError

__all__ = ["DEFAULT_TARGET", "MIN_ANSWERED", "Calibration", "calibrate", "selective_scores"]

#: Accuracy the answered windows should reach.
DEFAULT_TARGET = 0.95
#: Fewest answered windows a threshold may leave (so that one lucky window does not decide).
MIN_ANSWERED = 10


@dataclass(frozen=True)
class Calibration:
    """A calibrated abstention threshold and what it did on the calibration windows.

    Attributes
    ----------
    min_confidence : float
        Top probability below which the model abstains.
    target : float
        The accuracy asked of the answered windows.
    target_met : bool
    coverage, answered_accuracy, accuracy : float
        On the calibration windows: share answered, accuracy of the
        answered ones, accuracy of all.
    n_windows : int
    source : str
        Which windows: ``"validation"`` (held out from training) or
        ``"out-of-fold"`` (each scored by a model fitted without its recording).
    """

    min_confidence: float
    target: float
    target_met: bool
    coverage: float
    answered_accuracy: float
    accuracy: float
    n_windows: int
    source: str

    def to_dict(self) -> dict:
        return asdict(self)


def _check(proba: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    proba = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y)
    if proba.ndim != 2 or y.shape != (proba.shape[0],) or proba.shape[0] == 0:
        raise ParameterError(
            f"need probabilities (n, n_classes) and n labels, got {proba.shape} and {y.shape}"
        )
    return proba, y


def selective_scores(proba: np.ndarray, y: np.ndarray, min_confidence: float | None) -> dict:
    """Coverage and answered accuracy of ``min_confidence`` on labelled windows.

    ``None`` answers every window. ``answered_accuracy`` is ``None`` when no
    window is answered.
    """
    proba, y = _check(proba, y)
    conf, pred = proba.max(axis=1), proba.argmax(axis=1)
    answered = conf >= (min_confidence or 0.0)
    n = int(answered.sum())
    return {
        "min_confidence": min_confidence,
        "coverage": n / len(y),
        "answered": n,
        "answered_accuracy": float((pred[answered] == y[answered]).mean()) if n else None,
    }


def calibrate(
    proba: np.ndarray,
    y: np.ndarray,
    *,
    target: float = DEFAULT_TARGET,
    source: str = "validation",
    min_answered: int = MIN_ANSWERED,
) -> Calibration:
    """The abstention threshold for ``target`` accuracy on held-out windows (module docstring)."""
    if not (isinstance(target, int | float) and 0 < target <= 1):
        raise ParameterError(f"target accuracy must be in (0, 1], got {target!r}")
    proba, y = _check(proba, y)
    conf, correct = proba.max(axis=1), proba.argmax(axis=1) == y
    order = np.argsort(-conf, kind="stable")  # most confident first
    conf_sorted, hits = conf[order], np.cumsum(correct[order])
    counts = np.arange(1, len(y) + 1)
    # a threshold at conf_sorted[k] answers the windows with confidence >= it: k' + 1 of them,
    # k' the last index holding the same confidence
    last = np.searchsorted(-conf_sorted, -conf_sorted, side="right") - 1
    answered, acc = counts[last], hits[last] / counts[last]
    enough = answered >= min(min_answered, len(y))
    ok = enough & (acc >= target)
    if ok.any():
        k = int(np.flatnonzero(ok)[-1])  # the largest answered set that meets the target
        met = True
    else:  # the best answered accuracy; of equally good sets the largest
        candidates = np.flatnonzero(enough)
        best = acc[candidates].max()
        k = int(candidates[acc[candidates] >= best - 1e-12][-1])
        met = False
    # the set is the same for any threshold above the first window left out and up to the
    # last one answered: the calibration windows say nothing in between, so the threshold
    # is the midpoint; with every window answered, nothing is left out (chance level)
    k = int(last[k])
    if k + 1 < len(y):
        threshold = float(0.5 * (conf_sorted[k] + conf_sorted[k + 1]))
    else:
        threshold = 1.0 / proba.shape[1]
    return Calibration(
        min_confidence=threshold,
        target=float(target),
        target_met=met,
        coverage=float(answered[k] / len(y)),
        answered_accuracy=float(acc[k]),
        accuracy=float(correct.mean()),
        n_windows=len(y),
        source=source,
    )
