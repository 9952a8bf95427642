"""Training settings of the torch models (no torch needed to read or write them)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rotordx.exceptions import ParameterError

__all__ = ["TrainConfig"]


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; the defaults are the seed's."""

    max_epochs: int = 1000  # the seed's num_epochs
    patience: int = 50  # epochs without a better validation accuracy before stopping
    batch_size: int = 5000  # the seed's training batch
    lr: float = 1e-3  # Adam's default learning rate, as in the seed
    seed: int = 0  # weights, dropout and batch order
    threads: int = 1  # torch intra-op threads; 1 is fastest for these small models on 2 cores

    def __post_init__(self) -> None:
        for name in ("max_epochs", "patience", "batch_size", "threads"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ParameterError(f"{name} must be a positive integer, got {v!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ParameterError(f"lr must be a positive number, got {self.lr!r}")
