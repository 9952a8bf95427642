"""Models, by name.

Seed (point-wise) models
------------------------
    KAMP_DNN
    KAMP_CNN
    KAMP_RNN

Registry
--------
    MODELS      name -> class
    build_model
"""

from __future__ import annotations

from typing import Any

from rotordx.exceptions import ParameterError
from rotordx.models.seed import KAMP_CNN, KAMP_DNN, KAMP_RNN

__all__ = ["KAMP_CNN", "KAMP_DNN", "KAMP_RNN", "MODELS", "build_model", "count_parameters"]

#: Model names accepted by ``rotordx train --model``.
MODELS: dict[str, type] = {"dnn": KAMP_DNN, "cnn": KAMP_CNN, "rnn": KAMP_RNN}


def build_model(name: str, *, seed: int | None = None, **kwargs: Any):
    """Instantiate the model registered as ``name`` with constructor ``kwargs``.

    With ``seed``, torch's generator is seeded first, so the initial weights
    are reproducible.
    """
    try:
        cls = MODELS[name]
    except KeyError:
        raise ParameterError(
            f"unknown model {name!r}; expected one of {', '.join(MODELS)}"
        ) from None
    if seed is not None:
        import torch

        torch.manual_seed(seed)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ParameterError(f"invalid arguments for model {name!r}: {exc}") from exc


def count_parameters(model) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
