"""The seed preprocessing, checked against a literal re-implementation of the seed code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import interpolate
from sklearn.preprocessing import MinMaxScaler

from rotordx.data.preprocessed import read_preprocessed, write_preprocessed
from rotordx.data.seed import PreprocessConfig, preprocess_group
from rotordx.exceptions import DataError
from rotordx.io import load_kamp_group
from support import SMALL_SECONDS


def _seed_reference(directory, duration):
    """The seed guide's code, step for step (pandas, interp1d, np.convolve, MinMaxScaler)."""
    cols = ["time", "normal", "type1", "type2", "type3"]
    sensors = [
        pd.read_csv(directory / f"g1_sensor{i}.csv", header=None, names=cols) for i in range(1, 5)
    ]
    x_new = np.arange(0, duration, 0.001)
    per_class = {}
    for item in cols[1:]:
        per_class[item] = pd.DataFrame(
            {
                f"s{i + 1}": interpolate.interp1d(s["time"], s[item], kind="linear")(x_new)
                for i, s in enumerate(sensors)
            }
        )
    M = 15
    filtered = {
        item: np.column_stack([np.convolve(df[c], np.ones(M), "valid") / M for c in df])
        for item, df in per_class.items()
    }
    # the seed fits on normal_ (resampled, not yet filtered)
    scaler = MinMaxScaler().fit(per_class["normal"].to_numpy())
    return np.stack([scaler.transform(filtered[c]) for c in cols[1:]])


def test_matches_seed_code(small_group_dir):
    group = load_kamp_group(small_group_dir)
    duration = float(np.floor(group.duration))
    ours = preprocess_group(group, config=PreprocessConfig(duration=duration))
    ref = _seed_reference(small_group_dir, duration)
    assert ours.signals.shape == ref.shape == (4, int(duration * 1000) - 14, 4)
    np.testing.assert_allclose(ours.signals, ref, rtol=0, atol=1e-9)


def test_duration_is_taken_from_shorter_data(small_group_dir):
    data = preprocess_group(load_kamp_group(small_group_dir))  # default duration 140 s
    n_grid = data.signals.shape[1] + 14
    assert SMALL_SECONDS * 1000 <= n_grid <= SMALL_SECONDS * 1000 + 5
    assert data.time[0] == pytest.approx(0.014)
    assert np.allclose(np.diff(data.time), 0.001)


def test_normal_class_is_scaled_into_unit_range(small_group_dir):
    data = preprocess_group(load_kamp_group(small_group_dir))
    normal = data.signals[0]
    # fitted on the unfiltered normal signal; the moving average stays inside its range
    assert normal.min() >= 0.0 and normal.max() <= 1.0


def test_given_scaler_is_used(small_group_dir, other_group_dir):
    a = preprocess_group(load_kamp_group(small_group_dir))
    b = preprocess_group(load_kamp_group(other_group_dir), scaler=a.scaler)
    assert b.scaler == a.scaler
    assert preprocess_group(load_kamp_group(other_group_dir)).scaler != a.scaler


def test_parquet_round_trip(small_group_dir, tmp_path):
    data = preprocess_group(load_kamp_group(small_group_dir))
    path = write_preprocessed(data, tmp_path / "p.parquet")
    import pyarrow.parquet as pq

    assert pq.read_schema(path).names == ["time", "s1", "s2", "s3", "s4", "label"]
    back = read_preprocessed(path)
    np.testing.assert_array_equal(back.signals, data.signals)
    np.testing.assert_array_equal(back.time, data.time)
    assert back.scaler == data.scaler and back.config == data.config
    assert back.classes == data.classes


def test_truncated_parquet(small_group_dir, tmp_path):
    data = preprocess_group(load_kamp_group(small_group_dir))
    path = write_preprocessed(data, tmp_path / "p.parquet")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="not a readable Parquet file"):
        read_preprocessed(path)
