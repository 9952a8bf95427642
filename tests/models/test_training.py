"""The training loop: validation every epoch, early stopping, best model restored, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.data.splits import Split
from rotordx.exceptions import ParameterError
from rotordx.models.registry import build_network
from rotordx.models.train_config import TrainConfig
from rotordx.models.training import fit, predict_logits


def _blobs(n, seed, spread=0.35):
    rng = np.random.default_rng(seed)
    centers = np.eye(4, dtype=np.float32)
    y = rng.integers(0, 4, n)
    X = centers[y] + spread * rng.standard_normal((n, 4)).astype(np.float32)
    return Split(X=X.astype(np.float32), y=y.astype(np.int64))


def _acc(model, split):
    return float((predict_logits(model, split.X).argmax(1).numpy() == split.y).mean())


def test_learns_and_records_every_epoch():
    tr, va = _blobs(4000, 0), _blobs(1000, 1)
    m = build_network("dnn")
    h = fit(m, tr, va, TrainConfig(max_epochs=15, patience=15, batch_size=500, threads=1))
    assert h.epochs_run == 15
    assert len(h.train_loss) == len(h.valid_loss) == len(h.valid_accuracy) == 15
    assert h.train_loss[-1] < h.train_loss[0]
    assert h.best_valid_accuracy > 0.9
    assert _acc(m, va) == pytest.approx(h.best_valid_accuracy)


def test_early_stopping_restores_best_not_last():
    tr, va = _blobs(2000, 0, spread=0.9), _blobs(1000, 1, spread=0.9)
    m = build_network("dnn")
    # a large learning rate makes validation accuracy jump around
    cfg = TrainConfig(max_epochs=200, patience=4, batch_size=250, lr=0.05, threads=1)
    h = fit(m, tr, va, cfg)
    assert h.stopped_early
    assert h.epochs_run == h.best_epoch + cfg.patience < 200
    assert h.best_valid_accuracy == max(h.valid_accuracy)
    assert h.valid_accuracy[h.best_epoch - 1] == h.best_valid_accuracy
    assert _acc(m, va) == pytest.approx(h.best_valid_accuracy)  # best weights restored


@pytest.mark.parametrize("name", ["dnn", "cnn", "rnn"])
def test_same_seed_same_numbers(name):
    tr, va = _blobs(1500, 0), _blobs(500, 1)
    runs = []
    for seed in (3, 3, 4):
        m = build_network(name, seed=seed)
        h = fit(
            m, tr, va, TrainConfig(max_epochs=3, patience=3, batch_size=500, seed=seed, threads=1)
        )
        runs.append((h.train_loss, h.valid_loss, h.valid_accuracy))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


@pytest.mark.parametrize("field", ["max_epochs", "patience", "batch_size", "threads"])
def test_config_validation(field):
    with pytest.raises(ParameterError, match=field):
        TrainConfig(**{field: 0})
