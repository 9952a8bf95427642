"""The leak-free windowed protocol: time blocks with gaps, and the split.

The key property is checked on signals whose *values* encode where a sample
came from (class, channel and sample index): every window can then be traced
back to the exact samples it holds, so "no sample is shared between splits"
and "no window crosses a block boundary" are checked, not assumed.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rotordx.data.dataset import Dataset
from rotordx.data.splits import WindowConfig, all_windows, block_bounds, split_dataset
from rotordx.exceptions import DataError, ParameterError

#: Sample indices stay below this; class and channel are encoded above it.
_INDEX_RANGE = 1 << 16


def _encoded(n_classes: int, n_channels: int, n: int) -> np.ndarray:
    """Signals whose value is ``(class * n_channels + channel) * 2**16 + sample_index``.

    All values are integers below 2**24, so they survive the float32 cast exactly.
    """
    assert n < _INDEX_RANGE and n_classes * n_channels * _INDEX_RANGE < 1 << 24
    code = np.arange(n_classes * n_channels, dtype=np.float64).reshape(n_classes, n_channels, 1)
    return code * _INDEX_RANGE + np.arange(n, dtype=np.float64)


def _decode(X: np.ndarray, n_channels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class, channel, sample index) of every value of windows ``X``."""
    v = np.asarray(X, dtype=np.int64)
    code, index = np.divmod(v, _INDEX_RANGE)
    cls, channel = np.divmod(code, n_channels)
    return cls, channel, index


def _check_windows(split, *, n_channels: int, window: int) -> dict[int, np.ndarray]:
    """Check that every window is a contiguous slice of one class; return start indices by class."""
    assert split.X.dtype == np.float32
    assert split.X.shape[1:] == (n_channels, window)
    assert split.y.dtype == np.int64
    cls, channel, index = _decode(split.X, n_channels)
    # every value of a window belongs to the window's labelled class
    np.testing.assert_array_equal(cls, np.broadcast_to(split.y[:, None, None], cls.shape))
    # channel c of the window is channel c of the signal
    np.testing.assert_array_equal(
        channel, np.broadcast_to(np.arange(n_channels)[None, :, None], channel.shape)
    )
    # all channels share the same sample indices, consecutive inside the window
    starts = index[:, 0, 0]
    expected = starts[:, None, None] + np.arange(window)[None, None, :]
    np.testing.assert_array_equal(index, np.broadcast_to(expected, index.shape))
    return {int(c): np.sort(starts[split.y == c]) for c in np.unique(split.y)}


def _check_leak_free(signals: np.ndarray, config: WindowConfig, seed: int = 0):
    """Run window_split and assert the protocol's guarantees; return the splits."""
    n_classes, n_channels, n = signals.shape
    splits = split_dataset(Dataset.from_arrays(signals, fs=1000.0), config=config, seed=seed)
    bounds = block_bounds(n, config=config)
    w = config.window
    ranges = []  # per split: class -> (first covered sample, last covered sample)
    for split, (a, b) in zip(splits, bounds, strict=True):
        starts = _check_windows(split, n_channels=n_channels, window=w)
        # every class has windows in every split, exactly as many as fit in the block
        assert sorted(starts) == list(range(n_classes))
        expected_starts = np.arange(a, b - w + 1, config.hop)
        per_class = {}
        for c, s in starts.items():
            np.testing.assert_array_equal(s, expected_starts)
            # no window crosses its block's boundary
            assert s.min() >= a and s.max() + w <= b
            per_class[c] = (int(s.min()), int(s.max()) + w - 1)
        ranges.append(per_class)
    for c in range(n_classes):
        covered = [set() for _ in splits]
        for k, split in enumerate(splits):
            _, _, index = _decode(split.X[split.y == c], n_channels)
            covered[k] = set(np.unique(index).tolist())
        # no sample index appears in two splits
        assert not covered[0] & covered[1]
        assert not covered[0] & covered[2]
        assert not covered[1] & covered[2]
        # the splits are in time order and separated by at least one window (the gap)
        (_, last_tr), (first_va, last_va), (first_te, _) = (r[c] for r in ranges)
        assert first_va - last_tr - 1 >= config.gap_samples >= w
        assert first_te - last_va - 1 >= config.gap_samples
    return splits


# -- block_bounds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        WindowConfig(),
        WindowConfig(window=16, hop=4, fractions=(0.5, 0.25, 0.25)),
        WindowConfig(window=100, hop=50, fractions=(0.7, 0.15, 0.15), gap=250),
        WindowConfig(window=64, hop=64, fractions=(1 / 3, 1 / 3, 1 / 3), gap=64),
    ],
)
@pytest.mark.parametrize("n", [8_000, 12_345, 100_000])
def test_block_bounds(config, n):
    bounds = block_bounds(n, config=config)
    assert len(bounds) == 3
    gap = config.gap_samples
    usable = n - 2 * gap
    assert bounds[0][0] == 0
    for (a, b), f in zip(bounds, config.fractions, strict=True):
        assert 0 <= a < b <= n
        assert b - a >= config.window
        assert b - a == int(usable * f)  # sizes follow the fractions
        assert abs((b - a) - usable * f) < 1
    for (_, b0), (a1, _) in itertools.pairwise(bounds):
        assert a1 - b0 == gap >= config.window  # gap between consecutive blocks
    if config.gap is not None:
        assert bounds[1][0] - bounds[0][1] == config.gap


def test_block_bounds_default_gap_is_one_window():
    cfg = WindowConfig(window=200, hop=100)
    (_, b0), (a1, b1), (a2, _) = block_bounds(10_000, config=cfg)
    assert a1 - b0 == 200 and a2 - b1 == 200


@pytest.mark.parametrize("n", [0, 100, 1023, 3000])
def test_block_bounds_too_short(n):
    cfg = WindowConfig(window=1024, hop=512)
    with pytest.raises(DataError, match=rf"recording has {n} samples.*need at least \d+"):
        block_bounds(n, config=cfg)


@settings(max_examples=50, deadline=None)
@given(
    window=st.integers(16, 300),
    shares=st.tuples(st.integers(1, 18), st.integers(1, 18)).filter(lambda s: sum(s) < 20),
    extra_gap=st.none() | st.integers(0, 100),
)
def test_block_bounds_need_in_message_is_enough(window, shares, extra_gap):
    fractions = (shares[0] / 20, shares[1] / 20, 1 - (shares[0] + shares[1]) / 20)
    gap = None if extra_gap is None else window + extra_gap
    cfg = WindowConfig(window=window, hop=1, fractions=fractions, gap=gap)
    with pytest.raises(DataError) as info:
        block_bounds(window, config=cfg)
    need = int(re.search(r"need at least (\d+)", str(info.value)).group(1))
    bounds = block_bounds(need, config=cfg)  # the advertised length works
    assert min(b - a for a, b in bounds) >= window


# -- windows_of ---------------------------------------------------------------------------


def test_windows_of_labels_and_order():
    sig = _encoded(3, 2, 300)
    s = all_windows(Dataset.from_arrays(sig, fs=1000.0), window=32, hop=16)
    per_class = 1 + (300 - 32) // 16
    assert s.X.shape == (3 * per_class, 2, 32) and s.X.dtype == np.float32
    np.testing.assert_array_equal(s.y, np.repeat(np.arange(3), per_class))
    starts = _check_windows(s, n_channels=2, window=32)
    for c in range(3):
        np.testing.assert_array_equal(starts[c], np.arange(per_class) * 16)


# -- window_split -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        WindowConfig(window=64, hop=32),
        WindowConfig(window=64, hop=64),
        WindowConfig(window=64, hop=100),  # hop > window: samples skipped inside blocks
        WindowConfig(window=50, hop=7, fractions=(0.5, 0.3, 0.2), gap=123),
    ],
)
def test_window_split_is_leak_free(config):
    _check_leak_free(_encoded(4, 3, 5_000), config)


def test_window_split_labels_match_class():
    sig = _encoded(4, 1, 3_000)
    for split in split_dataset(
        Dataset.from_arrays(sig, fs=1000.0), config=WindowConfig(window=32, hop=16)
    ):
        cls, _, _ = _decode(split.X, 1)
        assert (cls == split.y[:, None, None]).all()
        np.testing.assert_array_equal(np.bincount(split.y), np.full(4, len(split) // 4))


def test_window_split_is_seeded_and_shuffled():
    sig = _encoded(3, 2, 4_000)
    cfg = WindowConfig(window=32, hop=16)
    a = split_dataset(Dataset.from_arrays(sig, fs=1000.0), config=cfg, seed=7)
    b = split_dataset(Dataset.from_arrays(sig, fs=1000.0), config=cfg, seed=7)
    c = split_dataset(Dataset.from_arrays(sig, fs=1000.0), config=cfg, seed=8)
    for sa, sb, sc in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(sa.X, sb.X)
        np.testing.assert_array_equal(sa.y, sb.y)
        # another seed: the same windows in another order
        assert not np.array_equal(sa.X, sc.X)
        oa, oc = np.lexsort((sa.X[:, 0, 0], sa.y)), np.lexsort((sc.X[:, 0, 0], sc.y))
        np.testing.assert_array_equal(sa.X[oa], sc.X[oc])
        np.testing.assert_array_equal(sa.y[oa], sc.y[oc])
    # shuffled: neither grouped by class nor in time order
    tr = a[0]
    assert not np.all(np.diff(tr.y) >= 0)
    _, _, index = _decode(tr.X[tr.y == 0], 2)
    assert not np.all(np.diff(index[:, 0, 0]) > 0)


def test_window_split_defaults():
    cfg = WindowConfig()
    n = math.ceil(cfg.window / min(cfg.fractions)) + 2 * cfg.gap_samples + 1000
    for split in _check_leak_free(_encoded(2, 1, n), cfg):
        assert split.X.shape[1:] == (1, 1024) and len(split) >= 2


def test_window_split_needs_3d_signals():
    with pytest.raises(ParameterError, match="n_classes, n_channels, n_samples"):
        split_dataset(
            Dataset.from_arrays(np.zeros((4, 5000)), fs=1000.0),
            config=WindowConfig(window=32, hop=16),
        )


def test_window_split_too_short():
    with pytest.raises(DataError, match="need at least"):
        split_dataset(
            Dataset.from_arrays(np.zeros((2, 1, 100)), fs=1000.0),
            config=WindowConfig(window=32, hop=16),
        )


@st.composite
def _valid_cases(draw):
    window = draw(st.integers(16, 80))
    hop = draw(st.integers(1, 2 * window))
    shares = draw(st.tuples(st.integers(1, 18), st.integers(1, 18)).filter(lambda s: sum(s) < 20))
    fractions = (shares[0] / 20, shares[1] / 20, 1 - (shares[0] + shares[1]) / 20)
    gap = draw(st.none() | st.integers(window, 3 * window))
    cfg = WindowConfig(window=window, hop=hop, fractions=fractions, gap=gap)
    need = math.ceil(window / min(fractions)) + 2 * cfg.gap_samples
    n = draw(st.integers(need, need + 2_000))
    n_classes = draw(st.integers(1, 3))
    n_channels = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    return cfg, n, n_classes, n_channels, seed


@settings(max_examples=50, deadline=None)
@given(case=_valid_cases())
def test_window_split_property(case):
    cfg, n, n_classes, n_channels, seed = case
    _check_leak_free(_encoded(n_classes, n_channels, n), cfg, seed=seed)


# -- WindowConfig -------------------------------------------------------------------------


def test_window_config_defaults():
    cfg = WindowConfig()
    assert (cfg.window, cfg.hop, cfg.fractions, cfg.gap) == (1024, 256, (0.6, 0.2, 0.2), None)
    assert cfg.gap_samples == 1024
    assert WindowConfig(window=32, gap=40).gap_samples == 40
    # every default follows the window: a quarter-window hop, a one-window gap
    assert (WindowConfig(window=6000).hop, WindowConfig(window=6000).gap_samples) == (1500, 6000)
    assert WindowConfig(window=16).hop == 4 and WindowConfig(window=6000, hop=7).hop == 7
    # validation blocks may touch the training block (cross-validation's early stopping)
    assert WindowConfig(window=64, gap=0).gap_samples == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window": 15}, "at least 16"),
        ({"window": 0}, "window"),
        ({"window": -4}, "window"),
        ({"window": 32.0}, "window"),
        ({"hop": 0}, "hop"),
        ({"hop": -1}, "hop"),
        ({"hop": 1.5}, "hop"),
        ({"fractions": (0.6, 0.2, 0.3)}, "fractions"),
        ({"fractions": (0.4, 0.3, 0.2, 0.1)}, "fractions"),
        ({"fractions": (1.0,)}, "fractions"),
        ({"fractions": (0.8, 0.2, 0.0)}, "fractions"),
        ({"fractions": (1.2, -0.1, -0.1)}, "fractions"),
        ({"fractions": (float("nan"), 0.5, 0.5)}, "fractions"),
        ({"window": 64, "gap": 63}, "gap"),
        ({"window": 64, "gap": 1}, "gap"),
        ({"window": 64, "eval_hop": 0}, "eval_hop"),
        ({"window": 64, "gap": 64.0}, "gap"),
    ],
)
def test_window_config_validation(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        WindowConfig(**kwargs)


def test_window_config_accepts_edge_values():
    cfg = WindowConfig(window=16, hop=1, fractions=(0.98, 0.01, 0.01), gap=16)
    assert (cfg.window, cfg.hop, cfg.fractions, cfg.gap_samples) == (16, 1, (0.98, 0.01, 0.01), 16)
    # the smallest window, the smallest hop and a gap of exactly one window give usable blocks
    bounds = block_bounds(1700, config=cfg)
    assert min(b - a for a, b in bounds) >= 16
    assert bounds[1][0] - bounds[0][1] == 16
    cfg = WindowConfig(window=np.int64(64), hop=np.int32(8))
    assert (cfg.window, cfg.hop, cfg.gap_samples) == (64, 8, 64)
    assert block_bounds(1000, config=cfg) == [(0, 523), (587, 761), (825, 999)]


def test_window_config_numpy_integer_gap():
    assert WindowConfig(window=32, gap=np.int64(64)).gap_samples == 64
