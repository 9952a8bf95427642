"""The chunked KAMP sensor reader: the whole file's numbers and the whole-file reader's errors."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.exceptions import DataError
from rotordx.io import load_kamp_group, read_kamp_sensor
from rotordx.io.kamp_stream import KampSensorReader, iter_kamp_sensor


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
