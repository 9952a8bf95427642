"""A machine's healthy baseline: how far a window departs from its healthy recordings.

Trained on healthy recordings of one machine only (no fault ever seen), the
model learns, feature by feature, the median and spread of the physics
features (:func:`rotordx.features.extract_features`: order amplitudes and
ratios, velocity RMS, impact statistics, envelope and band energies) over
its windows. A new window's *departure score* is the root mean square of
its robust z-scores (clipped at :data:`Z_CLIP`); the window departs when its
score exceeds a threshold that the training workflow calibrates on healthy
windows the model did not see (:mod:`rotordx.workflows.baseline`).

Its two classes are ``normal`` and ``departure``; ``rotordx diagnose``
names a departure with the physics rules, judged against the baseline's own
orders (:func:`rotordx.diagnosis.verdict.assemble`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from rotordx.classes import NORMAL
from rotordx.data.dataset import Dataset
from rotordx.data.splits import Split
from rotordx.exceptions import DataError, ParameterError
from rotordx.features.extract import extract_features
from rotordx.models.base import Classifier, FitInfo

__all__ = ["BASELINE_CLASSES", "DEPARTURE", "Z_CLIP", "HealthyBaseline", "as_departures"]

#: The class of a window unlike the healthy ones.
DEPARTURE = "departure"
#: The classes of a baseline model, in this order.
BASELINE_CLASSES = (NORMAL, DEPARTURE)
#: A robust z-score counts at most this much (one absurd ratio must not decide alone).
Z_CLIP = 30.0
#: The share of the features, the largest in magnitude, that make up the departure score.
TOP_SHARE = 0.1
#: Features that say how the machine is run or wired, not its condition.
_IGNORED = ("speed_hz",)
_IGNORED_SUFFIXES = ("_mean",)
# the spread floor, as a share of the median's magnitude: a feature that did
# not vary at all in the baseline still has to move by this much to count
_REL_FLOOR = 0.05
# the logistic slope of the departure probability in log(score / threshold):
# twice the threshold gives p = 0.94, half of it p = 0.06
_SLOPE = 4.0


def as_departures(ds):
    """A labelled data set for a baseline: ``normal`` stays, any other label is ``departure``."""
    recs = tuple(r if r.label == NORMAL else replace(r, label=DEPARTURE) for r in ds.recordings)
    return Dataset(recs, BASELINE_CLASSES, ds.fs, ds.source)


def _departure_scores(z: np.ndarray) -> np.ndarray:
    """Per row of clipped z-scores: the RMS of the largest :data:`TOP_SHARE` in magnitude."""
    z2 = np.sort(z * z, axis=1)
    k = max(1, round(TOP_SHARE * z2.shape[1]))
    return np.sqrt(np.mean(z2[:, -k:], axis=1))


def _kept(names: list[str]) -> np.ndarray:
    return np.array(
        [n not in _IGNORED and not n.endswith(_IGNORED_SUFFIXES) for n in names], dtype=bool
    )


class HealthyBaseline(Classifier):
    """Median and spread of the physics features of healthy windows, and a departure threshold.

    Parameters
    ----------
    fs : float
        Sample rate of the windows in Hz.
    rpm_hint : float, optional
        Passed to the speed estimator.
    threshold : float, optional
        The departure score above which a window departs; normally set by
        the training workflow (:meth:`set_threshold`) from held-out healthy
        windows. Until then, :meth:`predict_proba` refuses to answer.
    """

    def __init__(
        self,
        *,
        fs: float = 1000.0,
        rpm_hint: float | None = None,
        threshold: float | None = None,
        threads: int = 1,
    ) -> None:
        super().__init__("baseline", "window")
        self.fs = float(fs)
        self.rpm_hint = rpm_hint
        self.threshold = None if threshold is None else float(threshold)
        self.threads = threads
        self.feature_names: list[str] = []
        self.center: np.ndarray | None = None
        self.spread: np.ndarray | None = None

    # -- features and scores ----------------------------------------------------------------

    #: The running speed comes with the windows when it is known (``rotordx diagnose``
    #: gives the recording's: from the manifest, the file, or estimated over the whole
    #: recording, steadier than one window's estimate).
    needs_speed = True

    def features(self, X: np.ndarray, shaft_hz: np.ndarray | None = None) -> np.ndarray:
        """The physics features of windows ``X`` that the baseline compares.

        ``shaft_hz`` (a scalar or one per window; NaN: unknown) is the running
        speed; where it is unknown, each window's own estimate is used.
        """
        X = np.asarray(X, dtype=np.float64)
        speed = None
        if shaft_hz is not None:
            speed = np.broadcast_to(np.asarray(shaft_hz, dtype=np.float64), (X.shape[0],))
        known = (
            np.zeros(X.shape[0], dtype=bool) if speed is None else np.isfinite(speed) & (speed > 0)
        )
        parts, names = [], None
        for rows, given in ((~known, None), (known, speed)):
            if rows.any():
                F, names = extract_features(
                    X[rows],
                    fs=self.fs,
                    speed_hz=None if given is None else given[rows],
                    rpm_hint=self.rpm_hint,
                )
                parts.append((rows, F))
        F = np.empty((X.shape[0], parts[0][1].shape[1]))
        for rows, part in parts:
            F[rows] = part
        keep = _kept(names)
        names = [n for n, k in zip(names, keep, strict=True) if k]
        if self.feature_names and names != self.feature_names:
            raise DataError(
                "the windows' features differ from the baseline's (other channels or a "
                "different rate)"
            )
        F = F[:, keep]
        if not np.isfinite(F).all():
            raise DataError("physics features contain NaN or infinite values")
        self.feature_names = names
        return F

    def z_scores(self, X: np.ndarray, shaft_hz: np.ndarray | None = None) -> np.ndarray:
        """Robust z-scores (n, n_features) of windows ``X`` against the baseline, clipped."""
        self._check_fitted(scores_only=True)
        return self._z(self.features(X, shaft_hz))

    def _z(self, F: np.ndarray) -> np.ndarray:
        return np.clip((F - self.center) / self.spread, -Z_CLIP, Z_CLIP)

    def scores(self, X: np.ndarray, shaft_hz: np.ndarray | None = None) -> np.ndarray:
        """The departure score of each window: the RMS of its largest robust z-scores."""
        return _departure_scores(self.z_scores(X, shaft_hz))

    def top_departures(
        self, X: np.ndarray, k: int = 5, shaft_hz: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` features that depart most (median z over the windows ``X``), signed."""
        z = np.median(self.z_scores(X, shaft_hz), axis=0)
        order = np.argsort(-np.abs(z))[:k]
        return [(self.feature_names[i], float(z[i])) for i in order]

    def set_threshold(self, threshold: float) -> None:
        """The departure score above which a window departs (> 0)."""
        if not (np.isfinite(threshold) and threshold > 0):
            raise ParameterError(f"a departure threshold must be positive, got {threshold!r}")
        self.threshold = float(threshold)

    # -- the classifier templates -----------------------------------------------------------

    def _check_fitted(self, *, scores_only: bool = False) -> None:
        super()._check_fitted()
        if not scores_only and self.threshold is None:
            raise ParameterError("the baseline has no departure threshold yet (set_threshold)")

    def _fit(self, train: Split, valid: Split | None, *, seed: int, progress: bool) -> FitInfo:
        """Median and scaled MAD of every feature over the healthy training windows."""
        if np.any(np.asarray(train.y) != 0):
            raise DataError("a baseline is fitted on healthy (normal) windows only")
        if train.X.shape[0] < 2:
            raise DataError(f"a baseline needs at least 2 healthy windows, got {train.X.shape[0]}")
        self.feature_names = []
        F = self.features(train.X, train.shaft_hz)
        self.center = np.median(F, axis=0)
        mad = 1.4826 * np.median(np.abs(F - self.center), axis=0)
        floor = _REL_FLOOR * np.abs(self.center)
        tiny = 1e-12 * max(1.0, float(np.abs(self.center).max()))
        self.spread = np.maximum(np.maximum(mad, floor), tiny)
        return {
            "n_features": F.shape[1],
            "n_windows": F.shape[0],
            # the training windows' own scores, from the features just computed
            "train_scores": _departure_scores(self._z(F)),
        }

    def _predict_proba(
        self, X: np.ndarray, *, shaft_hz: np.ndarray | None, defect_orders: np.ndarray | None
    ) -> np.ndarray:
        """(p_normal, p_departure): a logistic in log(score / threshold)."""
        if X.shape[0] == 0:
            return np.zeros((0, 2))
        s = np.maximum(self.scores(X, shaft_hz), 1e-12)
        p = 1.0 / (1.0 + np.exp(-_SLOPE * np.log(s / self.threshold)))
        return np.stack([1.0 - p, p], axis=1)

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The medians and spreads, and the threshold and feature names."""
        self._check_fitted()
        arrays = {"center": self.center, "spread": self.spread}
        meta = {
            "fs": self.fs,
            "rpm_hint": self.rpm_hint,
            "threshold": self.threshold,
            "feature_names": self.feature_names,
        }
        return arrays, meta

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> HealthyBaseline:
        """Rebuild a fitted baseline, checking shapes and the threshold."""
        try:
            obj = cls(fs=meta["fs"], rpm_hint=meta.get("rpm_hint"), threshold=meta["threshold"])
            obj.feature_names = [str(n) for n in meta["feature_names"]]
            obj.center = np.asarray(arrays["center"], dtype=np.float64)
            obj.spread = np.asarray(arrays["spread"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(f"invalid baseline state: missing or bad {exc}") from exc
        n = len(obj.feature_names)
        if (
            obj.center.shape != (n,)
            or obj.spread.shape != (n,)
            or not (obj.spread > 0).all()
            or obj.threshold is None
            or not obj.threshold > 0
        ):
            raise ParameterError("invalid baseline state: shapes, spreads or threshold")
        obj.is_fitted = True
        return obj
