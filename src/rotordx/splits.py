"""Train / validation / test splits."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from rotordx.exceptions import DataError, ParameterError

__all__ = ["SEED_SPLIT", "Split", "seed_split"]

#: The seed's per-class split sizes: consecutive train / valid / test samples.
SEED_SPLIT: tuple[int, int, int] = (60_000, 20_000, 20_000)


@dataclass(frozen=True)
class Split:
    """Arrays of one split: inputs ``X`` (n, n_features) float32 and labels ``y`` (n,) int64.

    ``shaft_hz`` (n,) is the shaft speed of each row's recording in Hz
    (rpm / 60; NaN where unknown), or None when no recording had one. Models
    that read bearing defect frequencies need it; the others ignore it.
    """

    X: np.ndarray
    y: np.ndarray
    shaft_hz: np.ndarray | None = None

    def take(self, idx: np.ndarray) -> Split:
        """The rows ``idx``, speed included."""
        speed = None if self.shaft_hz is None else self.shaft_hz[idx]
        return Split(X=self.X[idx], y=self.y[idx], shaft_hz=speed)

    def __len__(self) -> int:
        return int(self.y.shape[0])


def seed_split(
    signals: np.ndarray,
    *,
    sizes: tuple[int, int, int] = SEED_SPLIT,
    seed: int = 0,
) -> tuple[Split, Split, Split]:
    """The seed's point-wise split of per-class signals.

    For every class, samples ``[0, a)`` go to train, ``[a, a+b)`` to
    validation and ``[a+b, a+b+c)`` to test, where ``(a, b, c) = sizes``;
    the label of a class is its index. Each split is then shuffled with a
    generator seeded by ``seed``.

    Parameters
    ----------
    signals : np.ndarray [shape=(n_classes, n, n_features)]
    sizes : (int, int, int)
        Samples per class in train, validation and test.
    seed : int

    Raises
    ------
    DataError
        If a class has fewer than ``sum(sizes)`` samples.
    """
    if len(sizes) != 3 or any(int(s) <= 0 for s in sizes):
        raise ParameterError(f"split sizes must be three positive integers, got {sizes!r}")
    n_cls, n, _ = signals.shape
    if n < sum(sizes):
        raise DataError(
            f"each class has {n} samples; the split {sizes[0]}/{sizes[1]}/{sizes[2]} needs "
            f"{sum(sizes)}. Record longer, or pass smaller sizes (e.g. --split "
            f"{int(n * 0.6)},{int(n * 0.2)},{int(n * 0.2)})"
        )
    rng = np.random.default_rng(seed)
    bounds = np.cumsum((0, *sizes))
    out = []
    for a, b in itertools.pairwise(bounds):
        X = signals[:, a:b].reshape(n_cls * (b - a), -1).astype(np.float32)
        y = np.repeat(np.arange(n_cls, dtype=np.int64), b - a)
        idx = rng.permutation(y.shape[0])
        out.append(Split(X=X[idx], y=y[idx]))
    return out[0], out[1], out[2]
