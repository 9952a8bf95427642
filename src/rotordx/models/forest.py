"""Random forest on physics features, saved as plain arrays and predicted with numpy.

scikit-learn's own persistence is pickle. Here the fitted trees are exported
as flat arrays (children, split feature, threshold, leaf class shares) that
go into safetensors; a vectorised numpy traversal reproduces
``RandomForestClassifier.predict_proba`` exactly, so loading a model runs no
code and does not even need scikit-learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rotordx.data.splits import Split
from rotordx.exceptions import DataError, ParameterError
from rotordx.features.extract import extract_features
from rotordx.models.base import Classifier, FitInfo

__all__ = ["FeatureForest", "forest_predict_proba", "forest_to_arrays"]

_KEYS = ("left", "right", "feature", "threshold", "value", "roots")


def forest_to_arrays(forest) -> dict[str, np.ndarray]:
    """Flatten a fitted scikit-learn forest of classification trees into arrays.

    Node ``i`` of tree ``t`` becomes global node ``roots[t] + i``; leaves have
    ``left == right == -1``; ``value`` holds each node's class shares.
    """
    parts: dict[str, list[np.ndarray]] = {k: [] for k in _KEYS}
    offset = 0
    for est in forest.estimators_:
        tree = est.tree_
        left = tree.children_left.astype(np.int64)
        right = tree.children_right.astype(np.int64)
        leaf = left < 0
        parts["left"].append(np.where(leaf, -1, left + offset))
        parts["right"].append(np.where(leaf, -1, right + offset))
        parts["feature"].append(np.where(leaf, 0, tree.feature).astype(np.int64))
        parts["threshold"].append(tree.threshold.astype(np.float64))
        # scikit-learn >= 1.4 stores class fractions already; keep them bit for bit
        value = tree.value[:, 0, :].astype(np.float64)
        total = value.sum(axis=1, keepdims=True)
        if not np.allclose(total, 1.0):
            value = value / total
        parts["value"].append(value)
        parts["roots"].append(np.array([offset], dtype=np.int64))
        offset += tree.node_count
    return {k: np.concatenate(v) for k, v in parts.items()}


def forest_predict_proba(arrays: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """Class probabilities: the mean over trees of the reached leaf's class shares.

    Inputs are compared as float32 (what scikit-learn's trees do), so the
    result equals ``RandomForestClassifier.predict_proba``.
    """
    X = np.asarray(X, dtype=np.float32).astype(np.float64)
    left, right, feature, threshold = (arrays[k] for k in ("left", "right", "feature", "threshold"))
    nodes = np.repeat(arrays["roots"][None, :], X.shape[0], axis=0)
    rows = np.arange(X.shape[0])[:, None]
    for _ in range(left.shape[0]):
        inner = left[nodes] >= 0
        if not inner.any():
            break
        go_left = X[rows, feature[nodes]] <= threshold[nodes]
        nodes = np.where(inner, np.where(go_left, left[nodes], right[nodes]), nodes)
    # accumulate tree by tree, then divide: scikit-learn's order of operations
    leaf_values = arrays["value"][nodes]  # (n, n_trees, n_classes)
    proba = np.zeros((X.shape[0], leaf_values.shape[2]))
    for t in range(leaf_values.shape[1]):
        proba += leaf_values[:, t]
    return proba / leaf_values.shape[1]


class FeatureForest(Classifier):
    """Physics features (:func:`rotordx.features.extract_features`) + a random forest.

    Parameters
    ----------
    fs : float
        Sample rate of the windows in Hz.
    n_estimators, max_depth, min_samples_leaf :
        Forest settings (scikit-learn's meaning).
    rpm_hint : float, optional
        Passed to the speed estimator.
    threads : int
        Trees fitted in parallel (the forest is the same for any number).
    """

    def __init__(
        self,
        *,
        fs: float = 1000.0,
        n_estimators: int = 300,
        max_depth: int | None = None,
        min_samples_leaf: int = 1,
        rpm_hint: float | None = None,
        class_weight: str | None = None,
        threads: int = 1,
    ) -> None:
        super().__init__("features", "window")
        self.threads = threads
        self.fs = float(fs)
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.rpm_hint = rpm_hint
        self.class_weight = class_weight
        self.arrays: dict[str, np.ndarray] | None = None
        self.feature_names: list[str] = []
        self.importances: np.ndarray | None = None

    def features(
        self,
        X: np.ndarray,
        shaft_hz: np.ndarray | None = None,
        defect_orders: np.ndarray | None = None,
    ) -> np.ndarray:
        """The physics feature matrix of windows ``X`` (n, n_channels, window).

        The running speed is estimated from each window (``shaft_hz`` and
        ``defect_orders`` unused).
        """
        F, names = extract_features(
            np.asarray(X, dtype=np.float64), fs=self.fs, rpm_hint=self.rpm_hint
        )
        return self._checked(F, names)

    def _checked(self, F: np.ndarray, names: list[str]) -> np.ndarray:
        if self.feature_names and names != self.feature_names:
            raise DataError("feature names differ from those the forest was trained on")
        self.feature_names = list(names)
        if not np.isfinite(F).all():
            raise DataError("physics features contain NaN or infinite values")
        return F

    def _fit(self, train: Split, valid: Split | None, *, seed: int, progress: bool) -> FitInfo:
        """Extract features and fit the forest (``valid`` is scored, not used for fitting)."""
        from sklearn.ensemble import RandomForestClassifier  # lazy: sklearn imports for seconds

        self.feature_names = []  # a refit (other channels) names its features anew
        F = self.features(train.X, train.shaft_hz, train.defect_orders)
        rf = RandomForestClassifier(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            class_weight=self.class_weight,
            random_state=seed,
            n_jobs=self.threads,  # the trees are the same whatever the threads
        )
        rf.fit(F, train.y)
        if not np.array_equal(rf.classes_, np.arange(len(rf.classes_))):
            raise DataError(f"training labels must be 0..k-1, got {rf.classes_.tolist()}")
        self.arrays = forest_to_arrays(rf)
        self.importances = rf.feature_importances_.astype(np.float64)
        va = None
        if valid is not None:
            p = self._predict_proba(
                np.asarray(valid.X), shaft_hz=valid.shaft_hz, defect_orders=valid.defect_orders
            )
            va = float((p.argmax(axis=1) == valid.y).mean())
        return {"best_valid_accuracy": va, "n_features": F.shape[1]}

    def _predict_proba(
        self, X: np.ndarray, *, shaft_hz: np.ndarray | None, defect_orders: np.ndarray | None = None
    ) -> np.ndarray:
        """Forest class shares for windows ``X``."""
        return forest_predict_proba(self.arrays, self.features(X, shaft_hz, defect_orders))

    def top_features(self, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` most important features (mean decrease in impurity)."""
        self._check_fitted()
        order = np.argsort(self.importances)[::-1][:k]
        return [(self.feature_names[i], float(self.importances[i])) for i in order]

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Tree arrays (``tree.*``) and importances."""
        self._check_fitted()
        arrays = {f"tree.{k}": v for k, v in self.arrays.items()}
        arrays["importances"] = self.importances
        meta = {
            "fs": self.fs,
            "n_estimators": self.n_estimators,
            "max_depth": self.max_depth,
            "min_samples_leaf": self.min_samples_leaf,
            "rpm_hint": self.rpm_hint,
            "class_weight": self.class_weight,
            "feature_names": self.feature_names,
        }
        return arrays, meta

    @classmethod
    def _from_meta(cls, meta: dict[str, Any]) -> FeatureForest:
        return cls(
            fs=meta["fs"],
            n_estimators=meta["n_estimators"],
            max_depth=meta["max_depth"],
            min_samples_leaf=meta["min_samples_leaf"],
            rpm_hint=meta["rpm_hint"],
            class_weight=meta.get("class_weight"),
        )

    @classmethod
    def from_state(
        cls, arrays: dict[str, np.ndarray], meta: dict[str, Any], **_: Any
    ) -> FeatureForest:
        """Rebuild from tree arrays, checking that they form a valid forest."""
        try:
            obj = cls._from_meta(meta)
            obj.feature_names = [str(n) for n in meta["feature_names"]]
            obj.arrays = {k: np.asarray(arrays[f"tree.{k}"]) for k in _KEYS}
            obj.importances = np.asarray(arrays["importances"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(f"invalid forest state: missing or bad {exc}") from exc
        a = obj.arrays
        n = a["left"].shape[0]
        ok = (
            all(a[k].shape[0] == n for k in ("right", "feature", "threshold", "value"))
            and a["value"].ndim == 2
            and ((a["left"] >= -1) & (a["left"] < n)).all()
            and ((a["right"] >= -1) & (a["right"] < n)).all()
            and ((a["feature"] >= 0) & (a["feature"] < len(obj.feature_names))).all()
            and ((a["roots"] >= 0) & (a["roots"] < n)).all()
            and len(obj.importances) == len(obj.feature_names)
        )
        if not ok:
            raise ParameterError("forest arrays are inconsistent (node indices or shapes)")
        obj.is_fitted = True
        return obj
