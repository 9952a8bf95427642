"""Scores of a classifier: accuracy, macro-F1, confusion matrix, per-class recall."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rotordx.exceptions import ParameterError

__all__ = ["Scores", "score_predictions"]


@dataclass(frozen=True)
class Scores:
    """Classification scores.

    Attributes
    ----------
    classes : tuple of str
    accuracy : float
    macro_f1 : float
    confusion_matrix : list of list of int
        ``confusion_matrix[i][j]`` counts samples of true class ``i`` predicted as ``j``.
    n_samples : int
    """

    classes: tuple[str, ...]
    accuracy: float
    macro_f1: float
    confusion_matrix: list[list[int]]
    n_samples: int

    @property
    def per_class_recall(self) -> dict[str, float | None]:
        """Fraction of each true class that was recognised (``None`` for an absent class).

        ``None`` rather than NaN, so that the JSON output stays valid JSON.
        """
        cm = np.asarray(self.confusion_matrix, dtype=float)
        rows = cm.sum(axis=1)
        return {
            c: (float(cm[i, i] / rows[i]) if rows[i] > 0 else None)
            for i, c in enumerate(self.classes)
        }

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "classes": list(self.classes),
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "confusion_matrix": self.confusion_matrix,
            "per_class_recall": self.per_class_recall,
            "n_samples": self.n_samples,
        }


def score_predictions(y_true: np.ndarray, y_pred: np.ndarray, *, classes: Sequence[str]) -> Scores:
    """Score integer predictions against integer labels ``0 … len(classes) - 1``."""
    from sklearn.metrics import confusion_matrix, f1_score  # lazy: heavy import

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or y_true.size == 0:
        raise ParameterError(
            f"need equal-length non-empty label vectors, got {y_true.shape} and {y_pred.shape}"
        )
    labels = np.arange(len(classes))
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    present = np.unique(y_true)
    return Scores(
        classes=tuple(classes),
        accuracy=float((y_true == y_pred).mean()),
        macro_f1=float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)),
        confusion_matrix=cm.astype(int).tolist(),
        n_samples=int(y_true.size),
    )
