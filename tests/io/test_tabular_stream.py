"""``scan_csv``: a CSV recording block by block gives ``read_channels``' rate, channels and
samples; anything ``read_channels`` refuses is left to it (None)."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.exceptions import DataError
from rotordx.io import tabular_stream
from rotordx.io.tabular import read_channels
from rotordx.io.tabular_stream import scan_csv


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(tabular_stream, "BLOCK_BYTES", 4096)  # many blocks per file


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _recording(path, n=3000, fs=1000.0, header=True, time=True):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, n))
    rows = []
    if header:
        rows.append(",".join((["time"] if time else []) + ["a", "b"]))
    for i in range(n):
        cells = ([f"{i / fs:.6f}"] if time else []) + [f"{x[0, i]:.6f}", f"{x[1, i]:.6f}"]
        rows.append(",".join(cells))
    return _write(path, "\n".join(rows) + "\n")


@pytest.mark.parametrize(("header", "time", "rate"), [(True, True, None), (True, False, 500.0),
                                                       (False, False, 250.0)])  # fmt: skip
def test_blocks_are_read_channels_samples(tmp_path, small_blocks, header, time, rate):
    path = _recording(tmp_path / "r.csv", header=header, time=time)
    whole = read_channels(path, rate=rate)
    s = scan_csv(path, rate=rate)
    blocks = list(s.blocks())
    assert len(blocks) > 5
    assert s.fs == whole.fs and s.channel_names == whole.channel_names
    assert s.length == whole.signals.shape[1]
    np.testing.assert_array_equal(np.hstack(blocks), whole.signals)
    last = whole.channel_names[-1:]
    np.testing.assert_array_equal(np.hstack(list(s.blocks(last))), whole.signals[-1:])


def test_what_read_channels_refuses_is_left_to_it(tmp_path, small_blocks):
    good = _recording(tmp_path / "good.csv").read_text().splitlines()
    cases = {
        "nan.csv": [*good[:500], "0.5,nan,1.0", *good[501:]],
        "word.csv": [*good[:2000], "2.0,abc,1.0", *good[2001:]],
        "cut.csv": [*good[:1500], "1.5,"],
        "back.csv": [*good[:1000], "0.1,1,1", *good[1001:]],
        "uneven.csv": [
            *good[:1000],
            "2.5,1,1",
            *[f"{2.5 + i / 1000:.6f},1,1" for i in range(1, 9)],
        ],
        "short.csv": good[:2],
        "empty.csv": [],
        "huge.csv": [*good[:10], "0.01,1e13,1", *good[11:]],
    }
    for name, lines in cases.items():
        path = _write(tmp_path / name, "\n".join(lines) + "\n")
        assert scan_csv(path) is None, name
    assert scan_csv(_recording(tmp_path / "notime.csv", time=False)) is None  # no rate
    assert scan_csv(tmp_path / "absent.csv") is None


def _table(path, header, t, x):
    rows = [header] if header else []
    rows += [",".join(f"{v:.9g}" for v in (*([] if t is None else [ti]), *xi)) for ti, xi in
             zip(t if t is not None else [None] * x.shape[1], x.T, strict=True)]  # fmt: skip
    return _write(path, "\n".join(rows) + "\n")


def _jittery(n=3000, fs=20000.0, seed=2):
    """A clock with 1 us resolution, steps of 30 to 70 us around 50 us (like VBL-VA001's)."""
    rng = np.random.default_rng(seed)
    return np.round((np.arange(n) + rng.uniform(-0.2, 0.2, n)) / fs, 6)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("x_axis", {}),
        ("x_axis", {"rate": 20000.0}),
        ("x_axis", {"default_rate": 12345.0}),
        ("bare_time", {}),
        ("bare_time", {"rate": 20000.0}),
        ("index", {"rate": 1000.0}),
        ("bare_index", {"default_rate": 1000.0}),
        ("ms", {}),
    ],
)
def test_time_rules_are_read_channels(tmp_path, small_blocks, name, kwargs):
    """Time columns by name (X-Axis, time [ms]), a headerless time axis with a jittery clock,
    a sample index dropped; a rate given checked against the axis, a default rate only
    without one: the stream's rate and channels are read_channels'."""
    x = np.random.default_rng(3).normal(size=(2, 3000))
    t = _jittery()
    path = tmp_path / f"{name}.csv"
    if name == "x_axis":
        _table(path, "X-Axis,a,b", t, x)
    elif name == "bare_time":
        _table(path, "", t, x)
    elif name == "index":
        _table(path, ",a,b", np.arange(3000), x)
    elif name == "bare_index":
        _table(path, "", np.arange(3000), x)
    else:
        _table(path, "time [ms],a,b", np.arange(3000) * 0.05, x)
    whole = read_channels(path, **kwargs)
    s = scan_csv(path, **kwargs)
    assert s is not None
    assert s.fs == whole.fs and s.channel_names == whole.channel_names
    np.testing.assert_array_equal(np.hstack(list(s.blocks())), whole.signals)


def test_time_axes_read_channels_refuses_are_left_to_it(tmp_path, small_blocks):
    x = np.random.default_rng(3).normal(size=(2, 3000))
    t = np.arange(3000) / 1000.0
    drift = (np.arange(3000) + 6 * np.sin(2 * np.pi * np.arange(3000) / 3000)) / 1000.0
    cases = {
        "disagrees.csv": ("time,a,b", t, {"rate": 2000.0}),
        "gap.csv": ("time,a,b", np.delete(np.arange(3001) / 1000.0, 2000), {}),
        "drift.csv": ("t,a,b", drift, {}),
        "two.csv": ("time,Time (s),a", t, {}),
        "hours.csv": ("time [h],a,b", t, {}),
        "epoch_ms.csv": ("timestamp,a,b", 1.7e12 + np.arange(3000), {}),
    }
    for name, (header, axis, kwargs) in cases.items():
        cols = x[:1] if name == "two.csv" else x
        if name == "two.csv":
            _table(tmp_path / name, header, axis, np.vstack([axis, cols]))
        else:
            _table(tmp_path / name, header, axis, cols)
        with pytest.raises(DataError):
            read_channels(tmp_path / name, **kwargs)
        assert scan_csv(tmp_path / name, **kwargs) is None, name


def test_vbl_sample_streams_as_read_whole():
    """The VBL-VA001 files: a headerless time column whose clock jitters."""
    from rotordx.io.datadir import default_data_dir

    root = default_data_dir()
    files = sorted((root / "vbl_va001_sample").glob("*/*.csv"))[:2] if root else []
    if not files:
        pytest.skip(f"VBL-VA001 sample not found under {root}")
    for path in files:
        for kwargs in ({}, {"rate": 20000.0}):
            whole = read_channels(path, **kwargs)
            s = scan_csv(path, **kwargs)
            assert (s.fs, s.channel_names, s.length) == (
                20000.0,
                ("f1", "f2", "f3"),
                whole.signals.shape[1],
            )
