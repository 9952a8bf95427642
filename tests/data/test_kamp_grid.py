"""A KAMP group resampled block by block, and preprocessed from its folder.

GroupStream and the folder preprocessing give the whole-array numbers, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.data.kamp_grid import GroupStream, first_index_at_or_after
from rotordx.data.preprocessed import preprocess_to_parquet, read_preprocessed
from rotordx.data.seed import PreprocessConfig, preprocess_group, resample_group
from rotordx.data.seed_folder import load_preprocessed_folder, preprocess_folder
from rotordx.exceptions import DataError
from rotordx.io import load_kamp_group, write_kamp_group
from rotordx.signal.resample import grid_times
from rotordx.simulate import TestbedConfig, simulate_testbed


@pytest.mark.parametrize("t", [0.0, 0.0005, 0.001, 0.0015, 11.999, 12.0, 139.99951, 1e-12])
def test_first_index_at_or_after(t):
    i = first_index_at_or_after(t, fs=1000.0)
    g = grid_times(0, i + 2, fs=1000.0)
    assert g[i] >= t and (i == 0 or g[i - 1] < t)


def _resampled(directory, **kw):
    st = GroupStream(directory, **kw)
    return st.read_all()


@pytest.mark.parametrize("duration", [140.0, 7.3337, 12.0])
@pytest.mark.parametrize(("rows", "nbytes", "threads"), [(100, 30_000, 1), (4096, 200_000, 2)])
def test_stream_resampling_equals_whole_array(small_group_dir, duration, rows, nbytes, threads):
    _, whole = resample_group(load_kamp_group(small_group_dir), fs=1000.0, duration=duration)
    start, chunked = _resampled(
        small_group_dir,
        duration=duration,
        block_rows=rows,
        block_bytes=nbytes,
        threads=threads,
    )
    assert start == 0 and chunked.shape == whole.shape
    np.testing.assert_array_equal(chunked, whole)


def test_stream_of_a_group_starting_late(tmp_path):
    sensors = simulate_testbed(TestbedConfig(seconds=3.0), seed=2)
    for i, s in enumerate(sensors):
        s[:, 0] += 0.0123 + 0.001 * i  # every sensor starts after 0
    write_kamp_group(tmp_path, sensors)
    grid, whole = resample_group(load_kamp_group(tmp_path), fs=1000.0, duration=140.0)
    start, chunked = _resampled(tmp_path, block_rows=64, block_bytes=8_000)
    np.testing.assert_array_equal(grid_times(start, start + chunked.shape[1], fs=1000.0), grid)
    np.testing.assert_array_equal(chunked, whole)


def test_folder_preprocessing_equals_group_preprocessing(small_group_dir):
    cfg = PreprocessConfig(duration=11.0, ma_window=15)
    a = preprocess_group(load_kamp_group(small_group_dir), config=cfg)
    b = preprocess_folder(small_group_dir, config=cfg)
    np.testing.assert_array_equal(a.signals, b.signals)
    np.testing.assert_array_equal(a.time, b.time)
    assert a.scaler == b.scaler and a.config == b.config and a.classes == b.classes


def test_folder_preprocessing_with_a_given_scaler(small_group_dir, other_group_dir):
    a = preprocess_folder(small_group_dir)
    b = preprocess_group(load_kamp_group(other_group_dir), scaler=a.scaler)
    c, status = load_preprocessed_folder(other_group_dir, scaler=a.scaler)
    assert status == "off"
    np.testing.assert_array_equal(b.signals, c.signals)


def test_streaming_parquet_equals_in_memory_parquet(small_group_dir, tmp_path):
    from rotordx.data.preprocessed import write_preprocessed

    data = preprocess_folder(small_group_dir)
    write_preprocessed(data, tmp_path / "a.parquet")
    info = preprocess_to_parquet(small_group_dir, tmp_path / "b.parquet")
    a, b = read_preprocessed(tmp_path / "a.parquet"), read_preprocessed(tmp_path / "b.parquet")
    np.testing.assert_array_equal(a.signals, b.signals)
    np.testing.assert_array_equal(a.time, b.time)
    assert (a.scaler, a.config, a.classes) == (b.scaler, b.config, b.classes)
    assert info["n"] == data.signals.shape[1] and info["cache"] == "off"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "b.parquet"]


def test_too_short_for_the_moving_average(small_group_dir):
    with pytest.raises(DataError, match="fewer than the moving-average length"):
        preprocess_folder(small_group_dir, config=PreprocessConfig(duration=0.01))
