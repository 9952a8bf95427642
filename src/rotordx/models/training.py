"""The training loop the seed meant to have.

Adam with default settings, cross-entropy, shuffled mini-batches, validation
after *every* epoch, early stopping after ``patience`` epochs without a better
validation accuracy, and the best model (not the last) restored at the end.
Tensors are sliced directly instead of going through ``DataLoader``: same
batches, far less Python overhead per batch.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from rotordx.data.splits import Split
from rotordx.models.train_config import TrainConfig

__all__ = ["History", "fit", "predict_logits", "seed_everything"]


@dataclass
class History:
    """Per-epoch record of a training run (epochs are 1-based)."""

    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    valid_accuracy: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    best_epoch: int = 0
    best_valid_accuracy: float = 0.0
    stopped_early: bool = False

    @property
    def epochs_run(self) -> int:
        """Number of epochs trained."""
        return len(self.train_loss)

    @property
    def seconds(self) -> float:
        """Total training time in seconds."""
        return float(sum(self.epoch_seconds))

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {**asdict(self), "epochs_run": self.epochs_run, "seconds": self.seconds}


def seed_everything(seed: int) -> None:
    """Seed torch's generators (weights init, dropout)."""
    torch.manual_seed(seed)


@torch.inference_mode()
def predict_logits(
    model: nn.Module, X: np.ndarray | torch.Tensor, *, batch_size: int = 50_000
) -> torch.Tensor:
    """Logits of ``model`` in eval mode for all rows of ``X``; restores the previous mode."""
    was_training = model.training
    model.eval()
    X = torch.as_tensor(X, dtype=torch.float32)
    try:
        parts = [model(X[i : i + batch_size]) for i in range(0, X.shape[0], batch_size)]
    finally:
        model.train(was_training)
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def fit(
    model: nn.Module,
    train: Split,
    valid: Split,
    config: TrainConfig | None = None,
    *,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train ``model`` in place and leave it holding its best-validation weights.

    Parameters
    ----------
    model : nn.Module
        Maps (batch, n_features) float32 to (batch, n_classes) logits.
    train, valid : Split
    config : TrainConfig, optional
    on_epoch : callable, optional
        Called as ``on_epoch(epoch, history)`` after every epoch (progress display).

    Returns
    -------
    History
        Losses and accuracy per epoch, the best epoch and whether training
        stopped early.
    """
    config = config or TrainConfig()
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    Xt = torch.as_tensor(train.X, dtype=torch.float32)
    yt = torch.as_tensor(train.y, dtype=torch.int64)
    Xv = torch.as_tensor(valid.X, dtype=torch.float32)
    yv = torch.as_tensor(valid.y, dtype=torch.int64)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    history = History()
    best_state = copy.deepcopy(model.state_dict())
    best_acc = -1.0
    since_best = 0
    n = Xt.shape[0]
    for epoch in range(1, config.max_epochs + 1):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen)
        total, batches = 0.0, 0
        for i in range(0, n, config.batch_size):
            idx = perm[i : i + config.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = criterion(model(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        logits = predict_logits(model, Xv)
        v_loss = criterion(logits, yv).item()
        v_acc = (logits.argmax(1) == yv).double().mean().item()
        history.train_loss.append(total / batches)
        history.valid_loss.append(v_loss)
        history.valid_accuracy.append(v_acc)
        history.epoch_seconds.append(time.perf_counter() - t0)
        if v_acc > best_acc:
            best_acc, since_best = v_acc, 0
            history.best_epoch, history.best_valid_accuracy = epoch, v_acc
            best_state = copy.deepcopy(model.state_dict())
        else:
            since_best += 1
        if on_epoch is not None:
            on_epoch(epoch, history)
        if since_best >= config.patience:
            history.stopped_early = True
            break
    model.load_state_dict(best_state)
    model.eval()
    return history
