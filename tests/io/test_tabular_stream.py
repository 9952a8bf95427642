"""``scan_csv``: a CSV recording block by block gives ``read_channels``' rate, channels and
samples; anything ``read_channels`` refuses is left to it (None)."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.io import tabular_stream
from rotordx.io.tabular import read_channels
from rotordx.io.tabular_stream import _median, scan_csv


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


def test_the_median_of_counted_steps_is_numpys():
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 100, 101):
        x = rng.choice([0.1, 0.2, 0.25, 0.3], size=n)
        values, counts = np.unique(x, return_counts=True)
        from collections import Counter

        c = Counter(dict(zip(values.tolist(), counts.tolist(), strict=True)))
        assert _median(c) == float(np.median(x)), n
