"""The seed's per-class consecutive 60k/20k/20k split."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.data.seed import SEED_SPLIT, seed_split
from rotordx.exceptions import DataError


def _signals(n_cls=4, n=1000):
    # value = class * 1e6 + time index, so every sample tells where it came from
    idx = np.arange(n)[None, :, None] + 1e6 * np.arange(n_cls)[:, None, None]
    return np.repeat(idx, 2, axis=2)


def test_sizes_blocks_and_labels():
    tr, va, te = seed_split(_signals(), sizes=(600, 200, 200), seed=0)
    assert (len(tr), len(va), len(te)) == (2400, 800, 800)
    for split, (lo, hi) in zip((tr, va, te), ((0, 600), (600, 800), (800, 1000)), strict=True):
        cls = (split.X[:, 0] // 1e6).astype(int)
        pos = split.X[:, 0] - 1e6 * cls
        np.testing.assert_array_equal(cls, split.y)
        assert pos.min() >= lo and pos.max() < hi
        assert np.bincount(split.y).tolist() == [hi - lo] * 4
        assert split.X.dtype == np.float32 and split.y.dtype == np.int64


def test_shuffled_and_deterministic():
    a = seed_split(_signals(), sizes=(600, 200, 200), seed=0)
    b = seed_split(_signals(), sizes=(600, 200, 200), seed=0)
    c = seed_split(_signals(), sizes=(600, 200, 200), seed=1)
    np.testing.assert_array_equal(a[0].X, b[0].X)
    assert not np.array_equal(a[0].X, c[0].X)
    assert not np.all(np.diff(a[0].y) >= 0)  # not sorted by class any more


def test_seed_sizes_and_insufficient_data():
    assert SEED_SPLIT == (60_000, 20_000, 20_000)
    with pytest.raises(DataError, match=r"1000 samples; the split 60000/20000/20000 needs 100000"):
        seed_split(_signals())
