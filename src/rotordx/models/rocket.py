"""aeon's MiniRocket + a ridge classifier, the strong general-purpose baseline.

As in aeon's ``MiniRocketClassifier``: MiniRocket features (10,000 by default),
scaled by their standard deviation, then ``RidgeClassifierCV`` over
``alphas = logspace(-3, 3, 10)``. The fitted state is saved as arrays:
MiniRocket's dilations, channel choices and biases, and the ridge weights.
Loading re-creates MiniRocket with the same settings on a tiny dummy input
(which fixes everything but the data-dependent biases), checks that its
structure equals the saved one, then installs the saved biases.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rotordx.data.splits import Split
from rotordx.exceptions import ParameterError
from rotordx.models.base import Classifier, FitInfo
from rotordx.models.registry import missing_extra

__all__ = ["MiniRocketRidge"]

_PARAM_NAMES = ("channel_counts", "channel_indices", "dilations", "features_per_dilation", "biases")


def _softmax(d: np.ndarray) -> np.ndarray:
    e = np.exp(d - d.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class MiniRocketRidge(Classifier):
    """MiniRocket transform + standard-deviation scaling + ridge classifier.

    ``predict_proba`` is the softmax of the ridge decision values: a ranking
    score, not a calibrated probability.
    """

    def __init__(self, *, n_kernels: int = 10_000, threads: int = 1) -> None:
        super().__init__("minirocket", "window")
        self.n_kernels = n_kernels
        self.threads = threads
        self.seed = 0
        self.rocket = None
        self.scale: np.ndarray | None = None
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None

    def _new_rocket(self, seed: int):
        try:  # lazy: aeon (numba) takes seconds to import, and it is optional
            from aeon.transformations.collection.convolution_based import MiniRocket
        except ModuleNotFoundError as exc:
            raise missing_extra(exc, "the minirocket model") from None
        # aeon sets its numba threads from n_jobs
        return MiniRocket(n_kernels=self.n_kernels, random_state=seed, n_jobs=self.threads)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        F = np.asarray(self.rocket.transform(np.asarray(X, dtype=np.float32)), dtype=np.float64)
        return F / self.scale

    def _fit(self, train: Split, valid: Split | None, *, seed: int, progress: bool) -> FitInfo:
        """Fit MiniRocket on the training windows, then the ridge classifier."""
        from sklearn.linear_model import RidgeClassifierCV  # lazy: sklearn imports for seconds

        self.seed = seed
        self.rocket = self._new_rocket(seed)
        self.rocket.fit(np.asarray(train.X, dtype=np.float32))
        F = np.asarray(
            self.rocket.transform(np.asarray(train.X, dtype=np.float32)), dtype=np.float64
        )
        std = F.std(axis=0)
        self.scale = np.where(std > 0, std, 1.0)
        ridge = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)).fit(F / self.scale, train.y)
        self.coef = np.atleast_2d(ridge.coef_).astype(np.float64)
        self.intercept = np.atleast_1d(ridge.intercept_).astype(np.float64)
        va = None
        if valid is not None:
            p = self._predict_proba(valid.X, shaft_hz=None, defect_orders=None)
            va = float((p.argmax(axis=1) == valid.y).mean())
        return {
            "best_valid_accuracy": va,
            "n_features": int(F.shape[1]),
            "alpha": float(ridge.alpha_),
        }

    def _predict_proba(
        self, X: np.ndarray, *, shaft_hz: np.ndarray | None, defect_orders: np.ndarray | None = None
    ) -> np.ndarray:
        """Softmax of the ridge decision values."""
        d = self._transform(X) @ self.coef.T + self.intercept
        if d.shape[1] == 1:  # two classes: one decision value
            d = np.column_stack([-d[:, 0], d[:, 0]])
        return _softmax(d)

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """MiniRocket parameters (``rocket.*``), scaling and ridge weights."""
        self._check_fitted()
        arrays = {
            f"rocket.{n}": np.asarray(p)
            for n, p in zip(_PARAM_NAMES, self.rocket.parameters, strict=True)
        }
        arrays.update({"scale": self.scale, "coef": self.coef, "intercept": self.intercept})
        n_channels, n_timepoints = self._input_shape
        meta = {
            "n_kernels": self.n_kernels,
            "seed": self.seed,
            "n_channels": n_channels,
            "n_timepoints": n_timepoints,
        }
        return arrays, meta

    @property
    def _input_shape(self) -> tuple[int, int]:
        md = self.rocket.metadata_
        return int(md["n_channels"]), int(md["n_timepoints"])

    @classmethod
    def from_state(
        cls, arrays: dict[str, np.ndarray], meta: dict[str, Any], **_: Any
    ) -> MiniRocketRidge:
        """Rebuild MiniRocket's structure from its seed, then install the saved biases."""
        try:
            obj = cls(n_kernels=int(meta["n_kernels"]))
            obj.seed = int(meta["seed"])
            shape = (2, int(meta["n_channels"]), int(meta["n_timepoints"]))
            saved = [np.asarray(arrays[f"rocket.{n}"]) for n in _PARAM_NAMES]
            obj.scale = np.asarray(arrays["scale"], dtype=np.float64)
            obj.coef = np.asarray(arrays["coef"], dtype=np.float64)
            obj.intercept = np.asarray(arrays["intercept"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(f"invalid MiniRocket state: missing or bad {exc}") from exc
        obj.rocket = obj._new_rocket(obj.seed)
        dummy = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        obj.rocket.fit(dummy)
        fresh = obj.rocket.parameters
        for name, a, b in zip(_PARAM_NAMES[:-1], saved[:-1], fresh[:-1], strict=True):
            if a.shape != b.shape or not np.array_equal(a, b):
                raise ParameterError(
                    f"MiniRocket {name} differ from those its seed gives; the state was made "
                    "by another aeon version or has been altered"
                )
        if saved[-1].shape != fresh[-1].shape:
            raise ParameterError(
                f"MiniRocket biases have shape {saved[-1].shape}, expected {fresh[-1].shape}"
            )
        n_feat = saved[-1].shape[0]
        if (
            obj.scale.shape != (n_feat,)
            or obj.coef.shape[1] != n_feat
            or obj.intercept.shape[0] != obj.coef.shape[0]
        ):
            raise ParameterError("MiniRocket ridge weights do not match its feature count")
        obj.rocket.parameters = (*fresh[:-1], saved[-1].astype(fresh[-1].dtype))
        obj.is_fitted = True
        return obj
