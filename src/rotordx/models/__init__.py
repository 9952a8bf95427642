"""Models, by name.

Seed (point-wise) networks
--------------------------
    KAMP_DNN, KAMP_CNN, KAMP_RNN

Window networks
---------------
    WDCNN, WindowLSTM

Classifiers (the common fit / predict_proba / state interface)
--------------------------------------------------------------
    make_classifier, classifier_from_state
    TorchClassifier, FeatureForest, BearingForest, MiniRocketRidge

Registry
--------
    MODULES          name -> nn.Module class
    SEED_MODELS, WINDOW_MODELS, MODEL_NAMES

The torch networks (and torch itself) are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from rotordx.exceptions import ParameterError

__all__ = [
    "KAMP_CNN",
    "KAMP_DNN",
    "KAMP_RNN",
    "MODEL_NAMES",
    "MODULES",
    "SEED_MODELS",
    "WDCNN",
    "WINDOW_MODELS",
    "WindowLSTM",
    "build_model",
    "check_protocol",
    "classifier_from_state",
    "count_parameters",
    "default_train_config",
    "make_classifier",
    "protocol_of",
]

#: Where each torch network class lives. They are imported on first use (PEP 562),
#: so that the registry, the forests and ONNX Runtime models work without importing
#: torch (about 2 s).
_NETWORKS: dict[str, tuple[str, str]] = {
    "dnn": ("rotordx.models.seed", "KAMP_DNN"),
    "cnn": ("rotordx.models.seed", "KAMP_CNN"),
    "rnn": ("rotordx.models.seed", "KAMP_RNN"),
    "wdcnn": ("rotordx.models.windowed", "WDCNN"),
    "lstm": ("rotordx.models.windowed", "WindowLSTM"),
}
#: The seed's point-wise models (seed protocol).
SEED_MODELS: tuple[str, ...] = ("dnn", "cnn", "rnn")
#: Models of the windowed protocol.
WINDOW_MODELS: tuple[str, ...] = ("features", "bearing", "wdcnn", "lstm", "minirocket")
#: Every name ``rotordx train --model`` accepts.
MODEL_NAMES: tuple[str, ...] = (*WINDOW_MODELS, *SEED_MODELS)


def _network(name: str) -> type:
    module, cls = _NETWORKS[name]
    return getattr(importlib.import_module(module), cls)


def __getattr__(attr: str) -> Any:
    """The torch network classes, ``MODULES`` (name -> class) and ``MODELS`` (seed ones)."""
    for name, (_, cls) in _NETWORKS.items():
        if attr == cls:
            return _network(name)
    if attr == "MODULES":
        return {name: _network(name) for name in _NETWORKS}
    if attr == "MODELS":  # kept for the seed models' registry API
        return {name: _network(name) for name in SEED_MODELS}
    raise AttributeError(f"module 'rotordx.models' has no attribute {attr!r}")


def _check_name(name: str, names) -> None:
    if name not in names:
        raise ParameterError(f"unknown model {name!r}; expected one of {', '.join(names)}")


def build_model(name: str, *, seed: int | None = None, **kwargs: Any):
    """Instantiate the torch network registered as ``name`` with constructor ``kwargs``.

    With ``seed``, torch's generator is seeded first, so the initial weights
    are reproducible.
    """
    _check_name(name, tuple(_NETWORKS))
    if seed is not None:
        import torch

        torch.manual_seed(seed)
    try:
        return _network(name)(**kwargs)
    except TypeError as exc:
        raise ParameterError(f"invalid arguments for model {name!r}: {exc}") from exc


def count_parameters(model) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def protocol_of(name: str) -> str:
    """The protocol a model is trained under: ``"seed"`` or ``"window"``."""
    _check_name(name, MODEL_NAMES)
    return "seed" if name in SEED_MODELS else "window"


def check_protocol(name: str, protocol: str | None = None) -> str:
    """The protocol ``name`` runs under (``protocol`` if given and valid, else its own)."""
    _check_name(name, MODEL_NAMES)
    protocol = protocol or protocol_of(name)
    if protocol not in ("seed", "window"):
        raise ParameterError(f"protocol must be 'seed' or 'window', got {protocol!r}")
    if protocol == "seed" and name not in SEED_MODELS:
        raise ParameterError(
            f"model {name!r} classifies windows; the seed (point-wise) protocol applies to "
            f"{', '.join(SEED_MODELS)} only"
        )
    return protocol


def default_train_config(name: str, **overrides: Any):
    """Training settings for a torch model: the seed's for seed models, window defaults else.

    Window networks train on a few thousand windows: batches of 64, at most
    60 epochs, patience 10.
    """
    from rotordx.train import TrainConfig

    base: dict[str, Any] = {}
    if protocol_of(name) == "window":
        base = {"batch_size": 64, "max_epochs": 60, "patience": 10}
    base.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**base)


def make_classifier(
    name: str,
    *,
    protocol: str | None = None,
    train_config=None,
    fs: float = 1000.0,
    **params: Any,
):
    """A fresh, unfitted classifier for ``name`` (see :data:`MODEL_NAMES`).

    ``protocol`` overrides the model's own (:func:`protocol_of`): a seed model
    under ``"window"`` is trained on the instants of the training windows and
    classifies a window by its mean per-instant probabilities. Window models
    need windows; ``"seed"`` is refused for them.
    """
    protocol = check_protocol(name, protocol)
    if name == "features":
        from rotordx.models.forest import FeatureForest

        return FeatureForest(fs=fs, **params)
    if name == "bearing":
        from rotordx.models.bearing import BearingForest

        return BearingForest(fs=fs, **params)
    if name == "minirocket":
        from rotordx.models.rocket import MiniRocketRidge

        return MiniRocketRidge(**params)
    from rotordx.models.torch_classifier import TorchClassifier

    return TorchClassifier(
        name,
        protocol=protocol,
        module_args=params or None,
        train_config=train_config or default_train_config(name),
        standardize=protocol == "window",
    )


def classifier_from_state(name: str, arrays: dict, meta: dict):
    """Rebuild a fitted classifier saved by :meth:`Classifier.get_state`."""
    _check_name(name, MODEL_NAMES)
    if name == "features":
        from rotordx.models.forest import FeatureForest

        return FeatureForest.from_state(arrays, meta)
    if name == "bearing":
        from rotordx.models.bearing import BearingForest

        return BearingForest.from_state(arrays, meta)
    if name == "minirocket":
        from rotordx.models.rocket import MiniRocketRidge

        return MiniRocketRidge.from_state(arrays, meta)
    from rotordx.models.torch_classifier import TorchClassifier

    protocol = str(meta.get("protocol", protocol_of(name)))
    return TorchClassifier.from_state(arrays, meta, name=name, protocol=protocol)
