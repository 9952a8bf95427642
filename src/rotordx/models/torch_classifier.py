"""Torch networks behind the :class:`~rotordx.models.base.Classifier` interface."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import numpy as np
import torch

from rotordx._progress import epoch_progress
from rotordx.data.splits import Split
from rotordx.exceptions import ParameterError
from rotordx.models.base import Classifier, FitInfo
from rotordx.models.registry import SEED, WINDOW, build_network, get_spec
from rotordx.models.train_config import TrainConfig
from rotordx.models.training import fit, predict_logits

__all__ = ["TorchClassifier"]


class TorchClassifier(Classifier):
    """A registered ``nn.Module`` trained with :func:`rotordx.train.fit`.

    Parameters
    ----------
    name : str
        Registry name of the module (``dnn``, ``cnn``, ``rnn``, ``wdcnn``, ``lstm``).
    protocol : {"seed", "window"}
    module_args : dict, optional
        Constructor arguments of the module.
    train_config : TrainConfig, optional
    standardize : bool
        Standardise every input channel with the training split's mean and
        standard deviation (stored in the state). The seed protocol's inputs
        are already min-max scaled, so it does not.
    """

    def __init__(
        self,
        name: str,
        *,
        protocol: str,
        module_args: dict | None = None,
        train_config=None,
        standardize: bool = False,
    ) -> None:
        super().__init__(name, protocol)
        self.module_args = dict(module_args or {})
        self.train_config = train_config or TrainConfig()
        self.standardize = standardize
        self.module = None
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        # a seed (point-wise) network on windows: trained on the windows' instants,
        # a window's probabilities are the mean over its instants
        self.pointwise = protocol == WINDOW and get_spec(name).protocol == SEED

    @classmethod
    def create(
        cls, spec, *, protocol: str, train_config: TrainConfig | None = None, **params: Any
    ) -> TorchClassifier:
        """A network of registry entry ``spec``; ``params`` are its constructor arguments.

        Windows are standardised per channel (the seed's inputs are min-max
        scaled already).
        """
        return cls(
            spec.name,
            protocol=protocol,
            module_args=params or None,
            train_config=train_config,
            standardize=protocol == WINDOW,
        )

    @classmethod
    def restore(cls, spec, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> TorchClassifier:
        """Rebuild from :meth:`get_state` (the protocol is in ``meta``)."""
        protocol = str(meta.get("protocol", spec.protocol))
        return cls.from_state(arrays, meta, name=spec.name, protocol=protocol)

    #: Point-wise training on windows uses at most this many instants (the seed's 240,000).
    max_instants = 240_000

    def _instants(self, split: Split, rng: np.random.Generator, limit: int) -> Split:
        n, c, w = split.X.shape
        X = split.X.transpose(0, 2, 1).reshape(n * w, c)
        y = np.repeat(split.y, w)
        if len(y) > limit:
            idx = np.sort(rng.choice(len(y), size=limit, replace=False))
            X, y = X[idx], y[idx]
        return Split(np.ascontiguousarray(X), y)

    # -- input normalisation ------------------------------------------------------------
    def _fit_norm(self, X: np.ndarray) -> None:
        if not self.standardize:
            return
        axes = (0, 2) if X.ndim == 3 else (0,)
        self.mean = X.mean(axis=axes, dtype=np.float64).astype(np.float32)
        std = X.std(axis=axes, dtype=np.float64).astype(np.float32)
        self.std = np.where(std > 0, std, 1.0).astype(np.float32)

    def _norm(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if not self.standardize:
            return X
        shape = (1, -1, 1) if X.ndim == 3 else (1, -1)
        return (X - self.mean.reshape(shape)) / self.std.reshape(shape)

    # -- Classifier API ---------------------------------------------------------------------
    def _fit(self, train: Split, valid: Split | None, *, seed: int, progress: bool) -> FitInfo:
        """Train with early stopping on ``valid``; keep the best epoch's weights."""
        if valid is None:
            raise ParameterError(
                f"{self.name} stops its training early: it needs validation windows"
            )
        cfg = replace(self.train_config, seed=seed)  # one seed for weights, batches, dropout
        self.train_config = cfg
        if self.pointwise:
            rng = np.random.default_rng(seed)
            train = self._instants(train, rng, self.max_instants)
            valid = self._instants(valid, rng, self.max_instants // 3)
        n_in = train.X.shape[1]
        n_classes = int(max(train.y.max(), valid.y.max())) + 1
        key = "n_channels" if self.protocol == WINDOW and not self.pointwise else "n_inputs"
        # the data decides the input and output sizes, also when refitting on other data
        self.module_args = {**self.module_args, key: int(n_in), "n_classes": n_classes}
        self.module = build_network(self.name, seed=seed, **self.module_args)
        self._fit_norm(train.X)
        tr = Split(self._norm(train.X), train.y)
        va = Split(self._norm(valid.X), valid.y)
        with epoch_progress(f"train {self.name}", total=cfg.max_epochs, enabled=progress) as cb:
            history = fit(self.module, tr, va, cfg, on_epoch=cb)
        return {
            "epochs_run": history.epochs_run,
            "best_epoch": history.best_epoch,
            "best_valid_accuracy": history.best_valid_accuracy,
            "stopped_early": history.stopped_early,
            "history": {
                "train_loss": history.train_loss,
                "valid_loss": history.valid_loss,
                "valid_accuracy": history.valid_accuracy,
            },
            "epoch_seconds": history.epoch_seconds,
        }

    def _predict_proba(
        self, X: np.ndarray, *, shaft_hz: np.ndarray | None, defect_orders: np.ndarray | None = None
    ) -> np.ndarray:
        """Softmax of the network's logits."""
        if self.pointwise:
            X = np.asarray(X, dtype=np.float32)
            n, c, w = X.shape
            flat = X.transpose(0, 2, 1).reshape(n * w, c)
            p = torch.softmax(predict_logits(self.module, self._norm(flat)), dim=1).numpy()
            return p.reshape(n, w, -1).mean(axis=1)
        logits = predict_logits(self.module, self._norm(X))
        return torch.softmax(logits, dim=1).numpy()

    def n_parameters(self) -> int:
        """Trainable parameters of the network."""
        return sum(p.numel() for p in self.module.parameters() if p.requires_grad)

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Module weights (``module.*``) and normalisation (``norm.*``)."""
        self._check_fitted()
        arrays = {
            f"module.{k}": v.detach().cpu().numpy() for k, v in self.module.state_dict().items()
        }
        if self.standardize:
            arrays["norm.mean"], arrays["norm.std"] = self.mean, self.std
        meta = {
            "protocol": self.protocol,
            "module_args": self.module_args,
            "standardize": self.standardize,
            "train_config": asdict(self.train_config),
        }
        return arrays, meta

    @classmethod
    def from_state(
        cls,
        arrays: dict[str, np.ndarray],
        meta: dict[str, Any],
        *,
        name: str = "",
        protocol: str = "",
    ) -> TorchClassifier:
        """Rebuild the module and load its weights, checking every tensor's name and shape."""
        try:
            obj = cls(
                name,
                protocol=protocol,
                module_args=dict(meta["module_args"]),
                standardize=bool(meta["standardize"]),
            )
        except (KeyError, TypeError) as exc:
            raise ParameterError(f"invalid metadata for model {name!r}: {exc}") from exc
        obj.module = build_network(name, **obj.module_args)
        expected = obj.module.state_dict()
        state = {k[len("module.") :]: v for k, v in arrays.items() if k.startswith("module.")}
        missing = sorted(set(expected) - set(state))
        unexpected = sorted(set(state) - set(expected))
        if missing or unexpected:
            raise ParameterError(
                f"weights do not fit model {name!r} (missing: {missing[:5]}, "
                f"unexpected: {unexpected[:5]})"
            )
        for key, tensor in expected.items():
            if tuple(state[key].shape) != tuple(tensor.shape):
                raise ParameterError(
                    f"tensor {key!r} has shape {tuple(state[key].shape)}, model {name!r} "
                    f"expects {tuple(tensor.shape)}"
                )
        obj.module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
        obj.module.eval()
        if obj.standardize:
            try:
                obj.mean = np.asarray(arrays["norm.mean"], dtype=np.float32)
                obj.std = np.asarray(arrays["norm.std"], dtype=np.float32)
            except KeyError as exc:
                raise ParameterError(f"normalisation tensor {exc} is missing") from exc
            n_in = obj.module_args.get("n_channels", obj.module_args.get("n_inputs"))
            for label, arr in (("norm.mean", obj.mean), ("norm.std", obj.std)):
                if arr.shape != (n_in,):
                    raise ParameterError(
                        f"tensor {label!r} has shape {arr.shape}, expected ({n_in},)"
                    )
        obj.is_fitted = True
        return obj
