"""Chunked reading, resampling and smoothing give the whole-array numbers, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.data.kamp_grid import GroupStream, first_index_at_or_after
from rotordx.data.preprocessed import preprocess_to_parquet, read_preprocessed
from rotordx.data.seed import PreprocessConfig, preprocess_group, resample_group
from rotordx.data.seed_folder import load_preprocessed_folder, preprocess_folder
from rotordx.exceptions import DataError
from rotordx.io import load_kamp_group, read_kamp_sensor, write_kamp_group
from rotordx.io.kamp_stream import KampSensorReader, iter_kamp_sensor
from rotordx.signal import moving_average
from rotordx.signal.filters import MovingAverageStream
from rotordx.signal.resample import grid_size, grid_times, uniform_grid
from rotordx.simulate import TestbedConfig, simulate_testbed


@pytest.mark.parametrize("duration", [0.05, 1.0, 12.0, 139.9995, 140.0, 2240.0])
@pytest.mark.parametrize("fs", [1000.0, 999.0, 12000.0])
def test_grid_pieces_are_numpys_arange(duration, fs):
    whole = uniform_grid(fs=fs, duration=duration)
    assert grid_size(fs=fs, duration=duration) == whole.shape[0]
    n = whole.shape[0]
    for a, b in [(0, n), (0, 1), (n // 3, n // 2), (n - 1, n)]:
        np.testing.assert_array_equal(grid_times(a, b, fs=fs), whole[a:b])


@pytest.mark.parametrize("t", [0.0, 0.0005, 0.001, 0.0015, 11.999, 12.0, 139.99951, 1e-12])
def test_first_index_at_or_after(t):
    i = first_index_at_or_after(t, fs=1000.0)
    g = grid_times(0, i + 2, fs=1000.0)
    assert g[i] >= t and (i == 0 or g[i - 1] < t)


@pytest.mark.parametrize("m", [1, 2, 3, 15, 16])
def test_moving_average_stream_equals_whole(m):
    rng = np.random.default_rng(m)
    x = rng.standard_normal((2, 5000, 3)) * 4 + 30
    whole = moving_average(x, m=m, axis=1)
    for sizes in ([5000], [1, 2, 3, 4993, 1], list(rng.integers(1, 40, 400))):
        ma = MovingAverageStream(m=m, axis=1)
        parts, pos = [], 0
        for s in sizes:
            parts.append(ma.push(x[:, pos : pos + s]))
            pos += s
        parts.append(ma.push(x[:, pos:]))
        ma.finish()
        np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole)


def test_moving_average_stream_too_short():
    ma = MovingAverageStream(m=15)
    assert ma.push(np.ones(10)).shape == (0,)
    with pytest.raises(DataError, match="10 samples"):
        ma.finish()


def test_moving_average_stays_exact_on_long_offset_signals():
    """No running sum along the signal: the error does not grow with its length."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(2_000_000) + 50.0
    ours = moving_average(x, m=15)
    ref = np.convolve(x, np.ones(15), "valid") / 15
    assert np.abs(ours - ref).max() < 1e-12


def test_sensor_reader_chunks_equal_the_file(small_group_dir):
    path = small_group_dir / "g1_sensor2.csv"
    whole = load_kamp_group(small_group_dir).sensors[1]
    chunks = list(iter_kamp_sensor(path, block_bytes=20_000))
    assert len(chunks) > 10
    np.testing.assert_array_equal(np.concatenate([t for t, _ in chunks]), whole.time)
    values = np.column_stack([np.concatenate([v[c] for _, v in chunks]) for c in range(4)])
    np.testing.assert_array_equal(values, whole.values)


def test_sensor_reader_gives_the_whole_file_readers_error(tmp_path, small_group_dir):
    """A bad line far into the file: the same message as read_kamp_sensor."""
    lines = (small_group_dir / "g1_sensor1.csv").read_text().splitlines()
    lines[5000] = lines[5000].replace(",", ";", 1)
    bad = tmp_path / "g1_sensor1.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as whole:
        read_kamp_sensor(bad)
    with pytest.raises(DataError) as chunked:
        reader = KampSensorReader(bad, block_bytes=10_000)
        while reader.read() is not None:
            pass
    assert str(chunked.value) == str(whole.value)
    assert "line 5001" in str(chunked.value)


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


def test_last_time_reads_the_tail_for_progress(small_group_dir, tmp_path):
    from rotordx.io.kamp_stream import last_time

    for s in range(1, 5):
        p = small_group_dir / f"g1_sensor{s}.csv"
        assert last_time(p) == read_kamp_sensor(p).time[-1]
    (tmp_path / "blank.csv").write_text("0.1,1,2,3,4\n0.2,1,2,3,4\n\n\n")
    assert last_time(tmp_path / "blank.csv") == 0.2
    (tmp_path / "text.csv").write_text("time,a\nx,y\n")
    assert last_time(tmp_path / "text.csv") is None  # only for progress: never raises
    assert last_time(tmp_path / "missing.csv") is None
