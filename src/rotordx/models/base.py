"""The one interface every rotordx classifier follows.

A classifier is fitted on :class:`~rotordx.splits.Split` arrays, predicts class
probabilities, and turns itself into *state*: a dict of numpy arrays (saved
with safetensors) plus a JSON-able dict. Rebuilding from state runs no
pickled code, whatever the model family (torch, tree ensemble, MiniRocket).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from rotordx.exceptions import ParameterError
from rotordx.splits import Split

__all__ = ["Classifier", "FitInfo"]

FitInfo = dict[str, Any]


class Classifier(ABC):
    """Base class: ``fit``, ``predict_proba``, ``predict``, ``get_state``, ``from_state``.

    Instances carry :attr:`name` (the registry name) and :attr:`protocol`
    (``"seed"`` for point-wise inputs of shape (n, n_sensors), ``"window"``
    for windows of shape (n, n_channels, window)).
    """

    def __init__(self, name: str, protocol: str) -> None:
        self.name = name
        self.protocol = protocol
        self.is_fitted = False

    @abstractmethod
    def fit(self, train: Split, valid: Split, *, seed: int = 0, progress: bool = False) -> FitInfo:
        """Fit on ``train`` (``valid`` for early stopping / model selection); return info."""

    #: True for models that need each window's shaft speed (``shaft_hz``).
    needs_speed: bool = False

    @abstractmethod
    def predict_proba(self, X: np.ndarray, *, shaft_hz: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities of shape (n, n_classes).

        ``shaft_hz`` (a scalar or one value per row, Hz) is used by models
        with :attr:`needs_speed` and ignored by the others.
        """

    def predict(self, X: np.ndarray, *, shaft_hz: np.ndarray | None = None) -> np.ndarray:
        """Most probable class index per row."""
        return np.asarray(self.predict_proba(X, shaft_hz=shaft_hz)).argmax(axis=1)

    @abstractmethod
    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays and JSON metadata that :meth:`from_state` rebuilds the fitted model from."""

    @classmethod
    @abstractmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Classifier:
        """Rebuild a fitted classifier; raise ``ParameterError`` if the state does not fit."""

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise ParameterError(f"{type(self).__name__} is not fitted; call fit first")
