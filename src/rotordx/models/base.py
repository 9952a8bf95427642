"""The one interface every rotordx classifier follows, with its checks written once.

A classifier is fitted on :class:`~rotordx.data.splits.Split` arrays,
predicts class probabilities, and turns itself into *state*: a dict of numpy
arrays (saved with safetensors) plus a JSON-able dict. Rebuilding from state
runs no pickled code, whatever the model family (torch, tree ensemble,
MiniRocket, ONNX Runtime).

The public methods are templates (aeon's ``fit`` → ``_fit``): :meth:`fit`
and :meth:`predict_proba` check their inputs and the fitted state, then call
the subclass's :meth:`_fit` / :meth:`_predict_proba`, which hold only the
model's own work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from rotordx.data.splits import Split
from rotordx.exceptions import DataError, ParameterError

__all__ = ["Classifier", "FitInfo"]

FitInfo = dict[str, Any]


class Classifier(ABC):
    """Base class: ``fit``, ``predict_proba``, ``predict``, ``get_state``, ``restore``.

    Instances carry :attr:`name` (the registry name) and :attr:`protocol`
    (``"seed"`` for point-wise inputs of shape (n, n_sensors), ``"window"``
    for windows of shape (n, n_channels, window)).
    """

    #: True for models that need each window's shaft speed (``shaft_hz``).
    needs_speed: ClassVar[bool] = False

    def __init__(self, name: str, protocol: str) -> None:
        self.name = name
        self.protocol = protocol
        self.is_fitted = False

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def create(cls, spec, *, protocol: str, train_config=None, **params: Any) -> Classifier:
        """A fresh classifier for registry entry ``spec`` (its constructor takes ``params``).

        Torch models override this to take ``train_config`` and the network.
        """
        obj = cls(**params)
        obj.name, obj.protocol = spec.name, protocol
        return obj

    @classmethod
    def restore(cls, spec, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Classifier:
        """Rebuild a fitted classifier of registry entry ``spec`` from :meth:`get_state`."""
        obj = cls.from_state(arrays, meta)
        obj.name = spec.name
        return obj

    # -- the templates ----------------------------------------------------------------------

    @property
    def input_ndim(self) -> int:
        """Dimensions of an input batch: 3 for windows, 2 for point-wise samples."""
        return 3 if self.protocol == "window" else 2

    def _check_X(self, X: Any, what: str, *, empty: bool = False) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != self.input_ndim or (X.shape[0] == 0 and not empty):
            shape = "(n, n_channels, window)" if self.input_ndim == 3 else "(n, n_sensors)"
            raise DataError(
                f"{self.name}: {what} must be {'an' if empty else 'a non-empty'} array of "
                f"shape {shape}, got {X.shape}"
            )
        return X

    def fit(
        self, train: Split, valid: Split | None = None, *, seed: int = 0, progress: bool = False
    ) -> FitInfo:
        """Fit on ``train`` (``valid`` for early stopping, or only scored); return info.

        ``valid`` may be None for a model that does not stop early (then its
        info has no validation accuracy).

        Raises
        ------
        DataError
            An empty split, inputs of the wrong shape, or labels that are
            not the class numbers 0 … k-1 of the training split.
        """
        self._check_X(train.X, "training inputs")
        splits = [(train, "training")]
        if valid is not None:
            self._check_X(valid.X, "validation inputs")
            splits.append((valid, "validation"))
        for split, what in splits:
            if len(split.y) != split.X.shape[0]:
                raise DataError(
                    f"{self.name}: {split.X.shape[0]} {what} inputs but {len(split.y)} labels"
                )
        y = np.asarray(train.y)
        if y.dtype.kind not in "iu" or y.min() < 0:
            raise DataError(f"{self.name}: labels must be class numbers 0 … k-1, got {y[:5]}")
        self.is_fitted = False
        info = self._fit(train, valid, seed=seed, progress=progress)
        self.is_fitted = True
        return info

    def predict_proba(
        self,
        X: np.ndarray,
        *,
        shaft_hz: np.ndarray | None = None,
        defect_orders: np.ndarray | None = None,
    ) -> np.ndarray:
        """Class probabilities of shape (n, n_classes).

        ``shaft_hz`` (a scalar or one value per row, Hz) and ``defect_orders``
        (the bearing's defect frequencies per Hz of shaft speed, (4,) or one
        row per input; see :class:`~rotordx.data.splits.Split`) are used by
        models with :attr:`needs_speed` and ignored by the others.
        """
        self._check_fitted()
        return self._predict_proba(
            self._check_X(X, "inputs", empty=True), shaft_hz=shaft_hz, defect_orders=defect_orders
        )

    def predict(
        self,
        X: np.ndarray,
        *,
        shaft_hz: np.ndarray | None = None,
        defect_orders: np.ndarray | None = None,
    ) -> np.ndarray:
        """Most probable class index per row."""
        p = self.predict_proba(X, shaft_hz=shaft_hz, defect_orders=defect_orders)
        return np.asarray(p).argmax(axis=1)

    def predict_proba_split(self, split: Split) -> np.ndarray:
        """Class probabilities of every row of ``split``, with what is known of them."""
        return self.predict_proba(
            split.X, shaft_hz=split.shaft_hz, defect_orders=split.defect_orders
        )

    def predict_split(self, split: Split) -> np.ndarray:
        """Most probable class index of every row of ``split``, with what is known of them."""
        return np.asarray(self.predict_proba_split(split)).argmax(axis=1)

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise ParameterError(f"{type(self).__name__} is not fitted; call fit first")

    # -- what each model supplies -----------------------------------------------------------

    @abstractmethod
    def _fit(self, train: Split, valid: Split | None, *, seed: int, progress: bool) -> FitInfo:
        """The model's own fitting (inputs already checked; ``valid`` may be None)."""

    @abstractmethod
    def _predict_proba(
        self, X: np.ndarray, *, shaft_hz: np.ndarray | None, defect_orders: np.ndarray | None
    ) -> np.ndarray:
        """The model's own probabilities (inputs and fitted state already checked)."""

    @abstractmethod
    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays and JSON metadata that :meth:`from_state` rebuilds the fitted model from."""

    @classmethod
    @abstractmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Classifier:
        """Rebuild a fitted classifier; raise ``ParameterError`` if the state does not fit."""
