"""Datasets from KAMP folders and manifests."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.data.dataset import Dataset, kamp_signals, load_data, resample_recording
from rotordx.data.splits import WindowConfig, all_windows, split_dataset
from rotordx.exceptions import DataError
from rotordx.io import Recording
from support import write_machine_manifest


def test_kamp_dataset_equals_class_signals(small_group_dir):
    ds = load_data(small_group_dir)
    assert ds.classes == ("normal", "type1", "type2", "type3") and ds.fs == 1000.0
    cfg = WindowConfig(window=512, hop=256)
    a = split_dataset(ds, config=cfg, seed=4)
    b = split_dataset(
        Dataset.from_arrays(kamp_signals(small_group_dir), fs=1000.0), config=cfg, seed=4
    )
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.X, y.X)
        np.testing.assert_array_equal(x.y, y.y)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """Three labels, CSV at 2 kHz and Parquet at 1 kHz, with conditions."""
    return write_machine_manifest(tmp_path_factory.mktemp("manifest"))


def test_manifest_dataset(manifest):
    ds = load_data(manifest)
    assert ds.classes == ("normal", "loose", "unbalance")
    assert ds.fs == 1000.0  # the lowest rate
    assert all(r.recording.signals.shape == (2, 20000) for r in ds.recordings)
    assert {r.condition for r in ds.recordings} == {"A", "B"}
    w = all_windows(
        ds.subset(i for i, r in enumerate(ds.recordings) if r.condition == "B"), window=1000
    )
    assert len(w) == 3 * 20 and set(w.y.tolist()) == {0, 1, 2}
    with pytest.raises(DataError, match="not among the model's classes"):
        load_data(manifest, classes=("normal", "loose"))


def test_resampling_keeps_a_sine():
    t = np.arange(0, 4, 1 / 12000)
    rec = Recording("x", np.sin(2 * np.pi * 162.0 * t)[None, :], 12000.0, ("DE",))
    out = resample_recording(rec, 1000.0)
    spec = np.abs(np.fft.rfft(out.signals[0]))
    assert out.signals.shape == (1, 4000)
    assert np.fft.rfftfreq(4000, 1e-3)[spec.argmax()] == pytest.approx(162.0, abs=0.3)
    assert out.signals[0, 200:-200].std() * np.sqrt(2) == pytest.approx(1.0, rel=0.02)
